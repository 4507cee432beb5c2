"""The worker's daily jobs: lapse memberships, re-check tiers, catch up required training, send
reminders, apply the retention schedule.

`run_daily_jobs` is safe to run many times a day and on several workers at once. On PostgreSQL
the first worker takes an advisory lock and the others skip the run (SECURITY.md REL-15); every
step is idempotent by itself as well (conditional updates, unique indexes with ON CONFLICT DO
NOTHING, the reminder table and per-person-per-day digest keys), so correctness never depends on
the lock.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from portal.services.assignments import catch_up_required_assignments
from portal.services.board_report import send_monthly_links
from portal.services.organisations import lapse_overdue_organisations
from portal.services.reminders import send_reminders
from portal.services.retention import apply_retention
from portal.services.tiers import refresh_all_tiers

ADVISORY_LOCK_KEY = 7_240_001  # any constant shared by every worker of this portal
RETRY_AFTER = timedelta(minutes=15)


@dataclass(frozen=True)
class DailyReport:
    ran: bool
    lapsed: int = 0
    assigned: int = 0
    digests: int = 0
    tiers_changed: int = 0
    retention: dict[str, int] | None = None


@contextmanager
def exclusive_run(session: Session) -> Iterator[bool]:
    """True if this worker may run the jobs now: it holds the PostgreSQL advisory lock (on its
    own connection, released at the end), or the database has no such locks (SQLite)."""
    engine = session.get_bind()
    if engine.dialect.name != "postgresql" or not isinstance(engine, Engine):
        yield True
        return
    with engine.connect() as connection:
        acquired = bool(connection.scalar(select(func.pg_try_advisory_lock(ADVISORY_LOCK_KEY))))
        connection.commit()
        try:
            yield acquired
        finally:
            if acquired:
                connection.execute(select(func.pg_advisory_unlock(ADVISORY_LOCK_KEY)))
                connection.commit()


def run_daily_jobs(session: Session, today: date, now: datetime | None = None) -> DailyReport:
    """Everything the scheme does once a day, each step committed on its own.

    `now` is the moment tiers and retention are judged at (default: midday of `today`, UTC).
    """
    now = now or datetime.combine(today, time(12), tzinfo=UTC)
    with exclusive_run(session) as acquired:
        if not acquired:
            return DailyReport(ran=False)
        lapsed = lapse_overdue_organisations(session, today=today)
        session.commit()
        # After lapsing, and daily anyway: certificates expire with no event to react to.
        tiers_changed = refresh_all_tiers(session, now)
        session.commit()
        assigned = catch_up_required_assignments(session, today=today)
        session.commit()
        digests = send_reminders(session, today=today)
        send_monthly_links(session, today)
        session.commit()
        retention = apply_retention(session, now)
        session.commit()
    return DailyReport(ran=True, lapsed=lapsed, assigned=assigned, digests=digests,
                       tiers_changed=tiers_changed, retention=retention.counts)


class DailyTimer:
    """When a long-running worker should next run the daily jobs: once per UTC day, from
    `hour` o'clock, and again after RETRY_AFTER if a run failed."""

    def __init__(self, hour: int) -> None:
        self.hour = hour
        self.done_on: date | None = None
        self.retry_at: datetime | None = None

    def is_due(self, now: datetime) -> bool:
        if self.done_on == now.date() or now.hour < self.hour:
            return False
        return self.retry_at is None or now >= self.retry_at

    def succeeded(self, now: datetime) -> None:
        self.done_on, self.retry_at = now.date(), None

    def failed(self, now: datetime) -> None:
        self.retry_at = now + RETRY_AFTER
