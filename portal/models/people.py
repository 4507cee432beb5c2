"""People: accounts, and the role each person holds in each organisation."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Base, utcnow

if TYPE_CHECKING:
    from portal.models.organisations import Organisation, Site


class OrgRole(enum.StrEnum):
    HR_LEAD = "hr_lead"
    CHAMPION = "champion"

    @property
    def label(self) -> str:
        return "HR lead" if self is OrgRole.HR_LEAD else "Workplace Champion"


class WithdrawalReason(enum.StrEnum):
    """Why a champion stopped: a short list, never free text about the person."""

    LEFT = "left_organisation"
    STEPPED_DOWN = "stepped_down"
    NOT_ABLE = "not_able_to_continue"
    OTHER = "other"

    @property
    def label(self) -> str:
        return WITHDRAWAL_REASON_LABELS[self]


WITHDRAWAL_REASON_LABELS = {
    WithdrawalReason.LEFT: "They have left the organisation",
    WithdrawalReason.STEPPED_DOWN: "They have asked to step down",
    WithdrawalReason.NOT_ABLE: "They are not able to carry on in the role",
    WithdrawalReason.OTHER: "Another reason",
}


class User(UserMixin, Base):
    __tablename__ = "user_account"
    __table_args__ = (
        # E-mail addresses are unique regardless of case; the column holds them lower-cased.
        sa.CheckConstraint("email = lower(email)", name="email_lower_case"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(320), unique=True)
    full_name: Mapped[str] = mapped_column(sa.String(200))
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    is_coordinator: Mapped[bool] = mapped_column(default=False)
    is_active: Mapped[bool] = mapped_column(default=True)
    # Bumped on sign-out, password change and "sign out everywhere": every session cookie
    # carries the version it was issued with, and older ones stop working.
    session_version: Mapped[int] = mapped_column(default=1)
    password_changed_at: Mapped[datetime | None]
    # Set for an account given a one-time password (`flask create-coordinator`): until the person
    # chooses their own, the password change is the only page they can reach (AUTH-13).
    password_change_required: Mapped[bool] = mapped_column(default=False,
                                                           server_default=sa.false())
    # Set when the person proved they read this mailbox: a confirmation or invitation link.
    email_verified_at: Mapped[datetime | None]
    # A new address asked for in Your account, kept until a link sent to it is opened.
    pending_email: Mapped[str | None] = mapped_column(sa.String(320))
    pending_email_at: Mapped[datetime | None]
    exit_explained_at: Mapped[datetime | None]
    last_signed_in_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set when the person's data was erased (on request or by the retention schedule): the row
    # stays, without anything that identifies them, so scheme-wide figures stay right.
    erased_at: Mapped[datetime | None]
    # Two-factor sign-in (coordinators). The TOTP key is kept as base32 text in this column,
    # not encrypted: see README "Two-factor sign-in" for why. It is set, unconfirmed, while the
    # person is setting up their app, and confirmed once they enter a code from it.
    totp_secret: Mapped[str | None] = mapped_column(sa.String(64))
    totp_confirmed_at: Mapped[datetime | None]
    # The last 30-second time step whose code was accepted: that code and older ones are
    # refused, so an overheard code cannot be replayed (AUTH-14, ASVS 6.5.1).
    totp_last_step: Mapped[int | None] = mapped_column(sa.BigInteger)

    memberships: Mapped[list[Membership]] = relationship(back_populates="user")

    def get_id(self) -> str:
        """Flask-Login's "alternative id": the session is tied to the current session version."""
        return f"{self.id}:{self.session_version}"

    @property
    def is_erased(self) -> bool:
        return self.erased_at is not None

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def needs_two_factor(self) -> bool:
        """Scheme coordinators sign in with a password and a code from an authenticator app."""
        return self.is_coordinator

    @property
    def has_two_factor(self) -> bool:
        return self.totp_secret is not None and self.totp_confirmed_at is not None

    def role_in(self, organisation: Organisation) -> OrgRole | None:
        return next((m.role for m in self.memberships
                     if m.organisation_id == organisation.id and m.is_current), None)

    def __repr__(self) -> str:
        return f"<User {self.id}>"


RECORD_KEYS = 256  # record keys are 0 to 255, as in the cell-key method (docs/small-numbers.md)


def new_record_key() -> int:
    return secrets.randbelow(RECORD_KEYS)


class Membership(Base):
    """A person's role (HR lead or champion) within one organisation."""

    __tablename__ = "membership"
    __table_args__ = (sa.UniqueConstraint("user_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"),
                                         index=True)
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisation.id", ondelete="CASCADE"), index=True)
    role: Mapped[OrgRole]
    site_id: Mapped[int | None] = mapped_column(sa.ForeignKey("site.id", ondelete="SET NULL"),
                                                index=True)
    job_title: Mapped[str | None] = mapped_column(sa.String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    withdrawn_at: Mapped[datetime | None]
    withdrawal_reason: Mapped[WithdrawalReason | None]
    # A random number fixed for the life of the role, never shown: published counts of people
    # are rounded by the sum of their records' keys (portal/services/small_numbers.py).
    record_key: Mapped[int] = mapped_column(sa.SmallInteger, default=new_record_key)

    user: Mapped[User] = relationship(back_populates="memberships")
    organisation: Mapped[Organisation] = relationship(back_populates="memberships")
    site: Mapped[Site | None] = relationship()

    # The two rules below are the only place they are written: use them in Python
    # (`membership.is_current_champion`) and in queries (`.where(Membership.is_current_champion)`).
    @hybrid_property
    def is_current(self) -> bool:
        """The role is held now: nobody has withdrawn it."""
        return self.withdrawn_at is None

    @is_current.inplace.expression
    @classmethod
    def _is_current_expression(cls) -> sa.ColumnElement[bool]:
        return cls.withdrawn_at.is_(None)

    @hybrid_property
    def is_current_champion(self) -> bool:
        """A current champion: the champion role, not withdrawn."""
        return self.role == OrgRole.CHAMPION and self.withdrawn_at is None

    @is_current_champion.inplace.expression
    @classmethod
    def _is_current_champion_expression(cls) -> sa.ColumnElement[bool]:
        return sa.and_(cls.role == OrgRole.CHAMPION, cls.withdrawn_at.is_(None))

    def __repr__(self) -> str:
        return f"<Membership user={self.user_id} org={self.organisation_id} {self.role}>"


class RecoveryCode(Base):
    """A single-use code for signing in without the authenticator app; only its hash is kept.

    Codes carry 120 random bits, so a plain SHA-256 is enough to store them (ASVS 6.5.2 allows
    an unsalted standard hash from 112 bits of entropy).
    """

    __tablename__ = "recovery_code"
    __table_args__ = (sa.UniqueConstraint("user_id", "code_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"),
                                         index=True)
    code_hash: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime | None]

    def __repr__(self) -> str:
        return f"<RecoveryCode {self.id} user={self.user_id}>"
