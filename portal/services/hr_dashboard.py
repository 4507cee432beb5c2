"""The HR lead's dashboard: champions, coverage per site, policy progress, what needs doing.

Built from a fixed number of aggregate queries, whatever the number of champions: one row per
champion comes back from a single statement that joins grouped subqueries (modules passed,
certificates, assignments). HR leads see statuses and dates only, never scores or attempts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, false, func, or_, select, true
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import Subquery

from portal.models import (
    Assignment,
    Certificate,
    Course,
    ElementStatus,
    Invitation,
    Membership,
    Module,
    ModuleCompletion,
    ModuleVersion,
    Organisation,
    OrgRole,
    Site,
    User,
    Verification,
)
from portal.services import tiers
from portal.services.assignments import AUDIENCES, pending
from portal.services.policy_framework import PolicyFramework, policy_framework
from portal.services.training import refresher_cutoff

EXPIRY_NOTICE_DAYS = 30
INVITATION_WAIT_DAYS = 3


@dataclass(frozen=True)
class RequiredModule:
    id: int
    course_id: int
    refresher_months: int


@dataclass(frozen=True)
class ChampionRow:
    membership_id: int
    name: str
    site_id: int | None
    site_name: str | None
    passed: int  # current passes of the required modules
    total: int
    due: int  # pending assignments not yet overdue
    overdue: int
    certified: bool  # holds a current certification of a required champion course
    had_certificate: bool
    never_expires: bool
    expires_at: datetime | None  # of the latest certification

    @property
    def status(self) -> str:
        if self.certified:
            return "Trained"
        if self.had_certificate:
            return "Certificate expired"
        return "In training" if self.passed else "Not started"

    def expires_within(self, now: datetime, days: int) -> bool:
        return (self.certified and not self.never_expires and self.expires_at is not None
                and self.expires_at <= now + timedelta(days=days))


@dataclass(frozen=True)
class SiteCoverage:
    site: Site
    trained: int
    target_per_100: float

    @property
    def per_100(self) -> float:
        return 100 * self.trained / self.site.headcount

    @property
    def needed(self) -> int:
        """Trained champions the site needs to meet the target."""
        return math.ceil(self.site.headcount * self.target_per_100 / 100 - 1e-9)

    @property
    def met(self) -> bool:
        return self.trained >= self.needed


@dataclass(frozen=True)
class PolicyProgress:
    elements: int
    in_place: int
    verified: int


@dataclass(frozen=True)
class ChampionFigures:
    """Counts over every current champion, from one aggregate statement."""

    champions: int = 0
    trained: int = 0  # holding a current certificate
    overdue: int = 0  # with overdue training
    expiring: int = 0  # certificates expiring within EXPIRY_NOTICE_DAYS
    expired: int = 0  # had a certificate, none current
    open_invitations: int = 0  # to be champions, not yet accepted, revoked or expired
    waiting_invitations: int = 0  # not accepted, last sent more than INVITATION_WAIT_DAYS ago
    trained_by_site: dict[int, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Dashboard:
    figures: ChampionFigures
    coverage: list[SiteCoverage]
    policy: PolicyProgress
    assessment: tiers.Assessment  # the tier and what is missing for the next
    required_modules: list[RequiredModule]
    summary: Subquery  # champion_summary, for the page of champions to share

    @property
    def open_invitations(self) -> int:
        return self.figures.open_invitations

    @property
    def waiting_invitations(self) -> int:
        return self.figures.waiting_invitations

    @property
    def overdue_champions(self) -> int:
        return self.figures.overdue

    @property
    def expiring(self) -> int:
        return self.figures.expiring

    @property
    def expired(self) -> int:
        return self.figures.expired

    @property
    def sites_below_target(self) -> list[SiteCoverage]:
        return [site for site in self.coverage if not site.met]


def required_modules(session: Session) -> list[RequiredModule]:
    """The modules of the scheme's required courses for champions (what "trained" means)."""
    rows = session.execute(
        select(Module.id, Module.course_id, Course.refresher_months)
        .join(Course, Course.id == Module.course_id)
        .where(Course.required.is_(True), Course.retired_at.is_(None),
               Course.audience.in_(AUDIENCES[OrgRole.CHAMPION]), Module.retired_at.is_(None),
               Module.current_version_id.is_not(None)))
    return [RequiredModule(*row) for row in rows]


