"""Forms for policy adoption: an HR lead's answers for one element, and coordinators' decisions."""

from __future__ import annotations

from datetime import date

from flask_wtf.file import FileField
from govuk_frontend_wtf.wtforms_widgets import (
    GovCharacterCount,
    GovDateInput,
    GovFileInput,
    GovRadioInput,
    GovSubmitInput,
)
from wtforms import (
    Field,
    HiddenField,
    RadioField,
    SelectMultipleField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from portal import clock
from portal.forms.base import PortalForm
from portal.forms.organisations import choices
from portal.models import ElementStatus

NOTE_MAX = 500
STATUS_LABELS = {ElementStatus.NOT_STARTED.value: "Not started",
                 ElementStatus.IN_PROGRESS.value: "In progress",
                 ElementStatus.IN_PLACE.value: "In place"}


def one_newline_style(value: object) -> object:
    """Browsers send CRLF; count a line break as one character, as the character count does."""
    return value.replace("\r\n", "\n") if isinstance(value, str) else value


def uk_today() -> date:
    return clock.today()


class GovDateField(Field):
    """A GOV.UK date input: day, month and year boxes sharing one name.

    Empty boxes mean no date; anything else must be a real date, with a message saying what is
    wrong in the GOV.UK pattern's words. Always keeps exactly three raw values, so a tampered
    request cannot break the widget.
    """

    widget = GovDateInput()

    def __init__(self, label: str, *, noun: str, **kwargs: object) -> None:
        super().__init__(label, **kwargs)
        self.noun = noun  # "the date it came into place", for messages

    def process_formdata(self, valuelist: list[str]) -> None:
        values = [str(value).strip() for value in valuelist[:3]]
        values += [""] * (3 - len(values))
        self.raw_data = values
        self.data = None
        if not any(values):
            return
        day, month, year = values
        missing = [name for name, value in (("day", day), ("month", month), ("year", year))
                   if not value]
        if missing:
            raise ValueError(f"{self.noun.capitalize()} must include a {' and '.join(missing)}")
        if not all(v.isascii() and v.isdigit() for v in values) or len(year) != 4:
            raise ValueError(f"{self.noun.capitalize()} must be a real date")
        try:
            self.data = date(int(year), int(month), int(day))
        except ValueError:
            raise ValueError(f"{self.noun.capitalize()} must be a real date") from None

    def _value(self) -> str:
        return self.data.strftime("%d %m %Y") if self.data else ""


class ElementForm(PortalForm):
    status = RadioField("Where is the organisation with this?", widget=GovRadioInput(),
                        choices=choices(STATUS_LABELS),
                        validators=[InputRequired("Select where the organisation is with this")])
    in_place_on = GovDateField("When did it come into place?", noun="the date it came into place",
                               description="Only if it is in place. For example, 27 3 2026")
    review_on = GovDateField("Review date (optional)", noun="the review date",
                             description="When the organisation will next review it. For "
                                         "example, 27 3 2028")
    evidence_note = TextAreaField(
        "Evidence note", widget=GovCharacterCount(),
        description="What shows it is in place, for the scheme coordinators. Describe documents "
                    "and arrangements, never individual people.",
        filters=[one_newline_style],
        validators=[Optional(), Length(max=NOTE_MAX, message="The evidence note must be 500 "
                                                             "characters or fewer")])
    document = FileField("Upload a document (optional)", widget=GovFileInput(),
                         description="A PDF, Word document (DOCX) or OpenDocument text (ODT), "
                                     "smaller than 5MB. It replaces any document uploaded "
                                     "before.")
    version = HiddenField()
    submit = SubmitField("Save", widget=GovSubmitInput())

    @property
    def is_in_place(self) -> bool:
        return self.status.data == ElementStatus.IN_PLACE.value

    def validate_in_place_on(self, field: GovDateField) -> None:
        if not self.is_in_place or field.errors:
            return
        if field.data is None:
            raise ValidationError("Enter the date it came into place")
        if field.data > uk_today():
            raise ValidationError("The date it came into place must be today or in the past")
        if field.data.year < 1900:
            raise ValidationError("The date it came into place must be a real date")

    def validate_review_on(self, field: GovDateField) -> None:
        if field.errors or field.data is None:
            return
        if field.data.year < 1900 or field.data.year > 2200:
            raise ValidationError("The review date must be a real date")
        came = self.in_place_on.data
        if self.is_in_place and came is not None and field.data <= came:
            raise ValidationError("The review date must be after the date it came into place")


class VerifyForm(PortalForm):
    version = HiddenField()
    submit = SubmitField("Verify", widget=GovSubmitInput())


class ReturnForm(PortalForm):
    version = HiddenField()
    comment = TextAreaField(
        "Why are you returning it?", widget=GovCharacterCount(),
        description="The HR leads see this. Say what evidence is missing or needs changing.",
        filters=[one_newline_style],
        validators=[DataRequired("Enter a comment saying why you are returning it"),
                    Length(max=NOTE_MAX, message="The comment must be 500 characters or fewer")])
    submit = SubmitField("Return to the organisation", widget=GovSubmitInput())


SELECT_EVIDENCE = "Select the evidence you have checked and found complete"


class BulkVerifyForm(PortalForm):
    """Evidence chosen in the queue, each as "record id:version seen" (checkboxes in the table)."""

    elements = SelectMultipleField(
        "Evidence you have checked", validate_choice=False,
        validators=[InputRequired(SELECT_EVIDENCE)])
    submit = SubmitField("Verify selected evidence", widget=GovSubmitInput())

    def validate_elements(self, field: SelectMultipleField) -> None:
        if not field.errors and not self.selected():
            raise ValidationError(SELECT_EVIDENCE)

    def selected(self) -> dict[int, int]:
        """Record id → the version the coordinator saw; malformed values are left out."""
        chosen = {}
        for value in self.elements.data or []:
            record_id, _, version = str(value).partition(":")
            if record_id.isascii() and record_id.isdigit() and version.isascii() \
                    and version.isdigit() and len(record_id) < 10 and len(version) < 10:
                chosen[int(record_id)] = int(version)
        return chosen


def submitted_version(field: HiddenField) -> int:
    """The record version the form was based on; -1 (never current) for anything malformed."""
    text = field.data or ""
    return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else -1
