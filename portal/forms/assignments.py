"""Forms for HR leads assigning training to their champions, and cancelling it."""

from __future__ import annotations

from datetime import date

from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovDateInput,
    GovRadioInput,
    GovSubmitInput,
)
from wtforms import Field, RadioField, SelectChoice, SelectMultipleField, SubmitField
from wtforms.validators import InputRequired, ValidationError

from portal.forms.base import PortalForm

DATE_PARTS = ("day", "month", "year")


class GovDateField(Field):
    """A GOV.UK date input (day, month, year boxes) with GOV.UK's error messages.

    The boxes' text is always kept, even when it is not a date, so the form shows it back.
    """

    widget = GovDateInput()

    def __init__(self, label: str, *, noun: str, **kwargs: object) -> None:
        super().__init__(label, **kwargs)
        self.noun = noun  # "due date": used in the messages

    def _value(self) -> str:
        return self.data.strftime("%d %m %Y") if isinstance(self.data, date) else ""

    def process_formdata(self, valuelist: list[str]) -> None:
        parts = [str(value).strip() for value in valuelist[:3]]
        parts += [""] * (3 - len(parts))
        self.raw_data = parts  # the widget expects exactly three values
        self.data = None
        if not any(parts):
            raise ValueError(f"Enter the {self.noun}")
        missing = [name for name, value in zip(DATE_PARTS, parts, strict=True) if not value]
        if missing:
            raise ValueError(f"The {self.noun} must include a {missing[0]}")
        day, month, year = parts
        if len(valuelist) > 3 or not (day.isdigit() and month.isdigit() and year.isdigit()) \
                or len(year) != 4:
            raise ValueError(f"The {self.noun} must be a real date, like 27 3 2027")
        try:
            self.data = date(int(year), int(month), int(day))
        except ValueError:
            raise ValueError(f"The {self.noun} must be a real date, like 27 3 2027") from None


class AssignTrainingForm(PortalForm):
    training = RadioField("What do you want to assign?", widget=GovRadioInput(), choices=[],
                          validators=[InputRequired("Select a course or a module")])
    who = RadioField("Who should do it?", widget=GovRadioInput(),
                     choices=[SelectChoice("all", "All current champions"),
                              SelectChoice("some", "Choose champions")],
                     validators=[InputRequired("Select who should do it")])
    champions = SelectMultipleField("Champions", widget=GovCheckboxesInput(), choices=[],
                                    validate_choice=False)
    due_on = GovDateField("Due date", noun="due date",
                          description="For example, 27 3 2027. It must be after today.")
    submit = SubmitField("Assign training", widget=GovSubmitInput())

    def __init__(self, *args: object, today: date, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.today = today

    def validate_champions(self, field: SelectMultipleField) -> None:
        if self.who.data == "some" and not field.data:
            raise ValidationError("Select at least one champion")
        if self.foreign_champions():
            raise ValidationError("Select champions from the list")

    def validate_due_on(self, field: GovDateField) -> None:
        if field.data is not None and field.data <= self.today:
            raise ValidationError("The due date must be after today")

    def foreign_champions(self) -> bool:
        """Ids that are not this organisation's current champions: a tampered form."""
        allowed = {choice.value for choice in self.champions.choices}
        return self.who.data == "some" and not set(self.champions.data or []) <= allowed


class CancelAssignmentForm(PortalForm):
    submit = SubmitField("Cancel the assignment", widget=GovSubmitInput())
