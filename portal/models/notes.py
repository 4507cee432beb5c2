"""The coordinator's workbench: notes on an organisation (a short, dated, attributed log of
contact with it) and subscriptions to the board report's monthly e-mail link.

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


class ReportSubscription(Base):
    """A coordinator asked for a monthly e-mail linking to the board report (never its figures)."""

    __tablename__ = "report_subscription"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<ReportSubscription user={self.user_id}>"
