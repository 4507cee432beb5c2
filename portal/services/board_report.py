"""The board report: the dashboard's figures for a quarter or a year, beside the previous period
and the same period a year earlier.

A period's figures are exactly the coordinator's dashboard (services/monitoring.py) with its date
filter set to the period — organisations whose application was received in it, as they stand now,
and the champions of those organisations — so the report and the dashboard always agree, and every
count of people in it is the dashboard's protected cell (services/small_numbers.py). Three periods
cost three times the dashboard's statements, however much data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from sqlalchemy import String, cast, delete, exists, literal, select
from sqlalchemy.orm import Session

from portal.mail import queue_email
from portal.models import OutboxMessage, ReportSubscription, User
from portal.services.audit import record_event
from portal.services.emails import absolute_url, subject
from portal.services.monitoring import Dashboard, dashboard
from portal.services.monitoring_filters import Filters
from portal.services.sql import rowcount

_PERIOD = re.compile(r"(\d{4})(?:-Q([1-4]))?")
EARLIEST_YEAR = 2020


@dataclass(frozen=True)
class Period:
    year: int
    quarter: int | None = None  # None: the whole year

    @property
    def start(self) -> date:
        return date(self.year, 1 + 3 * (self.quarter - 1) if self.quarter else 1, 1)

    @property
    def end(self) -> date:
        """The last day of the period."""
        if self.quarter is None or self.quarter == 4:
            return date(self.year, 12, 31)
        return date(self.year, 1 + 3 * self.quarter, 1) - timedelta(days=1)

    @property
    def key(self) -> str:
        return f"{self.year}-Q{self.quarter}" if self.quarter else str(self.year)

    @property
    def label(self) -> str:
        if self.quarter is None:
            return str(self.year)
        return f"{self.start:%B} to {self.end:%B} {self.year}"

    def previous(self) -> Period:
        if self.quarter is None:
            return Period(self.year - 1)
        return Period(self.year - 1, 4) if self.quarter == 1 else Period(self.year,
                                                                        self.quarter - 1)

    def year_earlier(self) -> Period:
        return Period(self.year - 1, self.quarter)

    def filters(self, filters: Filters) -> Filters:
        """The dashboard's filters for this period (its date filter set to the period)."""
        return replace(filters, applied_from=self.start, applied_to=self.end)


def parse_period(text: str | None, today: date) -> Period | None:
    """ "2026-Q3" or "2026", not in the future nor before EARLIEST_YEAR; None otherwise."""
    match = _PERIOD.fullmatch((text or "").strip())
    if not match:
        return None
    period = Period(int(match[1]), int(match[2]) if match[2] else None)
    return period if EARLIEST_YEAR <= period.year and period.start <= today else None


def last_complete_quarter(today: date) -> Period:
    this = Period(today.year, (today.month - 1) // 3 + 1)
    return this.previous()


def period_choices(today: date) -> list[Period]:
    """The periods offered: this quarter and the seven before, this year and the two before."""
    quarters = [Period(today.year, (today.month - 1) // 3 + 1)]
    while len(quarters) < 8:
        quarters.append(quarters[-1].previous())
    return quarters + [Period(today.year - n) for n in range(3)]


@dataclass(frozen=True)
class BoardReport:
    period: Period
    current: Dashboard
    previous: Dashboard
    year_earlier: Dashboard


def board_report(session: Session, period: Period, filters: Filters,
                 now: datetime) -> BoardReport:
    return BoardReport(
        period,
        dashboard(session, period.filters(filters), now),
        dashboard(session, period.previous().filters(filters), now),
        dashboard(session, period.year_earlier().filters(filters), now))


# --- The monthly e-mail link --------------------------------------------------------------------

def is_subscribed(session: Session, user: User) -> bool:
    return session.scalar(select(ReportSubscription.id)
                          .where(ReportSubscription.user_id == user.id)) is not None


def subscribe(session: Session, user: User, *, request_id: str | None = None) -> None:
    """Ask for the monthly link (again is a no-op); audited. Not committed."""
    if not is_subscribed(session, user):
        session.add(ReportSubscription(user_id=user.id))
        record_event(session, "report.subscribed", actor=user, request_id=request_id)


def unsubscribe(session: Session, user: User, *, request_id: str | None = None) -> None:
    if rowcount(session.execute(delete(ReportSubscription)
                                .where(ReportSubscription.user_id == user.id))):
        record_event(session, "report.unsubscribed", actor=user, request_id=request_id)


def send_monthly_links(session: Session, today: date) -> int:
    """Once a month (the first daily run of the month), e-mail each subscribed coordinator a
    link to the last complete quarter's report: the link only, never a figure. Idempotent: one
    message per person per month (its dedupe key). Not committed."""
    month = f"{today:%Y-%m}"
    people = list(session.scalars(
        select(User).join(ReportSubscription, ReportSubscription.user_id == User.id)
        .where(User.is_coordinator, User.is_active, User.erased_at.is_(None),
               ~exists().where(OutboxMessage.dedupe_key == literal(
                   f"board-report:{month}:", String).concat(cast(User.id, String))))
        .order_by(User.id)))
    period = last_complete_quarter(today)
    for person in people:
        queue_email(session, kind="board_report", to=person.email,
                    dedupe_key=f"board-report:{month}:{person.id}",
                    subject=subject(session, "Your monthly report link"),
                    template="board_report", person=person, period=period,
                    link=absolute_url(session, "monitoring.report", period=period.key))
    return len(people)
