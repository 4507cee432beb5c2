"""Reminders already sent: one row per reminder, so the same reminder is never sent twice."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base, utcnow


class Reminder(Base):
    """A reminder of `kind` about `reference` (e.g. an assignment id) that went to a person.

    Written in the same transaction as the day's digest e-mail (an outbox row whose dedupe key
    is per person per day); the unique constraint is what stops a second worker, or a second
    run, sending it again.
    """

    __tablename__ = "reminder"
    __table_args__ = (sa.UniqueConstraint("kind", "user_id", "reference"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(32))
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    reference: Mapped[str] = mapped_column(sa.String(100))
    sent_on: Mapped[date] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<Reminder {self.kind} user={self.user_id} {self.reference}>"
