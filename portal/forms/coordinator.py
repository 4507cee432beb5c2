"""Forms for scheme coordinators' decisions about organisations."""

from __future__ import annotations

import re
from datetime import date

from govuk_frontend_wtf.wtforms_widgets import (
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import HiddenField, RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

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
        validators=[Optional(), Length(max=500, message="The message to the applicant must be "
                                                        "500 characters or fewer")])
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


DATE_MESSAGE = "Enter a real date, for example 27/3/2026"
ACTION_PATTERN = re.compile(r"[a-z_.]{1,64}")


def parse_day(text: str | None) -> date | None:
    """A day written as 27/3/2026, 27-3-2026 or 2026-03-27; None for nothing; ValueError else."""
    if not text:
        return None
    parts = re.split(r"[/\-. ]+", text.strip())
    if len(parts) != 3 or not all(part.isdigit() for part in parts):
        raise ValueError(text)
    first, month, last = (int(part) for part in parts)
    year, day = (first, last) if len(parts[0]) == 4 else (last, first)
    if not 1900 <= year <= 2999:
        raise ValueError(text)
    return date(year, month, day)


def real_date(form: PortalForm, field: StringField) -> None:
    try:
        parse_day(field.data)
    except ValueError:
        raise ValidationError(DATE_MESSAGE) from None


class AuditFilterForm(PortalForm):
    """The audit log's filters: a plain GET form, so a filtered view is a link to share."""

    class Meta:
        csrf = False

    action = SelectField("What happened", widget=GovSelect(), validate_choice=False,
                         default="")
    organisation = SelectField("Organisation", widget=GovSelect(), validate_choice=False,
                               default="")
    actor = HiddenField()
    since = StringField("From", widget=GovTextInput(), validators=[real_date],
                        description="For example, 27/3/2026")
    until = StringField("To", widget=GovTextInput(), validators=[real_date],
                        description="For example, 27/3/2026")

    def validate_action(self, field: SelectField) -> None:
        if field.data and not ACTION_PATTERN.fullmatch(field.data):
            raise ValidationError("Select what happened from the list")

    def validate_organisation(self, field: SelectField) -> None:
        if field.data and not (field.data.isascii() and field.data.isdigit()
                               and len(field.data) < 10):
            raise ValidationError("Select an organisation from the list")

    def validate_actor(self, field: HiddenField) -> None:
        if field.data and not (field.data.isascii() and field.data.isdigit()
                               and len(field.data) < 10):
            raise ValidationError("The person to filter by is not recognised")

    def validate_until(self, field: StringField) -> None:
        try:
            since, until = parse_day(self.since.data), parse_day(field.data)
        except ValueError:
            return
        if since and until and until < since:
            raise ValidationError("The ‘to’ date must be the same as or after the ‘from’ date")
