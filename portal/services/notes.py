"""Coordinators' notes on an organisation (models/notes.py): adding one, and reading the log."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from portal.models import NoteKind, Organisation, OrganisationNote, User
from portal.services.audit import record_event

RECENT_NOTES = 200  # the page shows the latest notes; the audit trail keeps that each was added


def add_note(session: Session, organisation: Organisation, *, kind: NoteKind, body: str,
             author: User, request_id: str | None = None) -> OrganisationNote:
    """Add a note and its audit event (the organisation's trail). Not committed."""
    note = OrganisationNote(organisation_id=organisation.id, kind=kind, body=body.strip(),
                            author_id=author.id)
    session.add(note)
    session.flush()
    record_event(session, "organisation.note_added", actor=author, organisation=organisation,
                 target=note, request_id=request_id, details={"kind": kind.value})
    return note


def notes_of(session: Session, organisation: Organisation) -> list[OrganisationNote]:
    """The organisation's latest notes, newest first, with their authors: one statement each."""
    return list(session.scalars(
        select(OrganisationNote).where(OrganisationNote.organisation_id == organisation.id)
        .options(selectinload(OrganisationNote.author))
        .order_by(OrganisationNote.created_at.desc(), OrganisationNote.id.desc())
        .limit(RECENT_NOTES)))
