"""Invitations: single-use, expiring links that give a person a role in an organisation."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Base, utcnow
from portal.models.people import OrgRole

if TYPE_CHECKING:
    from portal.models.organisations import Organisation, Site

OPEN = "accepted_at IS NULL AND revoked_at IS NULL"


class InvitationStatus(enum.StrEnum):
    PENDING = "pending"
    EXPIRED = "expired"
    ACCEPTED = "accepted"
    REVOKED = "revoked"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class Invitation(Base):
    __tablename__ = "invitation"
    __table_args__ = (
        # One open (not accepted, not revoked) invitation per address per organisation.
        sa.Index("uq_invitation_open_email", "organisation_id", "email", unique=True,
                 sqlite_where=sa.text(OPEN), postgresql_where=sa.text(OPEN)),
        sa.CheckConstraint("email = lower(email)", name="email_lower_case"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisation.id", ondelete="CASCADE"), index=True)
    role: Mapped[OrgRole]
    email: Mapped[str] = mapped_column(sa.String(320))
    full_name: Mapped[str] = mapped_column(sa.String(200))
    job_title: Mapped[str | None] = mapped_column(sa.String(100))
    site_id: Mapped[int | None] = mapped_column(sa.ForeignKey("site.id", ondelete="SET NULL"))
    # Only the SHA-256 of the emailed token is kept: a copy of the database opens no invitation.
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    last_sent_at: Mapped[datetime] = mapped_column(default=utcnow)
    resend_day: Mapped[date | None]
    resends_on_day: Mapped[int] = mapped_column(default=0)
    accepted_at: Mapped[datetime | None]
    accepted_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    revoked_at: Mapped[datetime | None]

    organisation: Mapped[Organisation] = relationship()
    site: Mapped[Site | None] = relationship()

    def status_at(self, now: datetime) -> InvitationStatus:
        if self.accepted_at is not None:
            return InvitationStatus.ACCEPTED
        if self.revoked_at is not None:
            return InvitationStatus.REVOKED
        if now >= self.expires_at:
            return InvitationStatus.EXPIRED
        return InvitationStatus.PENDING

    @property
    def is_open(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None

    def __repr__(self) -> str:
        return f"<Invitation {self.id} org={self.organisation_id} {self.role}>"
