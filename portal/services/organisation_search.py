"""Coordinators' organisation search: the organisations list and the exports share it.

The same filters as the dashboard (portal/services/monitoring.py), plus a name or number, a
status and a sort order. A page costs three statements however many organisations there are.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Select, false, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import Subquery

from portal.models import Borough, SchemeStatus, Site, normalise_name
from portal.services.monitoring_filters import Filters, long_date, organisations_in_view
from portal.services.organisations import (
    lapsed_since,
    normalise_registered_number,
    renewal_due_by,
)

PAGE_SIZE = 50
MAX_PAGE = 100_000


class Sort(enum.StrEnum):
    NAME = "name"
    NEWEST = "newest"
    APPROVED = "approved"
    RENEWAL = "renewal"
    EMPLOYEES = "employees"

    @property
    def label(self) -> str:
        return SORT_LABELS[self]


SORT_LABELS = {
    Sort.NAME: "Name (A to Z)",
    Sort.NEWEST: "Newest application first",
    Sort.APPROVED: "Most recently approved first",
    Sort.RENEWAL: "Renewal date (soonest first)",
    Sort.EMPLOYEES: "Employees (most first)",
}


@dataclass(frozen=True)
class OrganisationSearch:
    filters: Filters = field(default_factory=Filters)
    text: str = ""
    status: SchemeStatus | None = None
    sort: Sort = Sort.NAME
    # The coordinator's work queues link here with these (ISO dates in the URL).
    renewal_due_by: date | None = None
    lapsed_since: date | None = None

    def query_args(self) -> dict[str, str]:
        args = self.filters.query_args()
        if self.text:
            args["search"] = self.text
        if self.status is not None:
            args["status"] = self.status.value
        if self.renewal_due_by is not None:
            args["renewal_due_by"] = self.renewal_due_by.isoformat()
        if self.lapsed_since is not None:
            args["lapsed_since"] = self.lapsed_since.isoformat()
        if self.sort is not Sort.NAME:
            args["sort"] = self.sort.value
        return args

    def describe(self) -> list[tuple[str, str]]:
        described = []
        if self.text:
            described.append(("Name or number", self.text))
        if self.status is not None:
            described.append(("Status", self.status.label))
        if self.renewal_due_by is not None:
            described.append(("Renewal due by", long_date(self.renewal_due_by)))
        if self.lapsed_since is not None:
            described.append(("Lapsed since", long_date(self.lapsed_since)))
        return described + self.filters.describe()


def matching(search: OrganisationSearch) -> Subquery:
    """The organisations the search finds, one row each, with the columns lists need."""
    query = organisations_in_view(search.filters)
    if search.renewal_due_by is not None:
        query = query.where(renewal_due_by(search.renewal_due_by))
    if search.lapsed_since is not None:
        query = query.where(lapsed_since(search.lapsed_since))
    orgs = query.subquery("found")
    outer = select(orgs)
    if search.text:
        key, number = normalise_name(search.text), normalise_registered_number(search.text)
        outer = outer.where(or_(
            orgs.c.name_key.contains(key, autoescape=True) if key else false(),
            orgs.c.registered_number == number if number else false()))
    if search.status is not None:
        outer = outer.where(orgs.c.status == search.status)
    return outer.subquery("matching")


def ordered(query: Select, orgs: Subquery, sort: Sort, reverse: bool = False) -> Select:
    """The query in the sort's order, or in exactly the opposite order if reverse.

    Every key has NULLS FIRST/LAST left to the database's default, which flips with the
    direction (on PostgreSQL and SQLite alike), and the id breaks ties, so the reversed order
    is the exact mirror of the forward one.
    """
    keys = {  # (expression, descending)
        Sort.NAME: ((func.lower(orgs.c.name), False),),
        Sort.NEWEST: ((orgs.c.applied_at, True),),
        Sort.APPROVED: ((orgs.c.approved_at.is_(None), False), (orgs.c.approved_at, True)),
        Sort.RENEWAL: ((orgs.c.renewal_due_on.is_(None), False), (orgs.c.renewal_due_on, False)),
        Sort.EMPLOYEES: ((orgs.c.employees, True),),
    }
    return query.order_by(*(expression.desc() if descending != reverse else expression.asc()
                            for expression, descending in (*keys[sort], (orgs.c.id, False))))


@dataclass(frozen=True)
class Page:
    rows: list
    boroughs: dict[int, list[Borough]]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max((self.total + self.per_page - 1) // self.per_page, 1)


def organisations_page(session: Session, search: OrganisationSearch, page: int,
                       per_page: int = PAGE_SIZE) -> Page:
    orgs = matching(search)
    total = session.scalar(select(func.count()).select_from(orgs)) or 0
    rows = page_rows(session, orgs, search.sort, total, (page - 1) * per_page, per_page)
    return Page(rows, boroughs_of(session, [row.id for row in rows]), total, page, per_page)


def page_rows(session: Session, orgs: Subquery, sort: Sort, total: int, start: int,
              per_page: int) -> list:
    """Rows start to start + per_page in the sort's order.

    The database still sorts and skips every row before an OFFSET, so a page in the second
    half is read from the other end (the reversed order, a smaller offset) and turned round.
    """
    end = min(start + per_page, total)
    if start >= end:
        return []  # past the last page
    if start <= total - end:
        return list(session.execute(ordered(select(orgs), orgs, sort)
                                    .offset(start).limit(end - start)))
    backwards = ordered(select(orgs), orgs, sort, reverse=True)
    return list(session.execute(backwards.offset(total - end).limit(end - start)))[::-1]


def boroughs_of(session: Session, organisation_ids: list[int]) -> dict[int, list[Borough]]:
    """The boroughs each organisation has sites in, in the order of the Borough list."""
    found: dict[int, set[Borough]] = defaultdict(set)
    if organisation_ids:
        for organisation_id, borough in session.execute(
                select(Site.organisation_id, Site.borough)
                .where(Site.organisation_id.in_(organisation_ids)).distinct()):
            found[organisation_id].add(borough)
    order = list(Borough)
    return {key: sorted(values, key=order.index) for key, values in found.items()}
