"""Live training sessions (in person or online), their bookings, waiting lists and attendance.

A session's `booked_count` is kept in step with its booked places under the session row's lock
(services/live_sessions.py), so capacity holds under parallel bookings and list pages show the
places left without counting rows.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Base, utcnow
from portal.models.organisations import Borough

if TYPE_CHECKING:
    from portal.models.people import User
    from portal.models.training import Course

# A person holds at most one place or waiting-list entry per session, even under races.
ACTIVE = "status IN ('booked', 'waiting')"


class SessionMode(enum.StrEnum):
    IN_PERSON = "in_person"
    ONLINE = "online"

    @property
    def label(self) -> str:
        return "In person" if self is SessionMode.IN_PERSON else "Online"


class BookingStatus(enum.StrEnum):
    BOOKED = "booked"
    WAITING = "waiting"
    CANCELLED = "cancelled"


class Attendance(enum.StrEnum):
    """Only whether the person was there: never a note about them."""

    ATTENDED = "attended"
    ABSENT = "absent"
    LEFT_EARLY = "left_early"

    @property
    def label(self) -> str:
        return ATTENDANCE_LABELS[self]


ATTENDANCE_LABELS = {Attendance.ATTENDED: "Attended", Attendance.ABSENT: "Absent",
                     Attendance.LEFT_EARLY: "Left early"}


class LiveSession(Base):
    __tablename__ = "live_session"
    __table_args__ = (
        sa.CheckConstraint("capacity > 0", name="capacity_positive"),
        sa.CheckConstraint("booked_count >= 0 AND booked_count <= capacity",
                           name="booked_within_capacity"),
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        sa.Index("ix_live_session_starts_at", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("course.id"), index=True)
    mode: Mapped[SessionMode]
    venue: Mapped[str] = mapped_column(sa.String(200), default="")
    borough: Mapped[Borough | None]
    access_info: Mapped[str] = mapped_column(sa.Text, default="")
    joining_link: Mapped[str] = mapped_column(sa.String(500), default="")  # booked people only
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    capacity: Mapped[int]
    booked_count: Mapped[int] = mapped_column(default=0)
    # The trainer a coordinator appointed: they see and mark attendance for this session only.
    trainer_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Kept, not deleted, when called off: its bookings and the audit trail still point at it.
    cancelled_at: Mapped[datetime | None]
    # The calendar invitation's SEQUENCE (RFC 5545): raised each time the date, time or place
    # changes, so calendars replace the entry they hold rather than add a second one.
    invitation_sequence: Mapped[int] = mapped_column(default=0)

    course: Mapped[Course] = relationship()
    trainer: Mapped[User | None] = relationship(foreign_keys=[trainer_id])

    @property
    def places_left(self) -> int:
        return self.capacity - self.booked_count

    def has_started(self, now: datetime) -> bool:
        return self.starts_at <= now

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None

    def is_open(self, now: datetime) -> bool:
        """Bookings, places and details can still change: not started and not called off."""
        return not self.is_cancelled and not self.has_started(now)

    def __repr__(self) -> str:
        return f"<LiveSession {self.id}>"


class SessionBooking(Base):
    """A place (or a waiting-list entry, in id order) for one person at one session."""

    __tablename__ = "session_booking"
    __table_args__ = (
        sa.Index("uq_session_booking_active", "session_id", "user_id", unique=True,
                 postgresql_where=sa.text(ACTIVE), sqlite_where=sa.text(ACTIVE)),
        sa.Index("ix_session_booking_user", "user_id"),
        sa.Index("ix_session_booking_queue", "session_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("live_session.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"))
    status: Mapped[BookingStatus]
    # Who made the booking: the person, or their HR lead for them.
    booked_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    promoted_at: Mapped[datetime | None]  # moved from the waiting list to a place
    cancelled_at: Mapped[datetime | None]
    attendance: Mapped[Attendance | None]
    attendance_marked_at: Mapped[datetime | None]
    attendance_marked_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"))

    live_session: Mapped[LiveSession] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])

    def __repr__(self) -> str:
        return f"<SessionBooking {self.id} {self.status}>"
