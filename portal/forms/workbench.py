"""Forms for the coordinator's workbench: notes on organisations."""

from __future__ import annotations

from govuk_frontend_wtf.wtforms_widgets import GovRadioInput, GovSubmitInput, GovTextArea
from wtforms import RadioField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length

from portal.forms.base import PortalForm
from portal.forms.organisations import choices
from portal.models.notes import NOTE_KIND_LABELS, NOTE_MAX_LENGTH

NOTE_REMINDER = ("Record contact with the organisation only: calls, meetings and what was "
                 "agreed. Never write anything about any person’s situation, health, home life "
                 "or experience of abuse.")


class NoteForm(PortalForm):
    kind = RadioField("What kind of contact was it?", widget=GovRadioInput(),
                      choices=choices(NOTE_KIND_LABELS),
                      validators=[InputRequired("Select what kind of contact it was")])
    body = TextAreaField(
        "Note", widget=GovTextArea(), description=NOTE_REMINDER,
        validators=[InputRequired("Enter the note"),
                    Length(max=NOTE_MAX_LENGTH, message=f"The note must be {NOTE_MAX_LENGTH:,} "
                                                        "characters or fewer")])
    submit = SubmitField("Add note", widget=GovSubmitInput())
