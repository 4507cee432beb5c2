"""CSV exports: organisations, champions and their training status, and the dashboard's figures.

Each export is a generator of text chunks. Rows come from one statement read in batches (a
server-side cursor on PostgreSQL), so memory stays flat however many rows there are; views wrap
the generators in a streamed response, and the benchmark harness can drain them directly:

    with Session(engine) as session:
        for chunk in champions_csv(session, OrganisationSearch(), utcnow()):
            ...

Every text cell that a spreadsheet could read as a formula (starting with =, +, -, @, a tab or
a carriage return, or their full-width forms) gets a leading apostrophe (CSV-01). Small exports
pass every cell through `neutralise`; the champion export, hundreds of thousands of rows, passes
only the cells that hold text people typed (names, email addresses) and leaves the ids, counts,
dates and labels that this module makes itself.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, date, datetime
from itertools import groupby, islice
from typing import Any

from sqlalchemy import (
    ColumnElement,
    DateTime,
    Select,
    String,
    case,
    func,
    select,
    type_coerce,
)
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from portal import clock
from portal.models import (
    Borough,
    ElementStatus,
    Membership,
    PolicyElementRecord,
    SchemeStatus,
    Site,
    User,
    Verification,
)
from portal.models.base import UTCDateTime
from portal.services.monitoring import Dashboard
from portal.services.monitoring_filters import (
    SIZE_BAND_LABELS,
    SizeBand,
    certificate_summary,
    champions_in_view,
    local_today,
    overdue_assignments,
)
from portal.services.organisation_search import OrganisationSearch, matching, ordered
from portal.services.small_numbers import BASE, FEWER_THAN, MAX_ERROR, THRESHOLD, Cell

UK = clock.LONDON  # dates in files are the dates people in the region saw

FORMULA_STARTS = frozenset("=+-@\t\r\uff1d\uff0b\uff0d\uff20")
BATCH_ROWS = 5000
CHUNK_ROWS = 500

ORGANISATION_HEADER = (
    "Organisation ID", "Name", "Companies House or charity number", "Sector", "Status", "Tier",
    "Boroughs", "Sites", "Employees", "Size", "Application received", "Approved", "Renewal due",
    "Policy elements in place", "Policy elements verified", "In the public list")
CHAMPION_HEADER = (
    "Organisation ID", "Organisation", "Organisation status", "Site", "Borough", "Name",
    "Email address", "Champion since", "Training", "Last certified", "Certification valid until",
    "Overdue assignments")
FIGURES_HEADER = ("Section", "Item", "Measure", "Value", "Protection", "Note")


def neutralise(value: object) -> object:
    """A text cell a spreadsheet would run as a formula, made plain text with an apostrophe."""
    if value.__class__ is str and value:
        first = value[0]
        if first in FORMULA_STARTS or (first.isspace() and value.lstrip()[:1] in FORMULA_STARTS):
            return "'" + value
    return value


def csv_chunks(header: Sequence[str], rows: Iterable[Sequence[object]]) -> Iterator[str]:
    """UTF-8 CSV text with every cell neutralised (see `csv_text`)."""
    return csv_text(map(neutralise, header),
                    ([neutralise(cell) for cell in row] for row in rows))


def csv_text(header: Iterable[object], rows: Iterable[Sequence[object]]) -> Iterator[str]:
    """UTF-8 CSV text (with a byte-order mark, for spreadsheets), a few hundred rows a chunk.
    Cells are written as they come: the caller has neutralised any that people could type."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow(header)
    rows = iter(rows)
    while chunk := list(islice(rows, CHUNK_ROWS)):
        writer.writerows(chunk)  # one call a chunk: the per-row loop stays in C
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate(0)
    if buffer.tell():  # no rows at all: the header alone
        yield buffer.getvalue()


def filename(scheme_name: str, what: str, today: date) -> str:
    """A neutral download name: "workplace-champions-organisations-2026-11-21.csv"."""
    slug = re.sub(r"[^a-z0-9]+", "-", scheme_name.lower()).strip("-") or "export"
    return f"{slug}-{what}-{today.isoformat()}.csv"


def stream(session: Session, query: Select) -> Iterator[Row]:
    """Rows of one statement, fetched in batches; the cursor closes however the loop ends."""
    for batch in stream_batches(session, query):
        yield from batch


def stream_batches(session: Session, query: Select) -> Iterator[Sequence[Row]]:
    """Rows of one statement, a list of up to BATCH_ROWS at a time.
    Run on the session's connection: the rows are plain tuples, so the ORM's loading layer
    has nothing to do (a third of the time of a large export)."""
    result = session.connection().execute(query, execution_options={"yield_per": BATCH_ROWS})
    try:
        yield from result.partitions()
    finally:
        result.close()


