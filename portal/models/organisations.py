"""Member organisations, their sites, signed commitments and unfinished applications."""

from __future__ import annotations

import enum
import re
import unicodedata
from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from portal.models.base import Base, utcnow

if TYPE_CHECKING:
    from portal.models.people import Membership, User


class SchemeStatus(enum.StrEnum):
    APPLIED = "applied"
    APPROVED = "approved"
    DECLINED = "declined"
    SUSPENDED = "suspended"
    WITHDRAWN = "withdrawn"
    LAPSED = "lapsed"

    @property
    def label(self) -> str:
        return self.value.capitalize()


# A member organisation is an approved one: the standing that counts on the dashboard, in the
# exports and on the public list. Organisation.is_member is the rule; this is its one status,
# for queries over subqueries that carry the status column.
MEMBER_STATUS = SchemeStatus.APPROVED

# Statuses in which an organisation's roles are still live: retention keeps their people's
# records, and erasure waits for their champions to be withdrawn.
LIVE_STATUSES = (SchemeStatus.APPLIED, SchemeStatus.APPROVED, SchemeStatus.SUSPENDED)


class Tier(enum.StrEnum):
    """How far an approved member has gone, worked out from its data (DESIGN.md, "Policy adoption").

    Kept on the organisation (recomputed whenever an input changes and nightly by the worker) so
    that scheme-wide figures are one indexed aggregate rather than a calculation per organisation.
    """

    COMMITTED = "committed"
    ACTIVE = "active"
    ESTABLISHED = "established"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class Sector(enum.StrEnum):
    PUBLIC = "public"
    PRIVATE = "private"
    VOLUNTARY = "voluntary"
    EDUCATION = "education"
    HEALTH_AND_CARE = "health_and_care"
    OTHER = "other"

    @property
    def label(self) -> str:
        return SECTOR_LABELS[self]


SECTOR_LABELS = {
    Sector.PUBLIC: "Public sector",
    Sector.PRIVATE: "Private sector",
    Sector.VOLUNTARY: "Voluntary and community sector",
    Sector.EDUCATION: "Education",
    Sector.HEALTH_AND_CARE: "Health and care",
    Sector.OTHER: "Other",
}


class Borough(enum.StrEnum):
    HALTON = "halton"
    KNOWSLEY = "knowsley"
    LIVERPOOL = "liverpool"
    SEFTON = "sefton"
    ST_HELENS = "st_helens"
    WIRRAL = "wirral"
    OUTSIDE = "outside"

    @property
    def label(self) -> str:
        return BOROUGH_LABELS[self]


BOROUGH_LABELS = {
    Borough.HALTON: "Halton",
    Borough.KNOWSLEY: "Knowsley",
    Borough.LIVERPOOL: "Liverpool",
    Borough.SEFTON: "Sefton",
    Borough.ST_HELENS: "St Helens",
    Borough.WIRRAL: "Wirral",
    Borough.OUTSIDE: "Outside the Liverpool City Region",
}

_LEGAL_SUFFIXES = re.compile(r"\b(?:ltd|limited)\b")
_NOT_WORD = re.compile(r"[^\w\s]|_")


def normalise_name(name: str) -> str:
    """The key two organisation names share when they are likely the same organisation.

    Case, accents, punctuation, spacing and "Ltd"/"Limited" are ignored, and "&" reads as "and".
    """
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    text = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    text = text.replace("&", " and ")
    text = _NOT_WORD.sub(" ", text)
    text = _LEGAL_SUFFIXES.sub(" ", text)
    return " ".join(text.split())


