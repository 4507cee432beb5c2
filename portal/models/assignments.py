"""Assignments: a course or module a person in an organisation is asked to complete by a date."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Base, utcnow

if TYPE_CHECKING:
    from portal.models.organisations import Organisation
    from portal.models.people import User
    from portal.models.training import Course, Module

OPEN = "cancelled_at IS NULL"
# Not cancelled and not yet completed: what reminders, "overdue" and the dashboard count.
PENDING = "cancelled_at IS NULL AND completed_at IS NULL"


class AssignmentSource(enum.StrEnum):
    AUTOMATIC = "automatic"  # a required course, assigned when the membership started
    HR_LEAD = "hr_lead"


class Assignment(Base):
    """One person's assignment of a whole course or a single module, within one organisation.

    `completed_at` is set in the same transaction as the completion (or certificate) that
    satisfies it, so "overdue" is a plain indexed query: open, not completed, due before today.
    """

    __tablename__ = "assignment"
    __table_args__ = (
        sa.CheckConstraint("(course_id IS NULL) <> (module_id IS NULL)",
                           name="course_or_module"),
        sa.Index("ix_assignment_org_due", "organisation_id", "due_on"),
        # At most one pending assignment of a course (or module) per person and organisation,
        # even when the automatic assignment, the daily catch-up and an HR lead race.
        sa.Index("uq_assignment_pending_course", "organisation_id", "user_id", "course_id",
                 unique=True, sqlite_where=sa.text(f"{PENDING} AND course_id IS NOT NULL"),
                 postgresql_where=sa.text(f"{PENDING} AND course_id IS NOT NULL")),
        sa.Index("uq_assignment_pending_module", "organisation_id", "user_id", "module_id",
                 unique=True, sqlite_where=sa.text(f"{PENDING} AND module_id IS NOT NULL"),
                 postgresql_where=sa.text(f"{PENDING} AND module_id IS NOT NULL")),
        # The reminder job's scan: pending assignments by due date, across all organisations.
        sa.Index("ix_assignment_pending_due", "due_on", sqlite_where=sa.text(PENDING),
                 postgresql_where=sa.text(PENDING)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisation.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int | None] = mapped_column(sa.ForeignKey("course.id"))
    module_id: Mapped[int | None] = mapped_column(sa.ForeignKey("module.id"))
    source: Mapped[AssignmentSource]
    due_on: Mapped[date]
    assigned_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    cancelled_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"))

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    assigned_by: Mapped[User | None] = relationship(foreign_keys=[assigned_by_id])
    course: Mapped[Course | None] = relationship()
    module: Mapped[Module | None] = relationship()

    organisation: Mapped[Organisation] = relationship()

    @property
    def is_open(self) -> bool:
        return self.cancelled_at is None

    @property
    def is_pending(self) -> bool:
        return self.cancelled_at is None and self.completed_at is None

    @property
    def title(self) -> str:
        """The course's title, or the module's current title."""
        if self.course is not None:
            return self.course.title
        version = self.module.current_version if self.module is not None else None
        return version.title if version is not None else ""

    def __repr__(self) -> str:
        return f"<Assignment {self.id} user={self.user_id} org={self.organisation_id}>"
