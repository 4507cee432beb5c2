"""Forms for scheme coordinators' decisions about organisations."""

from __future__ import annotations

from govuk_frontend_wtf.wtforms_widgets import GovRadioInput, GovSubmitInput, GovTextArea
from wtforms import RadioField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from portal.forms.base import PortalForm
from portal.forms.organisations import choices
from portal.services.organisations import DECLINE_REASONS, SUSPEND_REASONS, WITHDRAW_REASONS

REASON_REQUIRED = "Select a reason"


class DeclineForm(PortalForm):
    reason = RadioField("Why are you declining the application?", widget=GovRadioInput(),
                        choices=choices(DECLINE_REASONS),
                        validators=[InputRequired(REASON_REQUIRED)])
    message = TextAreaField(
        "Anything else the applicant should know (optional)", widget=GovTextArea(),
        description="We include this in the email to the applicant. Do not include anything "
                    "about any person’s circumstances.",
        validators=[Optional(), Length(max=500, message="This must be 500 characters or fewer")])
    submit = SubmitField("Decline application", widget=GovSubmitInput())


class SuspendForm(PortalForm):
    reason = RadioField("Why are you suspending the membership?", widget=GovRadioInput(),
                        choices=choices(SUSPEND_REASONS),
                        validators=[InputRequired(REASON_REQUIRED)])
    submit = SubmitField("Suspend membership", widget=GovSubmitInput())


class WithdrawForm(PortalForm):
    reason = RadioField("Why is the membership ending?", widget=GovRadioInput(),
                        choices=choices(WITHDRAW_REASONS),
                        validators=[InputRequired(REASON_REQUIRED)])
    submit = SubmitField("End membership", widget=GovSubmitInput())
