"""Scheme monitoring: the coordinators' dashboard figures (what is in view: monitoring_filters.py).

Every figure is an aggregate in SQL, and the dashboard costs the same six statements however many
organisations and people there are; Python only arranges the few grouped rows that come back.

Definitions (shared with the rest of the portal):
- organisations in view: every organisation except applications whose e-mail address was never
  confirmed, narrowed by the filters; *members* are those approved now.
- a *champion* is a champion membership not withdrawn, in a member organisation (approved now);
  the champions export lists exactly these people. *Ever trained* means holding a certificate,
  current or expired, for a required champion course; a *current certification* is a certificate
  with no expiry or expiring in the future. Only a current certification is cover.
- *overdue training*: champions with an assignment not cancelled, not completed, due before today.
- *completions per month*: the champions counted above who earned a certificate in the month
  (each once a month); champions who have since left, or whose organisation is no longer a
  member, are not counted.

Counts of people are published through the cell-key method (services/small_numbers.py and
docs/small-numbers.md): each figure is worked out here with its cell key, the sum of its
records' keys. Organisations and employees are counted exactly.

Days and months are those of the scheme's time zone (Europe/London): "applied from 27
September" starts at midnight in London, and a month runs from London midnight to midnight.

Boroughs: an organisation can have sites in several boroughs. It counts as an organisation in
every borough where it has a site; employees count at their own site, and champions at the site
they champion for, so employees and champions add up across boroughs and organisations do not.
Filtering by borough keeps the organisations with a site there and, for employees and champions,
only the sites in that borough. Size bands use the organisation's total headcount, all sites.
The date filter selects organisations by the date their application was received.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    Select,
    and_,
    case,
    func,
    literal_column,
    or_,
    select,
    true,
    type_coerce,
    union_all,
)
from sqlalchemy import String as SqlString
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import CTE, ColumnElement

from portal.models import (
    MEMBER_STATUS,
    AuditEvent,
    Borough,
    Certificate,
    ElementStatus,
    Membership,
    PolicyElementRecord,
    SchemeStatus,
    Sector,
    Site,
    Tier,
    TrainingStatus,
    Verification,
)
from portal.services import training_status
from portal.services.monitoring_filters import (
    EXPIRY_WARNING_DAYS,
    NOT_RECORDED,
    Filters,
    SizeBand,
    champion_statuses_in_view,
    local_today,
    organisations_in_view,
    required_champion_courses,
    start_of,
)
from portal.services.policy_framework import WRITTEN_POLICY, policy_framework
from portal.services.small_numbers import Cell, cell
from portal.services.sql import day_number
from portal.services.tiers import TIERS_CHECKED, coverage_target

TREND_MONTHS = 12
MAX_TREND_MONTHS = 24


# --- The dashboard ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Headline:
    by_status: tuple[tuple[SchemeStatus, int], ...]
    by_tier: tuple[tuple[str, int], ...]
    members: int
    employees: int
    champions: Cell
    trained: Cell  # ever trained: current or expired certification
    certified: Cell  # current certification
    expiring: Cell
    overdue: Cell
    tiers_checked_at: datetime | None  # the last re-check of every tier (None: never)
    sites: int = 0
    sites_meeting: int = 0

    @property
    def coverage(self) -> str:
        return coverage_text(self.certified, self.employees)

    @property
    def sites_meeting_percent(self) -> int | None:
        return round(100 * self.sites_meeting / self.sites) if self.sites else None


@dataclass(frozen=True)
class BreakdownRow:
    label: str
    organisations: int
    employees: int
    champions: Cell
    trained: Cell
    certified: Cell
    overdue: Cell
    sites: int = 0  # sites of member organisations (exact: sites are not people)
    sites_meeting: int = 0  # ...meeting the coverage target

    @property
    def coverage(self) -> str:
        """Champions with a current certification per 100 staff, from the *published* count,
        so it tells nothing the protected figure does not; none for "fewer than 5"."""
        return coverage_text(self.certified, self.employees)

    @property
    def sites_meeting_percent(self) -> int | None:
        return round(100 * self.sites_meeting / self.sites) if self.sites else None


def coverage_text(certified: Cell, employees: int) -> str:
    published = certified.number
    if published is None:
        return "Not shown"
    if not employees:
        return "No staff"
    return f"{100 * published / employees:.1f}"


@dataclass(frozen=True)
class Breakdown:
    key: str
    title: str
    category: str
    rows: tuple[BreakdownRow, ...]
    total: BreakdownRow
    note: str = ""


@dataclass(frozen=True)
class FunnelStep:
    label: str
    organisations: int
    median_days: float | None  # from the step before; None for the first step or if nobody


@dataclass(frozen=True)
class Month:
    key: str  # "2026-11"
    label: str  # "Nov 2026"
    completions: Cell
    new_members: int
    partial: bool = False  # the month we are in: not over yet


@dataclass(frozen=True)
class Adoption:
    key: str
    title: str
    in_place: int
    verified: int
    members: int

    @property
    def in_place_percent(self) -> int:
        return round(100 * self.in_place / self.members) if self.members else 0

    @property
    def verified_percent(self) -> int:
        return round(100 * self.verified / self.members) if self.members else 0


@dataclass(frozen=True)
class Dashboard:
    filters: Filters
    headline: Headline
    breakdowns: tuple[Breakdown, ...]
    funnel: tuple[FunnelStep, ...]
    months: tuple[Month, ...]
    adoption: tuple[Adoption, ...]


PEOPLE = ("champions", "trained", "certified", "expiring", "overdue")
BROKEN_DOWN = ("champions", "trained", "certified", "overdue")
SITE_MEASURES = ("organisations", "employees", "sites", "sites_meeting")


def dashboard(session: Session, filters: Filters, now: datetime) -> Dashboard:
    training_status.settle(session)  # this session's own changes, if any, are counted too
    orgs = organisations_in_view(filters).cte("orgs")
    org_groups = _organisation_groups(session, orgs)
    site_groups = _site_groups(session, orgs, filters, now, coverage_target(session))
    people_groups = _people_groups(session, orgs, filters, now)
    members = sum(row.count for row in org_groups if row.status == MEMBER_STATUS)
    breakdowns = _breakdowns(org_groups, site_groups, people_groups, members)
    headline = _headline(org_groups, site_groups, _cells_by(people_groups, None, PEOPLE)[None],
                         members)
    return Dashboard(filters, headline, breakdowns, _funnel(session, orgs),
                     _months(session, orgs, filters, now), _adoption(session, orgs, members))


def _organisation_groups(session: Session, orgs: CTE) -> list:
    """Organisations by status, tier, sector and size; each row also carries when tiers were
    last re-checked, so that costs no statement of its own."""
    checked = (select(func.max(AuditEvent.occurred_at))
               .where(AuditEvent.action == TIERS_CHECKED).scalar_subquery())
    return list(session.execute(
        select(orgs.c.status, orgs.c.tier, orgs.c.sector, orgs.c.size_band,
               func.count().label("count"), checked.label("tiers_checked_at"))
        .group_by(orgs.c.status, orgs.c.tier, orgs.c.sector, orgs.c.size_band)))


def _site_groups(session: Session, orgs: CTE, filters: Filters, now: datetime,
                 target: float) -> list:
    """Member organisations' sites by borough, sector and size: organisations, employees, and
    how many sites meet the coverage target (services/tiers.py: at least one champion with a
    current certification, and `target` of them per 100 staff)."""
    status = TrainingStatus
    certified = (select(status.site_id.label("site_id"), func.count().label("certified"))
                 .where(status.is_current_champion, status.site_id.is_not(None),
                        training_status.certified_at(now))
                 .group_by(status.site_id).subquery("site_certified"))
    count = func.coalesce(certified.c.certified, 0)
    meets = and_(count >= 1, count * 100 >= target * Site.headcount) if target > 0 else true()
    query = (select(type_coerce(Site.borough, SqlString).label("borough"), orgs.c.sector,
                    orgs.c.size_band,
                    func.count(Site.organisation_id.distinct()).label("organisations"),
                    func.sum(Site.headcount).label("employees"),
                    func.count().label("sites"),
                    func.sum(case((meets, 1), else_=0)).label("sites_meeting"))
             .join(orgs, orgs.c.id == Site.organisation_id)
             .outerjoin(certified, certified.c.site_id == Site.id)
             .where(orgs.c.status == MEMBER_STATUS)
             .group_by(Site.borough, orgs.c.sector, orgs.c.size_band))
    if filters.borough is not None:
        query = query.where(Site.borough == filters.borough)
    return list(session.execute(query))


def _people_groups(session: Session, orgs: CTE, filters: Filters, now: datetime) -> list:
    """Current champions by borough, sector and size: for each measure, how many and the sum
    of their record keys (`<measure>_keys`), from which each published cell is made. Read from
    the champions' training status rows (services/training_status.py), the dates in them
    compared with the clock here."""
    status = TrainingStatus
    soon = now + timedelta(days=EXPIRY_WARNING_DAYS)
    conditions = {
        "champions": None,
        "trained": status.first_certified_at.is_not(None),
        "certified": training_status.certified_at(now),
        "expiring": and_(training_status.certified_at(now),
                         ~training_status.certified_at(soon)),
        "overdue": training_status.overdue_on(local_today(now)),
    }
    measures = []
    for name, condition in conditions.items():
        if condition is None:
            measures += [func.count().label(name),
                         func.sum(status.record_key).label(f"{name}_keys")]
        else:
            measures += [func.sum(case((condition, 1), else_=0)).label(name),
                         func.sum(case((condition, status.record_key), else_=0))
                         .label(f"{name}_keys")]
    query = (champion_statuses_in_view(orgs, filters)
             .add_columns(type_coerce(Site.borough, SqlString).label("borough"), orgs.c.sector,
                          orgs.c.size_band, *measures)
             .group_by(Site.borough, orgs.c.sector, orgs.c.size_band))
    return list(session.execute(query))


def _sum_by(rows: Iterable, key: str, measures: Iterable[str]) -> dict[object, dict[str, int]]:
    sums: dict[object, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in rows:
        for measure in measures:
            sums[getattr(row, key)][measure] += getattr(row, measure) or 0
    return sums


def _cells_by(rows: Iterable, key: str | None, measures: Iterable[str]
              ) -> dict[object, dict[str, Cell]]:
    """People's cells summed by one grouping column (None: everything in one cell)."""
    cells: dict[object, dict[str, Cell]] = defaultdict(lambda: defaultdict(Cell))
    for row in rows:
        group = getattr(row, key) if key else None
        for measure in measures:
            cells[group][measure] += cell(getattr(row, measure),
                                          getattr(row, f"{measure}_keys"))
    return cells


