"""Coordinators' notes on an organisation: a short, dated, attributed log of contact with it.

A note records contact with the organisation (a call, a meeting, an agreed action), never anything
about a person's situation: the form says so beside the box, and the privacy registry classifies
the text as about the organisation.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Base, utcnow

if TYPE_CHECKING:
    from portal.models.people import User

NOTE_MAX_LENGTH = 1000


class NoteKind(enum.StrEnum):
    CALL = "call"
    MEETING = "meeting"
    EMAIL = "email"
    ACTION = "action"
    DECISION = "decision"
    OTHER = "other"

    @property
    def label(self) -> str:
        return NOTE_KIND_LABELS[self]


NOTE_KIND_LABELS = {
    NoteKind.CALL: "Phone or video call",
    NoteKind.MEETING: "Meeting",
    NoteKind.EMAIL: "Email",
    NoteKind.ACTION: "Agreed action",
    NoteKind.DECISION: "Note on a decision",
    NoteKind.OTHER: "Other contact",
}


class OrganisationNote(Base):
    __tablename__ = "organisation_note"
    __table_args__ = (sa.Index("ix_organisation_note_org_time", "organisation_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisation.id", ondelete="CASCADE"))
    kind: Mapped[NoteKind]
    body: Mapped[str] = mapped_column(sa.String(NOTE_MAX_LENGTH))
    author_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    author: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<OrganisationNote {self.id} org={self.organisation_id}>"
