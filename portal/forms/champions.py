"""Forms for inviting, accepting and withdrawing champions and HR leads."""

from __future__ import annotations

from flask_wtf.file import FileField
from govuk_frontend_wtf.wtforms_widgets import (
    GovFileInput,
    GovPasswordInput,
    GovRadioInput,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import EmailField, PasswordField, RadioField, StringField, SubmitField
from wtforms.validators import Email, InputRequired, Length, Optional

from portal.forms.auth import EMAIL_MESSAGE
from portal.forms.base import PortalForm
from portal.forms.organisations import choices, plain_text
from portal.models import WITHDRAWAL_REASON_LABELS


def _full_name(label: str, required: str) -> StringField:
    return StringField(label, widget=GovTextInput(), validators=[
        InputRequired(required),
        Length(max=200, message="Full name must be 200 characters or fewer"), plain_text])


def _work_email(label: str, required: str) -> EmailField:
    return EmailField(label, widget=GovTextInput(), validators=[
        InputRequired(required), Length(max=320, message=EMAIL_MESSAGE),
        Email(EMAIL_MESSAGE, check_deliverability=False), plain_text])


def _job_title() -> StringField:
    return StringField("Job title (optional)", widget=GovTextInput(), validators=[
        Optional(), Length(max=100, message="Job title must be 100 characters or fewer"),
        plain_text])


class InviteChampionForm(PortalForm):
    full_name = _full_name("Full name", "Enter the champion’s full name")
    email = _work_email("Work email address", "Enter the champion’s work email address")
    site = RadioField("Which site will they be a champion for?", widget=GovRadioInput(),
                      choices=[], validators=[InputRequired("Select the champion’s site")])
    job_title = _job_title()
    submit = SubmitField("Send invitation", widget=GovSubmitInput())


class InviteHrLeadForm(PortalForm):
    full_name = _full_name("Full name", "Enter the HR lead’s full name")
    email = _work_email("Work email address", "Enter the HR lead’s work email address")
    job_title = _job_title()
    submit = SubmitField("Send invitation", widget=GovSubmitInput())


class AcceptInvitationForm(PortalForm):
    full_name = _full_name("Your full name", "Enter your full name")
    password = PasswordField("Create a password", widget=GovPasswordInput(), validators=[
        InputRequired("Enter a password"), Length(max=1024)])
    submit = SubmitField("Create account", widget=GovSubmitInput())


class WithdrawChampionForm(PortalForm):
    reason = RadioField("Why are they no longer a champion?", widget=GovRadioInput(),
                        choices=choices(WITHDRAWAL_REASON_LABELS),
                        validators=[InputRequired("Select a reason")])
    submit = SubmitField("Withdraw champion", widget=GovSubmitInput())


class UploadChampionsForm(PortalForm):
    file = FileField("Upload a CSV file", widget=GovFileInput())
    submit = SubmitField("Upload and send invitations", widget=GovSubmitInput())