def _breakdowns(org_groups: list, site_groups: list, people_groups: list, members: int
                ) -> tuple[Breakdown, ...]:
    approved = [row for row in org_groups if row.status == MEMBER_STATUS]
    org_counts = {"sector": _sum_by(approved, "sector", ["count"]),
                  "size_band": _sum_by(approved, "size_band", ["count"])}
    sites = {key: _sum_by(site_groups, key, SITE_MEASURES)
             for key in ("borough", "sector", "size_band")}
    people = {key: _cells_by(people_groups, key, BROKEN_DOWN)
              for key in ("borough", "sector", "size_band")}
    everyone = _cells_by(people_groups, None, BROKEN_DOWN)[None]
    categories: dict[str, list[tuple[object, str]]] = {
        "borough": [(b.value, b.label) for b in Borough]
        + ([(None, NOT_RECORDED)] if None in people["borough"] else []),
        "sector": [(s, s.label) for s in Sector],
        "size_band": [(b.value, b.label) for b in SizeBand],
    }
    employees_total = sum(row.employees or 0 for row in site_groups)
    breakdowns = []
    for key, title, category in (("borough", "By borough", "Borough"),
                                 ("sector", "By sector", "Sector"),
                                 ("size_band", "By size", "Size")):
        rows = tuple(
            BreakdownRow(label=label,
                         organisations=(sites[key][value]["organisations"] if key == "borough"
                                        else org_counts[key][value]["count"]),
                         employees=sites[key][value]["employees"],
                         sites=sites[key][value]["sites"],
                         sites_meeting=sites[key][value]["sites_meeting"],
                         **{m: people[key][value][m] for m in BROKEN_DOWN})
            for value, label in categories[key])
        total = BreakdownRow("All", members, employees_total,
                             **{m: everyone[m] for m in BROKEN_DOWN},
                             sites=sum(row.sites for row in site_groups),
                             sites_meeting=sum(row.sites_meeting or 0 for row in site_groups))
        note = ("An organisation with sites in more than one borough is counted in each of "
                "them, so the organisations column adds up to more than the total."
                if key == "borough" else "")
        breakdowns.append(Breakdown(key, title, category, rows, total, note))
    return tuple(breakdowns)


