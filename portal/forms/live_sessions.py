"""Forms for live sessions: scheduling one, changing or cancelling it, booking for a champion."""

from __future__ import annotations

import re
from datetime import date, datetime, time

from govuk_frontend_wtf.wtforms_widgets import (
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import RadioField, SelectField, StringField, SubmitField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from portal import clock
from portal.forms.assignments import GovDateField
from portal.forms.base import PortalForm
from portal.forms.organisations import choices
from portal.models import BOROUGH_LABELS, SessionMode

_TIME = re.compile(r"([01]?\d|2[0-3])[:.]([0-5]\d)")
MAX_CAPACITY = 500


def parse_time(text: str) -> time | None:
    """"9:30", "09:30" or "14.00" (24-hour clock)."""
    match = _TIME.fullmatch(text.strip())
    return time(int(match.group(1)), int(match.group(2))) if match else None


class ScheduleSessionForm(PortalForm):
    course = RadioField("Which course is the session for?", widget=GovRadioInput(), choices=[],
                        validators=[InputRequired("Select a course")])
    mode = RadioField("How will people take part?", widget=GovRadioInput(),
                      choices=choices({m.value: m.label for m in SessionMode}),
                      validators=[InputRequired("Select in person or online")])
    venue = StringField("Venue (in person)", widget=GovTextInput(),
                        description="The building and room, for example Central Library, "
                                    "Room 2",
                        validators=[Length(max=200, message="The venue must be 200 characters "
                                                            "or fewer")])
    borough = SelectField("Borough (in person)", widget=GovSelect(), validate_choice=False,
                          choices=choices({"": "Select a borough", **BOROUGH_LABELS}))
    # One line about the venue, typed by a coordinator: no text box about people (PRIV-05).
    access_info = StringField(
        "Access information (in person, optional)", widget=GovTextInput(),
        description="For example step-free entrance, hearing loop, parking.",
        validators=[Optional(), Length(max=300, message="Access information must be 300 "
                                                        "characters or fewer")])
    joining_link = StringField("Joining link (online)", widget=GovTextInput(),
                               description="Shown only to people with a booked place.",
                               validators=[Length(max=500, message="The joining link must be "
                                                                   "500 characters or fewer")])
    day = GovDateField("Date", noun="date", description="For example, 27 3 2027.")
    starts = StringField("Start time", widget=GovTextInput(),
                         description="UK time, 24-hour clock, for example 09:30",
                         validators=[InputRequired("Enter the start time")])
    ends = StringField("End time", widget=GovTextInput(),
                       description="UK time, 24-hour clock, for example 16:00",
                       validators=[InputRequired("Enter the end time")])
    capacity = StringField("Number of places", widget=GovTextInput(),
                           validators=[InputRequired("Enter the number of places")])
    trainer_email = StringField(
        "Trainer’s email address (optional)", widget=GovTextInput(),
        description="The trainer must have an account. They will see this session’s bookings "
                    "and mark attendance, and nothing else.",
        validators=[Optional(), Length(max=320, message="The email address must be 320 "
                                                        "characters or fewer")])
    submit = SubmitField("Schedule session", widget=GovSubmitInput())

    def __init__(self, *args: object, now: datetime, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.now = now

    @property
    def in_person(self) -> bool:
        return self.mode.data == SessionMode.IN_PERSON.value

    def validate_venue(self, field: StringField) -> None:
        if self.in_person and not field.data:
            raise ValidationError("Enter the venue")

    def validate_borough(self, field: SelectField) -> None:
        if self.in_person and field.data not in {b.value for b in BOROUGH_LABELS}:
            raise ValidationError("Select the borough")

    def validate_joining_link(self, field: StringField) -> None:
        if self.mode.data != SessionMode.ONLINE.value:
            return
        if not field.data:
            raise ValidationError("Enter the joining link")
        if not re.fullmatch(r"https://[^\s<>\"]+", field.data):
            raise ValidationError("The joining link must start with https://")

    def validate_starts(self, field: StringField) -> None:
        if parse_time(field.data or "") is None:
            raise ValidationError("Enter the start time as hours and minutes, like 09:30")
        if isinstance(self.day.data, date) and self.starts_at <= self.now:
            raise ValidationError("The session must start in the future")

    def validate_ends(self, field: StringField) -> None:
        end = parse_time(field.data or "")
        if end is None:
            raise ValidationError("Enter the end time as hours and minutes, like 16:00")
        start = parse_time(self.starts.data or "")
        if start is not None and end <= start:
            raise ValidationError("The end time must be after the start time")

    def validate_capacity(self, field: StringField) -> None:
        if not (field.data or "").isdigit() or not 1 <= int(field.data) <= MAX_CAPACITY:
            raise ValidationError(f"The number of places must be a whole number from 1 to "
                                  f"{MAX_CAPACITY}")

    def _at(self, text: str) -> datetime:
        moment = parse_time(text) or time(0)
        return datetime.combine(self.day.data, moment, tzinfo=clock.LONDON)

    @property
    def starts_at(self) -> datetime:
        return self._at(self.starts.data or "")

    @property
    def ends_at(self) -> datetime:
        return self._at(self.ends.data or "")


class ChangeSessionForm(ScheduleSessionForm):
    """A session's where, when and who, checked exactly as when it was scheduled. Its course
    stays (bookings were made for it) and its places change on their own form."""

    course = None
    capacity = None
    submit = SubmitField("Save changes", widget=GovSubmitInput())


class CancelSessionForm(PortalForm):
    submit = SubmitField("Yes, cancel this session", widget=GovSubmitInput())


class CapacityForm(PortalForm):
    capacity = StringField("Number of places", widget=GovTextInput(),
                           validators=[InputRequired("Enter the number of places")])
    submit = SubmitField("Change the number of places", widget=GovSubmitInput())

    def validate_capacity(self, field: StringField) -> None:
        if not (field.data or "").isdigit() or not 1 <= int(field.data) <= MAX_CAPACITY:
            raise ValidationError(f"The number of places must be a whole number from 1 to "
                                  f"{MAX_CAPACITY}")


class BookForChampionForm(PortalForm):
    champion = RadioField("Which champion is the place for?", widget=GovRadioInput(),
                          choices=[], validators=[InputRequired("Select a champion")])
    submit = SubmitField("Book a place", widget=GovSubmitInput())
