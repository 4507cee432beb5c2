"""What the coordinators' figures are about: the filters, which organisations are in view, and
the champions of those that are members, with their certification and overdue training.

The dashboard (services/monitoring.py), the organisations list and the exports
(services/organisation_search.py, services/exports.py) all start from these queries, so they
always count the same organisations and the same people. The rules are written up in
services/monitoring.py's docstring.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import (
    Select,
    case,
    exists,
    func,
    or_,
    select,
)
from sqlalchemy.sql.expression import ColumnElement, FromClause

from portal.clock import LONDON as UK
from portal.models import (
    MEMBER_STATUS,
    Assignment,
    Borough,
    Certificate,
    Course,
    Membership,
    Organisation,
    SchemeStatus,
    Sector,
    Site,
    Tier,
    TrainingStatus,
)

EXPIRY_WARNING_DAYS = 60


NOT_RECORDED = "Site not recorded"


class SizeBand(enum.StrEnum):
    """Employers by total headcount across their sites."""

    SMALL = "1-49"
    MEDIUM = "50-249"
    LARGE = "250-999"
    VERY_LARGE = "1000-plus"

    @property
    def label(self) -> str:
        return SIZE_BAND_LABELS[self]


SIZE_BAND_LABELS = {
    SizeBand.SMALL: "1 to 49 employees",
    SizeBand.MEDIUM: "50 to 249 employees",
    SizeBand.LARGE: "250 to 999 employees",
    SizeBand.VERY_LARGE: "1,000 or more employees",
}


def size_band_of(employees: ColumnElement) -> ColumnElement:
    return case((employees < 50, SizeBand.SMALL.value), (employees < 250, SizeBand.MEDIUM.value),
                (employees < 1000, SizeBand.LARGE.value), else_=SizeBand.VERY_LARGE.value)


# --- Filters ----------------------------------------------------------------------------------



@dataclass(frozen=True)
class Filters:
    borough: Borough | None = None
    sector: Sector | None = None
    size_band: SizeBand | None = None
    tier: Tier | None = None
    applied_from: date | None = None
    applied_to: date | None = None

    @property
    def active(self) -> bool:
        return any(getattr(self, name) is not None for name in self.__dataclass_fields__)

    def query_args(self) -> dict[str, str]:
        """The filters as URL arguments, in the same form as the filter form sends them."""
        args = {name: choice.value for name, choice in (
            ("borough", self.borough), ("sector", self.sector), ("size", self.size_band),
            ("tier", self.tier)) if choice is not None}
        for prefix, day in (("from", self.applied_from), ("to", self.applied_to)):
            if day is not None:
                args.update({f"{prefix}-day": str(day.day), f"{prefix}-month": str(day.month),
                             f"{prefix}-year": str(day.year)})
        return args

    def describe(self) -> list[tuple[str, str]]:
        """The filters in words, for pages and exports."""
        described = [(label, choice.label) for label, choice in (
            ("Borough", self.borough), ("Sector", self.sector), ("Size", self.size_band),
            ("Tier", self.tier)) if choice is not None]
        if self.applied_from is not None:
            described.append(("Applied from", long_date(self.applied_from)))
        if self.applied_to is not None:
            described.append(("Applied to", long_date(self.applied_to)))
        return described


def long_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


# --- Which organisations are in view ----------------------------------------------------------

def start_of(day: date) -> datetime:
    """Midnight at the start of this day in the scheme's time zone, as a UTC time."""
    return datetime.combine(day, time.min, tzinfo=UK).astimezone(UTC)


def local_today(now: datetime) -> date:
    """Today's date in the scheme's time zone."""
    return now.astimezone(UK).date()


def applied_at() -> ColumnElement:
    return func.coalesce(Organisation.submitted_at, Organisation.created_at)


def headcounts() -> Select:
    return (select(Site.organisation_id.label("organisation_id"),
                   func.sum(Site.headcount).label("employees"))
            .group_by(Site.organisation_id))