class Organisation(Base):
    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    # normalise_name(name), kept in step by a validator, so likely duplicates are one indexed query.
    name_key: Mapped[str] = mapped_column(sa.String(200), index=True, default="")
    registered_number: Mapped[str | None] = mapped_column(sa.String(12), index=True)
    sector: Mapped[Sector] = mapped_column(default=Sector.OTHER)
    listed_publicly: Mapped[bool] = mapped_column(default=False)
    # The organisation's standing in the scheme (not a person's Membership of an organisation). The
    # column keeps its name "status": the column registry, bulk loads and migrations name it so.
    scheme_status: Mapped[SchemeStatus] = mapped_column(
        "status", default=SchemeStatus.APPLIED, index=True)
    status_reason: Mapped[str | None] = mapped_column(sa.String(32))
    status_changed_at: Mapped[datetime | None]
    # Set when the applicant has confirmed their email address: only then do coordinators see it.
    submitted_at: Mapped[datetime | None] = mapped_column(index=True)
    approved_at: Mapped[datetime | None]
    renewal_due_on: Mapped[date | None]
    # None unless approved; see Tier.
    tier: Mapped[Tier | None] = mapped_column(index=True)
    tier_changed_at: Mapped[datetime | None]
    # How staff reach the champions at work (a shared mailbox, an intranet page), for the
    # signposting card. Never a person's own phone number or address.
    champion_contact: Mapped[str | None] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    memberships: Mapped[list[Membership]] = relationship(back_populates="organisation")
    sites: Mapped[list[Site]] = relationship(
        back_populates="organisation", order_by="Site.name", cascade="all, delete-orphan")
    signatures: Mapped[list[CommitmentSignature]] = relationship(
        back_populates="organisation", order_by="CommitmentSignature.signed_at",
        cascade="all, delete-orphan")

    @validates("name")
    def _keep_name_key(self, _key: str, name: str) -> str:
        self.name_key = normalise_name(name)
        return name

    @hybrid_property
    def is_member(self) -> bool:
        """A member organisation of the scheme (approved; see MEMBER_STATUS)."""
        return self.scheme_status == MEMBER_STATUS

    @is_member.inplace.expression
    @classmethod
    def _is_member_expression(cls) -> sa.ColumnElement[bool]:
        return cls.scheme_status == MEMBER_STATUS

    @property
    def details_can_change(self) -> bool:
        """Its details and sites can still change: not once it was declined, withdrawn or lapsed,
        when nothing it could change would matter (its page offers no such actions)."""
        return self.scheme_status in LIVE_STATUSES

    @property
    def is_waiting_for_confirmation(self) -> bool:
        return self.scheme_status == SchemeStatus.APPLIED and self.submitted_at is None

    @property
    def latest_signature(self) -> CommitmentSignature | None:
        return self.signatures[-1] if self.signatures else None

    @property
    def total_headcount(self) -> int:
        return sum(site.headcount for site in self.sites)

    def __repr__(self) -> str:
        return f"<Organisation {self.id} {self.scheme_status}>"


class Site(Base):
    """A workplace of a member organisation: where its staff and champions are."""

    __tablename__ = "site"
    __table_args__ = (
        sa.UniqueConstraint("organisation_id", "name"),
        sa.CheckConstraint("headcount >= 1", name="headcount_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisation.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    borough: Mapped[Borough]
    headcount: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    organisation: Mapped[Organisation] = relationship(back_populates="sites")

    def __repr__(self) -> str:
        return f"<Site {self.id} org={self.organisation_id}>"


class CommitmentSignature(Base):
    """Which version of the scheme commitment was signed for an organisation, by whom and when."""

    __tablename__ = "commitment_signature"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisation.id", ondelete="CASCADE"), index=True)
    version: Mapped[int]
    signatory_name: Mapped[str] = mapped_column(sa.String(200))
    signatory_job_title: Mapped[str] = mapped_column(sa.String(100))
    signed_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    signed_at: Mapped[datetime] = mapped_column(default=utcnow)

    organisation: Mapped[Organisation] = relationship(back_populates="signatures")
    signed_by: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<CommitmentSignature org={self.organisation_id} v{self.version}>"


class JoinDraft(Base):
    """The answers of an unfinished application, kept server-side; the session holds only the id.

    The password is kept only as its hash. Drafts are deleted when the application is sent and
    discarded after JOIN_DRAFT_MAX_AGE.
    """

    __tablename__ = "join_draft"

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    answers: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    def __repr__(self) -> str:
        return "<JoinDraft>"