def _day(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        if value.tzinfo is None:  # read raw from SQLite (see _stored): stored times are UTC
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UK).date()
    return value.isoformat()


def _label(value: object) -> str:
    return getattr(value, "label", "") if value is not None else ""


# --- Organisations ------------------------------------------------------------------------------

def organisation_rows(session: Session, search: OrganisationSearch) -> Iterator[tuple]:
    orgs = matching(search)
    verified = PolicyElementRecord.verification == Verification.VERIFIED
    policy = (select(PolicyElementRecord.organisation_id.label("organisation_id"),
                     func.count().label("in_place"),
                     func.sum(case((verified, 1), else_=0)).label("verified"))
              .where(PolicyElementRecord.status == ElementStatus.IN_PLACE)
              .group_by(PolicyElementRecord.organisation_id).subquery("policy"))
    query = ordered(select(orgs, Site.borough.label("site_borough"),
                           policy.c.in_place, policy.c.verified)
                    .outerjoin(Site, Site.organisation_id == orgs.c.id)
                    .outerjoin(policy, policy.c.organisation_id == orgs.c.id),
                    orgs, search.sort).order_by(Site.id)
    for _, group in groupby(stream(session, query), key=lambda row: row.id):
        sites = list(group)
        yield _organisation_row(sites[0], [site.site_borough for site in sites
                                           if site.site_borough is not None])


def _organisation_row(row: Row, boroughs: list[Borough]) -> tuple:
    order = list(Borough)
    names = "; ".join(b.label for b in sorted(set(boroughs), key=order.index))
    return (row.id, row.name, row.registered_number or "", row.sector.label, row.status.label,
            _label(row.tier), names, len(boroughs), row.employees,
            SIZE_BAND_LABELS[SizeBand(row.size_band)], _day(row.applied_at),
            _day(row.approved_at), _day(row.renewal_due_on), row.in_place or 0,
            int(row.verified or 0), "Yes" if row.listed_publicly else "No")


def organisations_csv(session: Session, search: OrganisationSearch) -> Iterator[str]:
    return csv_chunks(ORGANISATION_HEADER, organisation_rows(session, search))


# --- Champions and their training -------------------------------------------------------------

def champion_rows(session: Session, search: OrganisationSearch, now: datetime
                  ) -> Iterator[tuple]:
    """Current champions of the member organisations the search finds (the champions the
    dashboard counts, services/monitoring.py), with their training status.
    Text people typed is neutralised here; every other cell is one this module made."""
    for batch in stream_batches(session, _champion_query(search, now)):
        yield from map(_champion_row, batch)


def _champion_query(search: OrganisationSearch, now: datetime) -> Select:
    orgs = matching(search)
    certificates = certificate_summary(now).subquery("certificates")
    overdue = overdue_assignments(local_today(now)).subquery("overdue")
    query = (champions_in_view(orgs, search.filters)
             .add_columns(orgs.c.id, orgs.c.name, _stored(orgs.c.status), Site.name.label("site"),
                          _stored(Site.borough), User.full_name, User.email,
                          _stored(Membership.created_at, "since"),
                          certificates.c.user_id.label("trained"), certificates.c.current,
                          certificates.c.never_expires, _stored(certificates.c.expires_at),
                          _stored(certificates.c.last_issued_at), overdue.c.overdue)
             .join(User, User.id == Membership.user_id)
             .outerjoin(certificates, certificates.c.user_id == Membership.user_id)
             .outerjoin(overdue, (overdue.c.user_id == Membership.user_id)
                        & (overdue.c.organisation_id == Membership.organisation_id)))
    return ordered(query, orgs, search.sort).order_by(func.lower(User.full_name), Membership.id)


def _stored(column: Any, name: str | None = None) -> ColumnElement:
    """A column read as the database driver gives it, skipping the model's conversion:
    converting a national export's enums and times is over a tenth of its time. Enums stay
    the strings stored (the labels below are found by value); times stay as the driver
    reads them, without a zone on SQLite (`_day` treats those as UTC)."""
    plain = DateTime(timezone=True) if isinstance(column.type, UTCDateTime) else String()
    return type_coerce(column, plain).label(name or column.key)


# Labels looked up rather than computed, for every row of a national export. The keys are
# StrEnum members, which hash and compare as their values, so stored strings find them too.
STATUS_LABELS = {status: status.label for status in SchemeStatus}
BOROUGH_LABELS: dict[str | None, str] = {None: "", **{b: b.label for b in Borough}}