def _headline(org_groups: list, site_groups: list, people: dict[str, Cell], members: int
              ) -> Headline:
    statuses = _sum_by(org_groups, "status", ["count"])
    tiers = _sum_by([row for row in org_groups if row.status == MEMBER_STATUS],
                    "tier", ["count"])
    by_tier = [(tier.label, tiers[tier]["count"]) for tier in Tier]
    if tiers[None]["count"]:
        by_tier.append(("Tier not worked out yet", tiers[None]["count"]))
    return Headline(
        by_status=tuple((status, statuses[status]["count"]) for status in SchemeStatus),
        by_tier=tuple(by_tier), members=members,
        employees=sum(row.employees or 0 for row in site_groups),
        champions=people["champions"], trained=people["trained"],
        certified=people["certified"], expiring=people["expiring"], overdue=people["overdue"],
        tiers_checked_at=org_groups[0].tiers_checked_at if org_groups else None,
        sites=sum(row.sites for row in site_groups),
        sites_meeting=sum(row.sites_meeting or 0 for row in site_groups))


FUNNEL_STEPS = ("Applied", "Approved", "Policy in place", "First champion trained")


def _funnel(session: Session, orgs: CTE) -> tuple[FunnelStep, ...]:
    """How many organisations in view reached each step, and the median days each step took.

    Steps are reached in order: an organisation counts at a step only if it reached the steps
    before. A step done before the one before it (a policy older than the approval) took 0 days.
    """
    milestones = _milestones(orgs).cte("milestones")
    m = milestones.c
    steps = [
        select(literal_column("0").label("step"), literal_column("0").label("days"))
        .select_from(milestones),
        select(literal_column("1"), _days(m.approved, m.applied)).where(m.approved.is_not(None)),
        select(literal_column("2"), _days(m.policy, m.approved))
        .where(m.approved.is_not(None), m.policy.is_not(None)),
        select(literal_column("3"), _days(m.trained, m.policy))
        .where(m.approved.is_not(None), m.policy.is_not(None), m.trained.is_not(None)),
    ]
    durations = union_all(*steps).subquery("durations")
    ranked = select(
        durations.c.step, durations.c.days,
        func.row_number().over(partition_by=durations.c.step, order_by=durations.c.days)
        .label("position"),
        func.count().over(partition_by=durations.c.step).label("size")).subquery("ranked")
    r = ranked.c
    middle = or_(r.position == (r.size + 1) // 2, r.position == (r.size + 2) // 2)
    rows = {row.step: row for row in session.execute(
        select(r.step, func.max(r.size).label("size"),
               func.avg(case((middle, r.days))).label("median"))
        .group_by(r.step))}
    return tuple(FunnelStep(label, rows[i].size if i in rows else 0,
                            float(rows[i].median) if i in rows and i > 0 else None)
                 for i, label in enumerate(FUNNEL_STEPS))


def _days(later: ColumnElement, earlier: ColumnElement) -> ColumnElement:
    difference = later - earlier
    return case((difference > 0, difference), else_=0)


def _milestones(orgs: CTE) -> Select:
    """Per organisation in view: the day number of each funnel step, or NULL if not reached."""
    policy = (select(PolicyElementRecord.organisation_id.label("organisation_id"),
                     case((PolicyElementRecord.in_place_on.is_not(None),
                           day_number(PolicyElementRecord.in_place_on)),
                          else_=day_number(PolicyElementRecord.updated_at)).label("day"))
              .where(PolicyElementRecord.element_key == WRITTEN_POLICY,
                     PolicyElementRecord.status == ElementStatus.IN_PLACE)
              .subquery("policy"))
    # A champion (serving or not) counts as trained from the later of joining and their first
    # certificate, so the earliest such day per organisation is the earliest max(joined,
    # issued) over pairs: over champions, max(joined, first issued), from their status rows.
    status = TrainingStatus
    joined, certified = day_number(status.joined_at), day_number(status.first_certified_at)
    trained = (select(status.organisation_id.label("organisation_id"),
                      func.min(case((joined > certified, joined), else_=certified)).label("day"))
               .where(status.champion.is_(True), status.first_certified_at.is_not(None))
               .group_by(status.organisation_id).subquery("trained"))
    return (select(orgs.c.id, day_number(orgs.c.applied_at).label("applied"),
                   day_number(orgs.c.approved_at).label("approved"),
                   policy.c.day.label("policy"), trained.c.day.label("trained"))
            .outerjoin(policy, policy.c.organisation_id == orgs.c.id)
            .outerjoin(trained, trained.c.organisation_id == orgs.c.id))


def trend_months(filters: Filters, today: date) -> list[date]:
    """First days of the months the trends cover: the last 12 months, or the filter's dates."""
    if filters.applied_from is None and filters.applied_to is None:
        end = today.replace(day=1)
        return [_add_months(end, -offset) for offset in range(TREND_MONTHS - 1, -1, -1)]
    end = (filters.applied_to or today).replace(day=1)
    start = (filters.applied_from.replace(day=1) if filters.applied_from
             else _add_months(end, -(TREND_MONTHS - 1)))
    count = min((end.year - start.year) * 12 + end.month - start.month + 1, MAX_TREND_MONTHS)
    return [_add_months(end, -offset) for offset in range(count - 1, -1, -1)]


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _months(session: Session, orgs: CTE, filters: Filters, now: datetime) -> tuple[Month, ...]:
    """Completions (champions of the headline, once a month each, with their cell keys) and new
    member organisations, by month in the scheme's time zone."""
    months = trend_months(filters, local_today(now))
    start, end = start_of(months[0]), start_of(_add_months(months[-1], 1))
    keys = [f"{month:%Y-%m}" for month in months]
    issued = _local_month(Certificate.issued_at, months)
    status = TrainingStatus
    # Only champions whose status says they were certified since the start need their
    # certificates read.
    certified = (champion_statuses_in_view(orgs, filters)
                 .add_columns(status.membership_id, status.record_key, issued.label("month"))
                 .join(Membership, Membership.id == status.membership_id)
                 .join(Certificate, Certificate.user_id == Membership.user_id)
                 .where(status.last_certified_at >= start,
                        Certificate.course_id.in_(required_champion_courses()),
                        Certificate.issued_at >= start, Certificate.issued_at < end)
                 .distinct())  # a champion certified twice in a month counts once
    each = certified.subquery("certified")
    completions = (select(literal_column("'completions'").label("kind"), each.c.month,
                          func.count().label("count"),
                          func.sum(each.c.record_key).label("keys"))
                   .group_by(each.c.month))
    # Grouped outside the subquery: PostgreSQL does not see two copies of a CASE with bound
    # parameters as the same expression.
    approved = (select(_local_month(orgs.c.approved_at, months).label("month"))
                .where(orgs.c.approved_at >= start, orgs.c.approved_at < end)
                .subquery("approved"))
    joined = (select(literal_column("'members'"), approved.c.month, func.count(),
                     literal_column("0"))
              .group_by(approved.c.month))
    rows = {(row.kind, row.month): row for row in session.execute(union_all(completions, joined))}
    this_month = local_today(now).replace(day=1)
    return tuple(
        Month(key, f"{month:%b %Y}",
              cell(*(rows[("completions", key)][2:] if ("completions", key) in rows
                     else (0, 0))),
              rows[("members", key)][2] if ("members", key) in rows else 0,
              partial=month == this_month)
        for key, month in zip(keys, months, strict=True))


def _local_month(moment: Any, months: list[date]) -> ColumnElement[str]:
    """"2026-11" for a time within these months, by the scheme's time zone: a CASE over the
    months' first moments, the same SQL on every database."""
    return case(*((moment < start_of(_add_months(month, 1)), f"{month:%Y-%m}")
                  for month in months), else_=None)


def _adoption(session: Session, orgs: CTE, members: int) -> tuple[Adoption, ...]:
    rows = {row.element_key: row for row in session.execute(
        select(PolicyElementRecord.element_key, func.count().label("in_place"),
               func.sum(case((PolicyElementRecord.verification == Verification.VERIFIED, 1),
                             else_=0)).label("verified"))
        .join(orgs, orgs.c.id == PolicyElementRecord.organisation_id)
        .where(orgs.c.status == MEMBER_STATUS,
               PolicyElementRecord.status == ElementStatus.IN_PLACE)
        .group_by(PolicyElementRecord.element_key))}
    return tuple(Adoption(element.key, element.title,
                          rows[element.key].in_place if element.key in rows else 0,
                          int(rows[element.key].verified or 0) if element.key in rows else 0,
                          members)
                 for element in policy_framework().elements)