def _passed(modules: list[RequiredModule], now: datetime) -> ColumnElement[int]:
    """The champion's required modules whose latest pass is of the current version, not lapsed:
    a subquery run once per champion, through the (user_id, module_id) index."""
    per_course = []
    for course_id, months in sorted({(m.course_id, m.refresher_months) for m in modules}):
        cutoff = refresher_cutoff(months, now)
        per_course.append(Module.course_id == course_id if cutoff is None
                          else and_(Module.course_id == course_id,
                                    ModuleCompletion.completed_at > cutoff))
    return (select(func.count(ModuleCompletion.module_id.distinct()))
            .join(Module, Module.id == ModuleCompletion.module_id)
            .join(ModuleVersion, ModuleVersion.id == Module.current_version_id)
            .where(ModuleCompletion.user_id == Membership.user_id,
                   Module.id.in_([m.id for m in modules]),
                   ModuleCompletion.version >= ModuleVersion.version,
                   or_(*per_course) if per_course else false())
            .correlate(Membership).scalar_subquery())


def _certificates(course_ids: list[int], value: ColumnElement) -> ColumnElement:
    return (select(value).where(Certificate.user_id == Membership.user_id,
                                Certificate.course_id.in_(course_ids))
            .correlate(Membership).scalar_subquery())


def _assignments(organisation: Organisation, late: ColumnElement[bool]) -> ColumnElement[int]:
    return (select(func.count()).where(Assignment.organisation_id == organisation.id,
                                       Assignment.user_id == Membership.user_id, pending(), late)
            .correlate(Membership).scalar_subquery())


def champion_summary(organisation: Organisation, modules: list[RequiredModule],
                     now: datetime) -> Subquery:
    """One row per current champion of the organisation with their training summary.

    Driven from the organisation's memberships: each figure is a subquery run for each champion
    through an index (module completions, certificates and assignments by person), so the
    database never reads anyone else's training. OFFSET 0 keeps PostgreSQL from copying the
    subqueries into every expression that uses them (the status, filters, sort keys).
    """
    course_ids = sorted({m.course_id for m in modules})
    current = Certificate.is_current_at(now)
    today = now.date()
    return (select(Membership.id.label("membership_id"), Membership.user_id.label("user_id"),
                   User.full_name.label("name"), User.email.label("email"),
                   Membership.site_id.label("site_id"), Site.name.label("site_name"),
                   Membership.job_title.label("job_title"), Membership.created_at.label("since"),
                   _passed(modules, now).label("passed"),
                   _certificates(course_ids, func.count()).label("held"),
                   _certificates(course_ids, func.sum(case((current, 1), else_=0)))
                   .label("current"),
                   _certificates(course_ids, func.sum(case(
                       (Certificate.expires_at.is_(None), 1), else_=0))).label("never_expires"),
                   _certificates(course_ids, func.max(Certificate.expires_at))
                   .label("expires_at"),
                   _assignments(organisation, Assignment.due_on >= today).label("due"),
                   _assignments(organisation, Assignment.due_on < today).label("overdue"))
            .join(User, User.id == Membership.user_id)
            # the organisation's own sites: an index scan of a handful, not a hash of every site
            .outerjoin(Site, and_(Site.id == Membership.site_id,
                                  Site.organisation_id == organisation.id))
            .where(Membership.organisation_id == organisation.id,
                   Membership.is_current_champion)
            .offset(0).subquery("champions"))


def status_of(summary: Subquery) -> ColumnElement[str]:
    """ChampionRow.status in SQL."""
    columns = summary.c
    return case((func.coalesce(columns.current, 0) > 0, "Trained"),
                (columns.held > 0, "Certificate expired"),
                (columns.passed > 0, "In training"), else_="Not started")


def summary_columns(summary: Subquery) -> tuple:
    """The columns a ChampionRow is made from, in its order (see `champion_row`)."""
    columns = summary.c
    return (columns.membership_id, columns.name, columns.site_id, columns.site_name,
            columns.passed, columns.due, columns.overdue, func.coalesce(columns.current, 0),
            columns.held, func.coalesce(columns.never_expires, 0), columns.expires_at)


