"""An HR lead's list of their champions: search, filter, sort and pages, and a status-only CSV.

Built on `dashboard.champion_rows` (one statement for every current champion's training
summary) plus one statement for the membership details; an organisation has hundreds of
champions at most, so filtering and sorting the rows in Python costs less than a query a filter.
Only statuses, counts of modules passed and dates: never answers, scores or attempts (P4).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal import clock
from portal.models import Membership, Organisation, OrgRole
from portal.services.exports import csv_chunks
from portal.services.hr_dashboard import ChampionRow, champion_rows, required_modules

PAGE_SIZE = 50
STATUSES = ("Trained", "In training", "Not started", "Certificate expired")
SORTS = {"name": "Name (A to Z)", "site": "Site", "status": "Training status",
         "since": "Champion since (newest first)", "expires": "Certificate expires (soonest)"}
STATUS_ORDER = {status: number for number, status in enumerate(STATUSES)}
CSV_HEADER = ("Name", "Site", "Job title", "Champion since", "Training status",
              "Required modules passed", "Required modules", "Assignments due",
              "Assignments overdue", "Certificate valid until")


@dataclass(frozen=True)
class ListedChampion:
    row: ChampionRow
    job_title: str | None
    since: datetime


@dataclass(frozen=True)
class ChampionFilters:
    search: str = ""
    site_id: int | None = None  # 0: champions with no site
    status: str | None = None
    overdue: bool = False
    sort: str = "name"

    @property
    def active(self) -> bool:
        return bool(self.search or self.site_id is not None or self.status or self.overdue)


@dataclass(frozen=True)
class ChampionPage:
    champions: list[ListedChampion]
    total: int  # matching the filters
    everyone: int  # current champions, whatever the filters
    page: int
    pages: int

    @property
    def first(self) -> int:
        return (self.page - 1) * PAGE_SIZE + 1 if self.total else 0

    @property
    def last(self) -> int:
        return min(self.page * PAGE_SIZE, self.total)


def listed_champions(session: Session, organisation: Organisation,
                     now: datetime) -> list[ListedChampion]:
    rows = champion_rows(session, organisation, now, required_modules(session))
    details = {membership_id: (job_title, since) for membership_id, job_title, since in
                   session.execute(select(Membership.id, Membership.job_title,
                                          Membership.created_at)
                                   .where(Membership.organisation_id == organisation.id,
                                          Membership.role == OrgRole.CHAMPION,
                                          Membership.withdrawn_at.is_(None)))}
    return [ListedChampion(row, *details.get(row.membership_id, (None, now))) for row in rows]


def matches(champion: ListedChampion, filters: ChampionFilters) -> bool:
    row = champion.row
    if filters.search and filters.search.casefold() not in row.name.casefold():
        return False
    if filters.site_id is not None and (row.site_id or 0) != filters.site_id:
        return False
    if filters.status and row.status != filters.status:
        return False
    return not (filters.overdue and not row.overdue)


def _sort_key(sort: str) -> Callable[[Any], Any]:
    far = datetime.max.replace(tzinfo=UTC)
    keys = {
        "site": lambda c: ((c.row.site_name or "~").casefold(), c.row.name.casefold()),
        "status": lambda c: (STATUS_ORDER.get(c.row.status, 9), c.row.name.casefold()),
        "since": lambda c: (-_stamp(c.since), c.row.name.casefold()),
        "expires": lambda c: (_aware(c.row.expires_at) if c.row.certified
                              and c.row.expires_at else far, c.row.name.casefold()),
    }
    return keys.get(sort, lambda c: (c.row.name.casefold(), c.row.membership_id))


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _stamp(value: datetime) -> float:
    return value.timestamp() if value.tzinfo else value.replace(tzinfo=UTC).timestamp()


def champion_page(session: Session, organisation: Organisation, filters: ChampionFilters,
                  page: int, now: datetime) -> ChampionPage:
    everyone = listed_champions(session, organisation, now)
    found = sorted((c for c in everyone if matches(c, filters)), key=_sort_key(filters.sort))
    pages = max(1, -(-len(found) // PAGE_SIZE))
    page = min(max(page, 1), pages)
    start = (page - 1) * PAGE_SIZE
    return ChampionPage(found[start:start + PAGE_SIZE], len(found), len(everyone), page, pages)


def _day(value: datetime | date | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = (value if value.tzinfo else value.replace(tzinfo=UTC)) \
            .astimezone(clock.LONDON).date()
    return value.isoformat()


def _valid_until(row: ChampionRow) -> str:
    if not row.had_certificate:
        return "No certificate yet"
    if row.certified and row.never_expires:
        return "Does not expire"
    return _day(row.expires_at) if row.certified else f"Expired {_day(row.expires_at)}"


def status_csv(champions: list[ListedChampion]) -> Iterator[str]:
    """The training status of each champion: statuses, counts and dates, never scores."""
    return csv_chunks(CSV_HEADER, (
        (c.row.name, c.row.site_name or "No site", c.job_title or "", _day(c.since),
         c.row.status, c.row.passed, c.row.total, c.row.due, c.row.overdue,
         _valid_until(c.row)) for c in champions))
