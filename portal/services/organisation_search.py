"""Coordinators' organisation search: the organisations list and the exports share it.

The same filters as the dashboard (portal/services/monitoring.py), plus a name or number, a
status and a sort order. A page of the list costs three statements however many organisations
there are, and is found by keyset (see below), never by skipping rows of the whole list.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    exists,
    false,
    func,
    or_,
    select,
    tuple_,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import ColumnCollection, Subquery

from portal.models import Borough, Organisation, SchemeStatus, Site, normalise_name
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
    stale_link: bool = False  # a page link whose organisation is gone: the first page instead

    @property
    def pages(self) -> int:
        return max((self.total + self.per_page - 1) // self.per_page, 1)


# --- The organisations list's pages, by keyset ------------------------------------------------
#
# Later pages are found from where the page before (or after) ended, not by skipping rows with
# OFFSET: a link to the next page names the last organisation on this one (`?after=<id>`), a
# link to the previous page the first (`?before=<id>`), and the last page is the first page of
# the reversed order. The database then reads only a page of rows from the sort's order, and
# the list's rows are narrow (ids and sort keys), so it does not add up headcounts for every
# organisation either unless the sort or a filter needs them. The boundary organisation's keys
# are read by the same statement (scalar subqueries run once), so a link is just an id: nothing
# to forge but a number, and an id that is not listed gets the first page.

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _keys(columns: ColumnCollection, sort: Sort) -> list[tuple[ColumnElement, bool]]:
    """The sort's keys (expression, descending), none of them NULL, before the id: the same
    order as `ordered`, with a flag first where a key can be missing (missing ones last)."""
    approved, renewal = columns.approved_at, columns.renewal_due_on
    keys = {
        Sort.NAME: [(func.lower(columns.name), False)],
        Sort.NEWEST: [(columns.applied_at, True)],
        Sort.APPROVED: [(case((approved.is_(None), 1), else_=0), False),
                        (func.coalesce(approved, EPOCH), True)],
        Sort.RENEWAL: [(case((renewal.is_(None), 1), else_=0), False),
                       (func.coalesce(renewal, EPOCH.date()), False)],
        Sort.EMPLOYEES: [(columns.employees, True)],
    }
    return [*keys[sort], (columns.id, False)]


def _everyone() -> Subquery:
    return organisations_in_view(Filters()).subquery("boundary")


def _beyond(orgs: Subquery, sort: Sort, cursor: int, forward: bool) -> ColumnElement[bool]:
    """Rows after (forward) or before the organisation `cursor` in the sort's order."""
    everyone = _everyone()
    row_keys = _keys(orgs.c, sort)
    boundary = [select(expression).where(everyone.c.id == cursor).scalar_subquery()
                for expression, _descending in _keys(everyone.c, sort)]
    if len({descending for _e, descending in row_keys}) == 1:  # one direction: a row value
        descending = row_keys[0][1]
        ours, theirs = tuple_(*(e for e, _d in row_keys)), tuple_(*boundary)
        return ours < theirs if descending == forward else ours > theirs
    alternatives = []
    for index, (expression, descending) in enumerate(row_keys):
        later = expression < boundary[index] if descending == forward \
            else expression > boundary[index]
        alternatives.append(and_(*(row_keys[n][0] == boundary[n] for n in range(index)), later))
    return or_(*alternatives)


def _page_ids(orgs: Subquery, sort: Sort, where: ColumnElement[bool] | None, forward: bool,
              start: int, count: int) -> Subquery:
    """Ids and sort keys of a page: `count` rows from `start` in the order (or the reversed
    order), of those `where` allows."""
    keys = _keys(orgs.c, sort)
    query = select(orgs.c.id.label("page_id"),
                   *(expression.label(f"key_{n}") for n, (expression, _d) in enumerate(keys)))
    if where is not None:
        query = query.where(where)
    return (query.order_by(*(expression.desc() if descending == forward else expression.asc()
                             for expression, descending in keys))
            .offset(start).limit(count).subquery("page"))


def _listed(page: Subquery, orgs: Subquery, sort: Sort) -> Select:
    """The list's columns for a page of ids, in the sort's order; headcounts are added up for
    these rows only."""
    employees = (select(func.coalesce(func.sum(Site.headcount), 0))
                 .where(Site.organisation_id == Organisation.id).scalar_subquery())
    keys = [column for column in page.c if column.name.startswith("key_")]
    directions = [descending for _e, descending in _keys(orgs.c, sort)]
    return (select(Organisation.id, Organisation.name, Organisation.scheme_status.label("status"),
                   Organisation.tier, Organisation.sector, employees.label("employees"),
                   Organisation.renewal_due_on)
            .join(page, page.c.page_id == Organisation.id)
            .order_by(*(key.desc() if descending else key.asc()
                        for key, descending in zip(keys, directions, strict=True))))


def organisations_page(session: Session, search: OrganisationSearch, page: int | None = 1,
                       per_page: int = PAGE_SIZE, *, after: int | None = None,
                       before: int | None = None) -> Page:
    """A page of the list: after or before an organisation (links from another page), or by
    number (1, the last, or a number typed in). Three statements: the count, the page, the
    page's boroughs.

    With `after` or `before`, `page` is only the number to show (the links carry it); without
    it the count also works out where the page falls, which reads every matching row's keys.
    """
    orgs = matching(search)
    cursor, forward = (after, True) if after is not None else (before, False)
    beyond = _beyond(orgs, search.sort, cursor, forward) if cursor is not None else None
    counted: list[ColumnElement] = [func.count()]
    if beyond is not None:
        everyone = _everyone()
        counted.append(exists(select(everyone.c.id).where(everyone.c.id == cursor)))
        if page is None:
            counted.append(func.sum(case((beyond, 1), else_=0)))
    figures = session.execute(select(*counted).select_from(orgs)).one()
    total = figures[0] or 0
    pages = max((total + per_page - 1) // per_page, 1)
    if beyond is not None and figures[1]:
        rows = list(session.execute(_listed(
            _page_ids(orgs, search.sort, beyond, forward, 0, per_page), orgs, search.sort)))
        if page is None:
            place = total - (figures[2] or 0) if forward else (figures[2] or 0) - len(rows)
            page = place // per_page + 1
        if rows:
            return Page(rows, boroughs_of(session, [row.id for row in rows]), total,
                        min(max(page, 1), pages), per_page)
        page = 1 if not forward else pages  # nothing beyond it now: the end it was heading to
        beyond = None
    number = 1 if beyond is not None else min(max(page or 1, 1), pages)
    if number == pages and number > 1:  # the last page: the first of the reversed order
        ids = _page_ids(orgs, search.sort, None, False, 0, total - (pages - 1) * per_page)
    else:  # the first page, or a number typed in (skipping rows of ids and keys only)
        ids = _page_ids(orgs, search.sort, None, True, (number - 1) * per_page, per_page)
    rows = list(session.execute(_listed(ids, orgs, search.sort))) if total else []
    return Page(rows, boroughs_of(session, [row.id for row in rows]), total, number, per_page,
                stale_link=beyond is not None)


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