def champion_row(row: Any, total: int) -> ChampionRow:
    (membership_id, name, site_id, site_name, passed, due, overdue, current, held, never,
     expires_at) = row[:11]
    return ChampionRow(membership_id, name, site_id, site_name, passed, total, due, overdue,
                       bool(current), bool(held), bool(never), _aware(expires_at))


def champion_rows(session: Session, organisation: Organisation, now: datetime,
                  modules: list[RequiredModule]) -> list[ChampionRow]:
    """Every current champion with their training summary, in one statement."""
    summary = champion_summary(organisation, modules, now)
    rows = session.execute(select(*summary_columns(summary))
                           .order_by(func.lower(summary.c.name), summary.c.membership_id))
    return [champion_row(row, len(modules)) for row in rows]


def champion_figures(session: Session, organisation: Organisation, summary: Subquery,
                     now: datetime) -> ChampionFigures:
    """The dashboard's headline counts, trained champions per site and the champion
    invitations: one aggregate statement over the champion summary, whatever the number of
    champions (the invitations' one-row aggregate is joined on, so it comes back even when
    there are no champions yet)."""
    columns = summary.c
    certified = func.coalesce(columns.current, 0) > 0
    expiring = and_(certified, func.coalesce(columns.never_expires, 0) == 0,
                    columns.expires_at <= now + timedelta(days=EXPIRY_NOTICE_DAYS))
    per_site = (select(columns.site_id, func.count().label("champions"),
                       *(func.sum(case((flag, 1), else_=0)).label(name) for name, flag in (
                           ("trained", certified), ("overdue", columns.overdue > 0),
                           ("expiring", expiring),
                           ("expired", and_(columns.held > 0, ~certified)))))
                .group_by(columns.site_id).subquery("per_site"))
    invitations = _invitation_counts(organisation, now)
    rows = session.execute(
        select(invitations.c.open, invitations.c.waiting, *per_site.c)
        .outerjoin(per_site, true())).all()
    sites = [row[2:] for row in rows if row.champions]
    champions, trained, overdue, expiring_soon, expired = (
        sum(int(site[index] or 0) for site in sites) for index in range(1, 6))
    return ChampionFigures(champions, trained, overdue, expiring_soon, expired,
                           open_invitations=int(rows[0].open or 0),
                           waiting_invitations=int(rows[0].waiting or 0),
                           trained_by_site={site_id: int(trained or 0)
                                            for site_id, _n, trained, *_rest in sites
                                            if site_id is not None})


def _invitation_counts(organisation: Organisation, now: datetime) -> Subquery:
    """Champion invitations still open, and those not accepted that were last sent more than
    INVITATION_WAIT_DAYS ago (expired or not)."""
    open_now = Invitation.expires_at > now
    waiting = Invitation.last_sent_at <= now - timedelta(days=INVITATION_WAIT_DAYS)
    return (select(func.sum(case((open_now, 1), else_=0)).label("open"),
                   func.sum(case((waiting, 1), else_=0)).label("waiting"))
            .where(Invitation.organisation_id == organisation.id,
                   Invitation.role == OrgRole.CHAMPION, Invitation.accepted_at.is_(None),
                   Invitation.revoked_at.is_(None)).subquery("invitations"))


def _aware(value: datetime | str | None) -> datetime | None:
    """Aggregates bypass the column type, so SQLite hands back text or a naive datetime."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def policy_progress(facts: tiers.TierFacts, framework: PolicyFramework) -> PolicyProgress:
    """From the policy records the tier assessment has read already."""
    states = [facts.elements.get(key) for key in framework.keys]
    in_place = [state for state in states if state and state[0] == ElementStatus.IN_PLACE]
    return PolicyProgress(len(states), len(in_place),
                          sum(1 for _status, check in in_place if check == Verification.VERIFIED))


def organisation_dashboard(session: Session, organisation: Organisation, *, now: datetime,
                           target_per_100: float) -> Dashboard:
    modules = required_modules(session)
    summary = champion_summary(organisation, modules, now)
    figures = champion_figures(session, organisation, summary, now)
    coverage = [SiteCoverage(site, figures.trained_by_site.get(site.id, 0), target_per_100)
                for site in organisation.sites]
    framework = policy_framework()
    facts = tiers.gather_facts(session, [organisation.id], now, target_per_100)[organisation.id]
    return Dashboard(figures, coverage, policy_progress(facts, framework),
                     tiers.evaluate(facts, framework), modules, summary)
