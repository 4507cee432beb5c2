"""Forms for the coordinator's workbench: notes on organisations."""

from __future__ import annotations

from govuk_frontend_wtf.wtforms_widgets import GovRadioInput, GovSubmitInput, GovTextArea
from wtforms import HiddenField, RadioField, SubmitField, TextAreaField
from wtforms.validators import AnyOf, InputRequired, Length, Optional

from portal.forms.base import PortalForm
from portal.forms.organisations import choices
from portal.models.notes import NOTE_KIND_LABELS, NOTE_MAX_LENGTH, NoteKind

NOTE_REMINDER = ("Record contact with the organisation only: calls, meetings and what was "
                 "agreed. Never write anything about any person’s situation, health, home life "
                 "or experience of abuse.")


NOTE_TOO_LONG = f"The note must be {NOTE_MAX_LENGTH:,} characters or fewer"


class NoteForm(PortalForm):
    kind = RadioField("What kind of contact was it?", widget=GovRadioInput(),
                      choices=choices({kind: label for kind, label in NOTE_KIND_LABELS.items()
                                       if kind != NoteKind.DECISION}),
                      validators=[InputRequired("Select what kind of contact it was")])
    body = TextAreaField(
        "Note", widget=GovTextArea(), description=NOTE_REMINDER,
        validators=[InputRequired("Enter the note"),
                    Length(max=NOTE_MAX_LENGTH, message=NOTE_TOO_LONG)])
    submit = SubmitField("Add note", widget=GovSubmitInput())


class ApproveForm(PortalForm):
    """Approving with care: a confirmation step, and an optional note for the organisation's log
    (a note on a decision; the applicant does not see it)."""

    note = TextAreaField(
        "Note for the organisation’s log (optional)", widget=GovTextArea(),
        description="Other coordinators see this in the organisation’s notes; the applicant "
                    "does not. " + NOTE_REMINDER,
        validators=[Optional(), Length(max=NOTE_MAX_LENGTH, message=NOTE_TOO_LONG)])
    submit = SubmitField("Approve application", widget=GovSubmitInput())


class SubscriptionForm(PortalForm):
    """Start or stop the board report's monthly e-mail link (the button says which)."""

    action = HiddenField(validators=[AnyOf(("start", "stop"))])
    submit = SubmitField("Continue", widget=GovSubmitInput())
