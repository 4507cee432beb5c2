"""The employer self-assessment and the action plan that grows from it.

Both are about the organisation, never about a person: the answers describe its policy and
practice, and an action's owner is a role ("HR lead", "Line managers"), never someone's name.
The questions themselves are versioned data in portal/data/self-assessment.yaml.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base, utcnow


class SelfAssessment(Base):
    """One taking of the self-assessment: in progress until submitted, then kept as history."""

    __tablename__ = "self_assessment"
    __table_args__ = (sa.Index("ix_self_assessment_org_submitted", "organisation_id",
                               "submitted_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisation.id", ondelete="CASCADE"))
    question_set_version: Mapped[int]
    answers: Mapped[dict] = mapped_column(sa.JSON, default=dict)  # question key: answer key
    scores: Mapped[dict | None] = mapped_column(sa.JSON)  # section key: percent, once submitted
    started_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    submitted_at: Mapped[datetime | None]

    def __repr__(self) -> str:
        return f"<SelfAssessment {self.id} org={self.organisation_id}>"


class ActionStatus(enum.StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    DONE = "done"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class OwnerRole(enum.StrEnum):
    """Who does an action, as a role: never a named person (and never a victim or a case)."""

    HR_LEAD = "hr_lead"
    LEADERSHIP = "leadership"
    LINE_MANAGERS = "line_managers"
    CHAMPIONS = "champions"
    COMMUNICATIONS = "communications"
    FACILITIES = "facilities"

    @property
    def label(self) -> str:
        return OWNER_LABELS[self]


OWNER_LABELS = {OwnerRole.HR_LEAD: "HR lead", OwnerRole.LEADERSHIP: "Senior leadership",
                OwnerRole.LINE_MANAGERS: "Line managers",
                OwnerRole.CHAMPIONS: "Workplace Champions",
                OwnerRole.COMMUNICATIONS: "Internal communications",
                OwnerRole.FACILITIES: "Facilities or site management"}


class PlanAction(Base):
    """One action in an organisation's plan, usually made from a self-assessment
    recommendation (`question_key`); `element_key` ties it to a policy framework element."""

    __tablename__ = "plan_action"
    __table_args__ = (sa.Index("ix_plan_action_org_status", "organisation_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisation.id", ondelete="CASCADE"))
    question_key: Mapped[str | None] = mapped_column(sa.String(64))
    element_key: Mapped[str | None] = mapped_column(sa.String(64))
    title: Mapped[str] = mapped_column(sa.String(200))
    owner_role: Mapped[OwnerRole]
    due_on: Mapped[date] = mapped_column(index=True)
    status: Mapped[ActionStatus] = mapped_column(default=ActionStatus.NOT_STARTED)
    completed_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"))

    @property
    def is_open(self) -> bool:
        return self.status != ActionStatus.DONE

    def __repr__(self) -> str:
        return f"<PlanAction {self.id} org={self.organisation_id}>"
