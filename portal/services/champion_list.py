"""An HR lead's list of their champions: search, filter, sort and pages, and a status-only CSV.

The champions page and the HR lead's dashboard share it. A page is one statement over
`hr_dashboard.champion_summary` (filtered, sorted and cut to the page in SQL, with the number
found alongside), so no more than a page of rows is read back or rendered.
Only statuses, counts of modules passed and dates: never answers, scores or attempts (P4).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, case, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import Subquery

from portal import clock
from portal.models import Membership, Organisation
from portal.services.exports import csv_chunks
from portal.services.hr_dashboard import (
    ChampionRow,
    RequiredModule,
    champion_row,
    champion_summary,
    required_modules,
    status_of,
    summary_columns,
)

PAGE_SIZE = 50
SEARCH_MAX_LENGTH = 100
STATUSES = ("Trained", "In training", "Not started", "Certificate expired")
SORTS = {"name": "Name (A to Z)", "site": "Site", "status": "Training status",
         "since": "Champion since (newest first)", "expires": "Certificate expires (soonest)"}
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
    search: str = ""  # in the name or email address
    site_id: int | None = None  # 0: champions with no site
    status: str | None = None
    overdue: bool = False
    sort: str = "name"

    @property
    def active(self) -> bool:
        return bool(self.search or self.site_id is not None or self.status or self.overdue)

    def query_args(self) -> dict[str, str]:
        """The filters as URL arguments, as the filter form sends them (for page links)."""
        args = {"q": self.search, "site": "" if self.site_id is None else str(self.site_id),
                "status": self.status or "", "overdue": "yes" if self.overdue else "",
                "sort": "" if self.sort == "name" else self.sort}
        return {key: value for key, value in args.items() if value}


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


def _conditions(summary: Subquery, filters: ChampionFilters) -> list[ColumnElement[bool]]:
    columns = summary.c
    conditions: list[ColumnElement[bool]] = []
    if filters.search:
        conditions.append(columns.name.icontains(filters.search, autoescape=True)
                          | columns.email.icontains(filters.search, autoescape=True))
    if filters.site_id == 0:
        conditions.append(columns.site_id.is_(None))
    elif filters.site_id is not None:
        conditions.append(columns.site_id == filters.site_id)
    if filters.status:
        conditions.append(status_of(summary) == filters.status)
    if filters.overdue:
        conditions.append(columns.overdue > 0)
    return conditions


def _ordered(query: Select, summary: Subquery, sort: str) -> Select:
    """The sort's keys, then the name and the membership id: every order is total."""
    columns = summary.c
    certified = func.coalesce(columns.current, 0) > 0
    keys = {
        "site": (columns.site_name.is_(None), func.lower(columns.site_name)),
        "status": (case(*((status_of(summary) == status, number)
                          for number, status in enumerate(STATUSES)), else_=len(STATUSES)),),
        "since": (columns.since.desc(),),
        "expires": (case((certified & columns.expires_at.is_not(None), 0), else_=1),
                    case((certified, columns.expires_at))),
    }
    return query.order_by(*keys.get(sort, ()), func.lower(columns.name), columns.membership_id)


def _listed(row: Any, modules: int) -> ListedChampion:
    """From a row of `summary_columns`, then the job title and the date they became one."""
    return ListedChampion(champion_row(row, modules), row[11], _aware(row[12]))


def champion_page(session: Session, organisation: Organisation, filters: ChampionFilters,
                  page: int, now: datetime, *, modules: list[RequiredModule] | None = None,
                  summary: Subquery | None = None, everyone: int | None = None) -> ChampionPage:
    """One page of the champions the filters find, in the sort's order; a page past the last
    shows the last. The dashboard passes what it has already: the required modules, the
    champion summary and the number of current champions."""
    modules = required_modules(session) if modules is None else modules
    summary = champion_summary(organisation, modules, now) if summary is None else summary
    query = _ordered(select(*summary_columns(summary), summary.c.job_title, summary.c.since,
                            func.count().over().label("found"))
                     .where(*_conditions(summary, filters)), summary, filters.sort)
    page = max(page, 1)
    rows = session.execute(query.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all()
    total = rows[0].found if rows else 0
    if not rows and page > 1:  # past the end: count, then show the last page
        total = session.scalar(select(func.count()).select_from(
            query.order_by(None).subquery())) or 0
        page = max(1, -(-total // PAGE_SIZE))
        rows = session.execute(query.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all() \
            if total else []
    if everyone is None:
        everyone = total if not filters.active else current_champion_count(session, organisation)
    return ChampionPage([_listed(row, len(modules)) for row in rows], total, everyone, page,
                        max(1, -(-total // PAGE_SIZE)))


def current_champion_count(session: Session, organisation: Organisation) -> int:
    return session.scalar(select(func.count()).where(
        Membership.organisation_id == organisation.id, Membership.is_current_champion)) or 0


def listed_champions(session: Session, organisation: Organisation,
                     now: datetime) -> list[ListedChampion]:
    """Every current champion, by name (the CSV): one statement."""
    modules = required_modules(session)
    summary = champion_summary(organisation, modules, now)
    rows = session.execute(_ordered(select(*summary_columns(summary), summary.c.job_title,
                                           summary.c.since), summary, "name"))
    return [_listed(row, len(modules)) for row in rows]


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


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