def _champion_row(row: Row) -> tuple:
    (organisation_id, organisation, status, site, borough, name, email, since, trained,
     current, never_expires, expires_at, last_issued_at, overdue) = row
    return (organisation_id, neutralise(organisation), STATUS_LABELS[status],
            neutralise(site or ""), BOROUGH_LABELS[borough], neutralise(name), neutralise(email),
            _day(since), _training(trained, current), _day(last_issued_at),
            "Does not expire" if never_expires else _day(expires_at), overdue or 0)


def _training(trained: int | None, current: int | None) -> str:
    if trained is None:
        return "Not trained"
    return "Certification current" if current else "Certification expired"


def champions_csv(session: Session, search: OrganisationSearch, now: datetime
                  ) -> Iterator[str]:
    return csv_text(CHAMPION_HEADER, champion_rows(session, search, now))


# --- The dashboard's figures --------------------------------------------------------------------

PROTECTION_NOTE = (
    "Counts of organisations and employees are exact. Counts of people are protected by the "
    f"cell-key method: 0 is shown as 0; 1 to {THRESHOLD - 1} have no number in the Value "
    f"column and read '{FEWER_THAN}' in the Protection column; every other count is rounded "
    f"up or down to a multiple of {BASE}, so it is at most {MAX_ERROR} from the true count, "
    "and the same group of people always shows the same figure. Rows need not add up to their "
    "total. See docs/small-numbers.md.")
EXACT = "exact"
ROUNDED = f"rounded to a multiple of {BASE}"


def _people(cell: Cell) -> tuple[int | None, str]:
    """A count of people as the Value and Protection columns: a number, or none and why."""
    return (None, FEWER_THAN) if cell.number is None else (cell.number, ROUNDED)


def figure_rows(figures: Dashboard, generated_at: datetime) -> Iterator[tuple]:
    """The dashboard as rows of section, item, measure, value (a number, or empty), how the
    value is protected, and a note; protected as on screen."""
    yield ("About these figures", "Produced", "", None, "", _day(generated_at))
    yield ("About these figures", "How figures are protected", "", None, "", PROTECTION_NOTE)
    checked = figures.headline.tiers_checked_at
    yield ("About these figures", "Tiers last re-checked", "", None, "",
           _day(checked) if checked else "Not yet")
    for label, value in figures.filters.describe():
        yield ("Filters", label, "", None, "", value)
    yield from _headline_rows(figures)
    for breakdown in figures.breakdowns:
        for row in (*breakdown.rows, breakdown.total):
            yield (breakdown.title, row.label, "Member organisations", row.organisations, EXACT,
                   "")
            yield (breakdown.title, row.label, "Employees", row.employees, EXACT, "")
            for measure, cell in (("Champions", row.champions),
                                  ("Champions ever trained", row.trained),
                                  ("Champions with a current certification", row.certified),
                                  ("Champions with overdue training", row.overdue)):
                yield (breakdown.title, row.label, measure, *_people(cell), "")
    for step in figures.funnel:
        yield ("From application to trained champion", step.label, "Organisations",
               step.organisations, EXACT, "")
        if step.median_days is not None:
            yield ("From application to trained champion", step.label,
                   "Median days from the step before", step.median_days, EXACT, "")
    for month in figures.months:
        note = "Month not over yet" if month.partial else ""
        yield ("Per month", month.label, "Champions completing training",
               *_people(month.completions), note)
        yield ("Per month", month.label, "New member organisations", month.new_members, EXACT,
               note)
    for element in figures.adoption:
        yield ("Policy adoption", element.title, "Member organisations with it in place",
               element.in_place, EXACT, "")
        yield ("Policy adoption", element.title, "Per cent in place", element.in_place_percent,
               EXACT, "")
        yield ("Policy adoption", element.title, "Verified by a coordinator", element.verified,
               EXACT, "")


def _headline_rows(figures: Dashboard) -> Iterator[tuple]:
    headline = figures.headline
    for status, number in headline.by_status:
        yield ("Organisations by status", status.label, "Organisations", number, EXACT, "")
    for label, number in headline.by_tier:
        yield ("Member organisations by tier", label, "Organisations", number, EXACT, "")
    yield ("At a glance", "Member organisations", "", headline.members, EXACT, "")
    yield ("At a glance", "Employees covered", "", headline.employees, EXACT, "")
    for label, cell in (("Champions", headline.champions),
                        ("Champions ever trained (current or expired)", headline.trained),
                        ("Champions with a current certification", headline.certified),
                        ("Certifications expiring in the next 60 days", headline.expiring),
                        ("Champions with overdue training", headline.overdue)):
        yield ("At a glance", label, "", *_people(cell), "")


def figures_csv(figures: Dashboard, generated_at: datetime) -> Iterator[str]:
    return csv_chunks(FIGURES_HEADER, figure_rows(figures, generated_at))
