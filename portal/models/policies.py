"""Policy adoption: each organisation's progress on each element of the scheme's policy framework.

The elements themselves (titles, guidance) are versioned data in portal/data/policy-framework.yaml;
rows here refer to them by key. Evidence is about the organisation, never about a person.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Base, utcnow

if TYPE_CHECKING:
    from portal.models.people import User


class ElementStatus(enum.StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    IN_PLACE = "in_place"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class Verification(enum.StrEnum):
    UNVERIFIED = "unverified"  # nothing for a coordinator to look at yet, or changed since
    VERIFIED = "verified"
    RETURNED = "returned"  # a coordinator asked for more, with a comment

    @property
    def label(self) -> str:
        return {"unverified": "Not verified", "verified": "Verified",
                "returned": "Returned"}[self.value]


class PolicyDocument(Base):
    """An uploaded evidence file. The bytes live outside static/, under a random storage key."""

    __tablename__ = "policy_document"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisation.id", ondelete="CASCADE"), index=True)
    element_key: Mapped[str] = mapped_column(sa.String(64))
    storage_key: Mapped[str] = mapped_column(sa.String(64), unique=True)
    filename: Mapped[str] = mapped_column(sa.String(120))  # cleaned, for display only
    content_type: Mapped[str] = mapped_column(sa.String(100))
    size_bytes: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<PolicyDocument {self.id} org={self.organisation_id}>"


class PolicyElementRecord(Base):
    """Where one organisation is with one framework element: the current state only.

    `version` is SQLAlchemy's optimistic lock: a save based on an older version is refused.
    Every change also writes a PolicyElementEvent, which is the history.
    """

    __tablename__ = "policy_element_record"
    __table_args__ = (sa.UniqueConstraint("organisation_id", "element_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisation.id", ondelete="CASCADE"), index=True)
    element_key: Mapped[str] = mapped_column(sa.String(64), index=True)
    status: Mapped[ElementStatus] = mapped_column(default=ElementStatus.NOT_STARTED)
    in_place_on: Mapped[date | None]
    review_on: Mapped[date | None] = mapped_column(index=True)
    evidence_note: Mapped[str | None] = mapped_column(sa.String(500))
    document_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("policy_document.id", ondelete="SET NULL"))
    verification: Mapped[Verification] = mapped_column(default=Verification.UNVERIFIED)
    verification_comment: Mapped[str | None] = mapped_column(sa.String(500))
    verified_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    verified_at: Mapped[datetime | None]
    updated_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    document: Mapped[PolicyDocument | None] = relationship()
    updated_by: Mapped[User | None] = relationship(foreign_keys=[updated_by_id])

    __mapper_args__ = {"version_id_col": version}

    def __repr__(self) -> str:
        return f"<PolicyElementRecord org={self.organisation_id} {self.element_key}>"


class PolicyElementEvent(Base):
    """History: one row per change to a record, by an HR lead or a coordinator."""

    __tablename__ = "policy_element_event"
    __table_args__ = (sa.Index("ix_policy_element_event_record", "record_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(
        sa.ForeignKey("policy_element_record.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(sa.String(32))  # updated | verified | returned
    status: Mapped[ElementStatus]
    verification: Mapped[Verification]
    in_place_on: Mapped[date | None]
    review_on: Mapped[date | None]
    evidence_note: Mapped[str | None] = mapped_column(sa.String(500))
    document_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("policy_document.id", ondelete="SET NULL"))
    comment: Mapped[str | None] = mapped_column(sa.String(500))
    actor_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    actor: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<PolicyElementEvent record={self.record_id} {self.action}>"
