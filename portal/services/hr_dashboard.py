"""The HR lead's dashboard: champions, coverage per site, policy progress, what needs doing.

Built from a fixed number of aggregate queries, whatever the number of champions: one row per
champion comes back from a single statement that joins grouped subqueries (modules passed,
certificates, assignments). HR leads see statuses and dates only, never scores or attempts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, false, func, or_, select
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
class Dashboard:
    champions: list[ChampionRow]
    coverage: list[SiteCoverage]
    policy: PolicyProgress
    assessment: tiers.Assessment  # the tier and what is missing for the next
    open_invitations: int  # to be champions, not yet accepted, revoked or expired
    waiting_invitations: int  # not accepted, last sent more than INVITATION_WAIT_DAYS ago
    required_modules: int

    @property
    def overdue_champions(self) -> int:
        return sum(1 for row in self.champions if row.overdue)

    def expiring(self, now: datetime) -> int:
        return sum(1 for row in self.champions if row.expires_within(now, EXPIRY_NOTICE_DAYS))

    @property
    def expired(self) -> int:
        return sum(1 for row in self.champions if row.had_certificate and not row.certified)

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


def _of_champions(query: Select, user_id: Any, organisation: Organisation) -> Select:
    """Only the organisation's current champions' rows. A join, not IN (subquery): PostgreSQL
    then looks each champion up by index rather than scanning the whole table."""
    return query.join(Membership, and_(
        Membership.user_id == user_id, Membership.organisation_id == organisation.id,
        Membership.is_current_champion))


def _passes(organisation: Organisation, modules: list[RequiredModule], now: datetime
            ) -> Subquery:
    """Per champion: required modules whose latest pass is of the current version, not lapsed."""
    per_course: dict[int, ColumnElement[bool]] = {}
    for module in modules:
        cutoff = refresher_cutoff(module.refresher_months, now)
        per_course[module.course_id] = Module.course_id == module.course_id if cutoff is None \
            else and_(Module.course_id == module.course_id, ModuleCompletion.completed_at > cutoff)
    query = (select(ModuleCompletion.user_id,
                    func.count(ModuleCompletion.module_id.distinct()).label("passed"))
             .join(Module, Module.id == ModuleCompletion.module_id)
             .join(ModuleVersion, ModuleVersion.id == Module.current_version_id))
    return (_of_champions(query, ModuleCompletion.user_id, organisation)
            .where(Module.id.in_([m.id for m in modules]),
                   ModuleCompletion.version >= ModuleVersion.version,
                   or_(*per_course.values()) if per_course else false())
            .group_by(ModuleCompletion.user_id).subquery())


def _certificates(organisation: Organisation, course_ids: list[int], now: datetime
                  ) -> Subquery:
    current = Certificate.is_current_at(now)
    query = select(Certificate.user_id,
                   func.count().label("held"),
                   func.sum(case((current, 1), else_=0)).label("current"),
                   func.sum(case((Certificate.expires_at.is_(None), 1), else_=0))
                   .label("never_expires"),
                   func.max(Certificate.expires_at).label("expires_at"))
    return (_of_champions(query, Certificate.user_id, organisation)
            .where(Certificate.course_id.in_(course_ids))
            .group_by(Certificate.user_id).subquery())


def _assignments(organisation: Organisation, today: date) -> Subquery:
    return (select(Assignment.user_id,
                   func.sum(case((Assignment.due_on >= today, 1), else_=0)).label("due"),
                   func.sum(case((Assignment.due_on < today, 1), else_=0)).label("overdue"))
            .where(Assignment.organisation_id == organisation.id, pending())
            .group_by(Assignment.user_id).subquery())


def champion_rows(session: Session, organisation: Organisation, now: datetime,
                  modules: list[RequiredModule]) -> list[ChampionRow]:
    """Every current champion with their training summary, in one statement."""
    passes = _passes(organisation, modules, now)
    certificates = _certificates(organisation, sorted({m.course_id for m in modules}), now)
    assigned = _assignments(organisation, now.date())
    rows = session.execute(
        select(Membership.id, User.full_name, Site.id, Site.name,
               func.coalesce(passes.c.passed, 0), func.coalesce(assigned.c.due, 0),
               func.coalesce(assigned.c.overdue, 0), func.coalesce(certificates.c.current, 0),
               func.coalesce(certificates.c.held, 0),
               func.coalesce(certificates.c.never_expires, 0), certificates.c.expires_at)
        .join(User, User.id == Membership.user_id)
        # the organisation's own sites: an index scan of a handful, not a hash of every site
        .outerjoin(Site, and_(Site.id == Membership.site_id,
                              Site.organisation_id == organisation.id))
        .outerjoin(passes, passes.c.user_id == Membership.user_id)
        .outerjoin(certificates, certificates.c.user_id == Membership.user_id)
        .outerjoin(assigned, assigned.c.user_id == Membership.user_id)
        .where(Membership.organisation_id == organisation.id,
               Membership.is_current_champion)
        .order_by(User.full_name, Membership.id))
    return [ChampionRow(membership_id, name, site_id, site_name, passed, len(modules), due,
                        overdue, bool(current), bool(held), bool(never), _aware(expires_at))
            for (membership_id, name, site_id, site_name, passed, due, overdue, current, held,
                 never, expires_at) in rows]


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


def champion_invitations(session: Session, organisation: Organisation,
                         now: datetime) -> tuple[int, int]:
    """Champion invitations still open, and those not accepted that were last sent more than
    INVITATION_WAIT_DAYS ago (expired or not): one statement for both."""
    open_now = Invitation.expires_at > now
    waiting = Invitation.last_sent_at <= now - timedelta(days=INVITATION_WAIT_DAYS)
    counts = session.execute(
        select(func.sum(case((open_now, 1), else_=0)), func.sum(case((waiting, 1), else_=0)))
        .where(Invitation.organisation_id == organisation.id, Invitation.role == OrgRole.CHAMPION,
               Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None))).one()
    return counts[0] or 0, counts[1] or 0


def organisation_dashboard(session: Session, organisation: Organisation, *, now: datetime,
                           target_per_100: float) -> Dashboard:
    modules = required_modules(session)
    champions = champion_rows(session, organisation, now, modules)
    trained: dict[int, int] = {}
    for row in champions:
        if row.certified and row.site_id is not None:
            trained[row.site_id] = trained.get(row.site_id, 0) + 1
    coverage = [SiteCoverage(site, trained.get(site.id, 0), target_per_100)
                for site in organisation.sites]
    framework = policy_framework()
    facts = tiers.gather_facts(session, [organisation.id], now, target_per_100)[organisation.id]
    open_invitations, waiting = champion_invitations(session, organisation, now)
    return Dashboard(champions, coverage, policy_progress(facts, framework),
                     tiers.evaluate(facts, framework), open_invitations, waiting, len(modules))