def organisations_in_view(filters: Filters) -> Select:
    """One row per organisation in view: its id and what the filters and breakdowns need."""
    totals = headcounts().subquery("headcounts")
    employees = func.coalesce(totals.c.employees, 0)
    query = (select(Organisation.id.label("id"), Organisation.name.label("name"),
                    Organisation.name_key.label("name_key"),
                    Organisation.registered_number.label("registered_number"),
                    Organisation.scheme_status.label("status"), Organisation.tier.label("tier"),
                    Organisation.sector.label("sector"), size_band_of(employees).label("size_band"),
                    employees.label("employees"), applied_at().label("applied_at"),
                    Organisation.approved_at.label("approved_at"),
                    Organisation.renewal_due_on.label("renewal_due_on"),
                    Organisation.listed_publicly.label("listed_publicly"))
             .outerjoin(totals, totals.c.organisation_id == Organisation.id)
             .where(or_(Organisation.scheme_status != SchemeStatus.APPLIED,
                        Organisation.submitted_at.is_not(None))))
    if filters.borough is not None:
        query = query.where(exists().where(Site.organisation_id == Organisation.id,
                                           Site.borough == filters.borough))
    if filters.sector is not None:
        query = query.where(Organisation.sector == filters.sector)
    if filters.size_band is not None:
        query = query.where(size_band_of(employees) == filters.size_band.value)
    if filters.tier is not None:
        query = query.where(Organisation.tier == filters.tier,
                            Organisation.is_member)
    if filters.applied_from is not None:
        query = query.where(applied_at() >= start_of(filters.applied_from))
    if filters.applied_to is not None:
        query = query.where(applied_at() < start_of(filters.applied_to + timedelta(days=1)))
    return query


def required_champion_courses() -> Select:
    return select(Course.id).where(Course.required.is_(True),
                                   Course.audience.in_(("champion", "all")))


def certificate_summary(now: datetime) -> Select:
    """Per person: whether certified now, whether that lasts past the warning period, and when
    they were first and last certified (required champion courses only)."""
    soon = now + timedelta(days=EXPIRY_WARNING_DAYS)
    never = Certificate.expires_at.is_(None)
    return (select(Certificate.user_id.label("user_id"),
                   func.max(case((Certificate.is_current_at(now), 1), else_=0)).label("current"),
                   func.max(case((Certificate.is_current_at(soon), 1), else_=0)).label("lasting"),
                   func.max(case((never, 1), else_=0)).label("never_expires"),
                   func.max(Certificate.expires_at).label("expires_at"),
                   func.min(Certificate.issued_at).label("first_issued_at"),
                   func.max(Certificate.issued_at).label("last_issued_at"))
            .where(Certificate.course_id.in_(required_champion_courses()))
            .group_by(Certificate.user_id))


def overdue_assignments(today: date) -> Select:
    """Per person and organisation: how many assignments are overdue."""
    return (select(Assignment.organisation_id.label("organisation_id"),
                   Assignment.user_id.label("user_id"), func.count().label("overdue"))
            .where(Assignment.cancelled_at.is_(None), Assignment.completed_at.is_(None),
                   Assignment.due_on < today)
            .group_by(Assignment.organisation_id, Assignment.user_id))


def champions_in_view(orgs: FromClause, filters: Filters) -> Select:
    """The current champions of the member organisations in `orgs` (with their site, outer
    joined), narrowed to the borough filter by their site: the people every champion figure on
    the dashboard counts and the coordinator's champions export lists, so the two always agree.
    Select the wanted columns with `.add_columns`."""
    query = (select().select_from(Membership)
             .join(orgs, orgs.c.id == Membership.organisation_id)
             .outerjoin(Site, Site.id == Membership.site_id)
             .where(Membership.is_current_champion, orgs.c.status == MEMBER_STATUS))
    if filters.borough is not None:
        query = query.where(Site.borough == filters.borough)
    return query


def champion_statuses_in_view(orgs: FromClause, filters: Filters) -> Select:
    """The same people as `champions_in_view`, from their training status rows
    (models/training_status.py): what the dashboard's figures are counted from."""
    query = (select().select_from(TrainingStatus)
             .join(orgs, orgs.c.id == TrainingStatus.organisation_id)
             .outerjoin(Site, Site.id == TrainingStatus.site_id)
             .where(TrainingStatus.is_current_champion, orgs.c.status == MEMBER_STATUS))
    if filters.borough is not None:
        query = query.where(Site.borough == filters.borough)
    return query
