"""Forms for coordinators finding a person, and erasing a person's data."""

from __future__ import annotations

from govuk_frontend_wtf.wtforms_widgets import GovCheckboxInput, GovSubmitInput, GovTextInput
from wtforms import BooleanField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, ValidationError

from portal.forms.base import PortalForm
from portal.services.people import SEARCH_MIN_LENGTH


class PersonSearchForm(PortalForm):
    """A plain GET form: the search stays in the address, never in the logs (logs drop it)."""

    class Meta:
        csrf = False

    q = StringField("Email address or name", widget=GovTextInput(),
                    validators=[Length(max=320, message="Enter 320 characters or fewer")])

    def validate_q(self, field: StringField) -> None:
        if field.data and len(field.data) < SEARCH_MIN_LENGTH:
            raise ValidationError(f"Enter at least {SEARCH_MIN_LENGTH} characters")


class EraseForm(PortalForm):
    confirm = BooleanField(
        "I understand that this cannot be undone", widget=GovCheckboxInput(),
        validators=[DataRequired("Confirm that you understand this cannot be undone")])
    submit = SubmitField("Erase their personal data", widget=GovSubmitInput())
