"""Tiers: Committed → Active → Established, worked out from an organisation's data (DESIGN.md §5).

- **Committed**: the membership is approved and the scheme commitment signed.
- **Active**: also the written-policy element is in place, and at least one current champion holds
  a current certification.
- **Established**: also every framework element is in place and verified by a coordinator, every
  site meets the coverage target (COVERAGE_TARGET_PER_100_STAFF current champions with a current
  certification per 100 staff), and no current champion's certification has lapsed.

A *current* champion is a champion membership, not withdrawn, of an approved organisation; a
*certification* is a certificate for a required champion course, *current* while it has no expiry
or expires in the future.

The facts behind a tier are read with a fixed number of set-based queries for any number of
organisations (`gather_facts`), and judged by a pure function (`evaluate`). `assess` does that for
one organisation; `refresh_tier` keeps Organisation.tier in step after a change; and
`refresh_all_tiers` re-checks every organisation in batches, for the nightly run that catches
certificates expiring with the passage of time.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    Select,
    and_,
    case,
    exists,
    func,
    insert,
    null,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.orm import Session

from portal.models import (
    MEMBER_STATUS,
    AuditEvent,
    Certificate,
    CommitmentSignature,
    Course,
    ElementStatus,
    Membership,
    Organisation,
    PolicyElementRecord,
    SchemeStatus,
    Site,
    Tier,
    Verification,
)
from portal.services.audit import record_event
from portal.services.policy_framework import WRITTEN_POLICY, PolicyFramework, policy_framework
from portal.settings import settings_of

CHAMPION_AUDIENCES = ("champion", "all")
TIERS_CHECKED = "tiers.checked"  # the audit event of a re-check of every organisation's tier
BATCH_SIZE = 500


@dataclass(frozen=True)
class SiteCoverage:
    site_id: int
    name: str
    headcount: int
    champions: int  # current champions placed at this site
    certified: int  # ...of whom hold a current certification
    needed: int  # certified champions the target asks for

    @property
    def met(self) -> bool:
        return self.certified >= self.needed


@dataclass
class TierFacts:
    organisation_id: int
    status: SchemeStatus
    signed: bool = False
    elements: dict[str, tuple[ElementStatus, Verification]] = field(default_factory=dict)
    sites: list[SiteCoverage] = field(default_factory=list)
    champions: int = 0  # current champions, anywhere
    certified: int = 0  # current champions with a current certification
    lapsed: int = 0  # current champions once certified, no longer
    tier: Tier | None = None  # as stored on the organisation now


@dataclass(frozen=True)
class Assessment:
    tier: Tier | None
    next_tier: Tier | None
    missing: tuple[str, ...]  # plain English: what stands between this tier and the next
    sites: tuple[SiteCoverage, ...] = ()

    @property
    def label(self) -> str:
        return self.tier.label if self.tier else "Not yet in a tier"


def needed_for(headcount: int, target: float) -> int:
    """Certified champions a site of `headcount` staff needs: at least one for any site."""
    return max(1, math.ceil(Decimal(str(target)) * headcount / 100)) if target > 0 else 0


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def _quoted(title: str) -> str:
    return f"“{title}”"


def evaluate(facts: TierFacts, framework: PolicyFramework) -> Assessment:
    """The tier the facts earn, and what is missing for the next one."""
    missing_committed = _missing_for_committed(facts)
    if missing_committed:
        return Assessment(None, Tier.COMMITTED, missing_committed, tuple(facts.sites))
    missing_active = _missing_for_active(facts, framework)
    if missing_active:
        return Assessment(Tier.COMMITTED, Tier.ACTIVE, missing_active, tuple(facts.sites))
    missing_established = _missing_for_established(facts, framework)
    if missing_established:
        return Assessment(Tier.ACTIVE, Tier.ESTABLISHED, missing_established, tuple(facts.sites))
    return Assessment(Tier.ESTABLISHED, None, (), tuple(facts.sites))


def _missing_for_committed(facts: TierFacts) -> tuple[str, ...]:
    missing = []
    if facts.status == SchemeStatus.APPLIED:
        missing.append("A scheme coordinator needs to approve the application")
    elif facts.status != MEMBER_STATUS:
        missing.append(f"The membership is {facts.status.label.lower()}: a scheme coordinator "
                       "needs to reinstate it")
    if not facts.signed:
        missing.append("Sign the scheme commitment")
    return tuple(missing)


def _missing_for_active(facts: TierFacts, framework: PolicyFramework) -> tuple[str, ...]:
    missing = []
    status, _verification = facts.elements.get(
        WRITTEN_POLICY, (ElementStatus.NOT_STARTED, Verification.UNVERIFIED))
    if status != ElementStatus.IN_PLACE:
        element = framework.get(WRITTEN_POLICY)
        title = element.title if element else "Written policy"
        missing.append(f"Record {_quoted(title)} as in place (it is "
                       f"{status.label.lower()})")
    if facts.certified == 0:
        if facts.champions == 0:
            missing.append("Invite at least one champion, who then completes the champion "
                           "training")
        else:
            missing.append("At least one champion needs to complete the champion training and "
                           "hold a current certificate")
    return tuple(missing)


def _missing_for_established(facts: TierFacts, framework: PolicyFramework) -> tuple[str, ...]:
    missing = []
    for element in framework.elements:
        status, verification = facts.elements.get(
            element.key, (ElementStatus.NOT_STARTED, Verification.UNVERIFIED))
        if status != ElementStatus.IN_PLACE:
            missing.append(f"{_quoted(element.title)} is {status.label.lower()}: it needs to be "
                           "in place")
        elif verification == Verification.RETURNED:
            missing.append(f"{_quoted(element.title)} was returned by a coordinator: see their "
                           "comment and update the evidence")
        elif verification != Verification.VERIFIED:
            missing.append(f"{_quoted(element.title)} is waiting for a coordinator to verify it")
    for site in facts.sites:
        if not site.met:
            missing.append(
                f"{site.name} ({_plural(site.headcount, 'member', 'members')} of staff) needs "
                f"{_plural(site.needed, 'champion', 'champions')} with a current certificate; "
                f"it has {site.certified}")
    if facts.lapsed:
        missing.append(
            f"{_plural(facts.lapsed, 'champion’s certificate has', 'champions’ certificates have')}"
            " expired: they need to complete the refresher training")
    return tuple(missing)


def _batches(ids: Sequence[int], size: int) -> Iterable[Sequence[int]]:
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


def gather_facts(session: Session, organisations: Sequence[int] | Select,
                 now: datetime, target: float) -> dict[int, TierFacts]:
    """Everything the rules need for these organisations (ids, or a query of ids), in three
    queries whatever their number; callers keep lists of ids to a few hundred.

    The first query reads each organisation's status and stored tier, whether it has signed the
    commitment and its policy element records (one row per record).
    """
    signed = exists().where(CommitmentSignature.organisation_id == Organisation.id)
    facts: dict[int, TierFacts] = {}
    for org_id, status, tier, is_signed, key, element_status, verification in session.execute(
            select(Organisation.id, Organisation.scheme_status, Organisation.tier, signed,
                   PolicyElementRecord.element_key, PolicyElementRecord.status,
                   PolicyElementRecord.verification)
            .outerjoin(PolicyElementRecord,
                       PolicyElementRecord.organisation_id == Organisation.id)
            .where(Organisation.id.in_(organisations))):
        item = facts.setdefault(org_id, TierFacts(org_id, status, bool(is_signed), tier=tier))
        if key is not None:
            item.elements[key] = (element_status, verification)
    ids = list(facts)
    if not ids:
        return facts
    for org_id, site_id, name, headcount, total, certified, lapsed in session.execute(
            _sites_and_champions(ids, now)):
        total, certified, lapsed = int(total or 0), int(certified or 0), int(lapsed or 0)
        if site_id is not None:
            facts[org_id].sites.append(SiteCoverage(site_id, name, headcount, total, certified,
                                                    needed_for(headcount, target)))
        facts[org_id].champions += total
        facts[org_id].certified += certified
        facts[org_id].lapsed += lapsed
    return facts


def _sites_and_champions(ids: Sequence[int], now: datetime) -> Select:
    """The second query: each site of these organisations with its champion counts, then the
    counts of champions placed at no site (a row with no site), in one statement."""
    counts = _champion_counts(ids, now).cte("champion_counts")
    at_site = and_(counts.c.organisation_id == Site.organisation_id, counts.c.site_id == Site.id)
    sites = (select(Site.organisation_id, Site.id.label("site_id"), Site.name, Site.headcount,
                    counts.c.total, counts.c.certified, counts.c.lapsed)
             .outerjoin(counts, at_site).where(Site.organisation_id.in_(ids)))
    elsewhere = (select(counts.c.organisation_id, null(), null(), null(), counts.c.total,
                        counts.c.certified, counts.c.lapsed)
                 .where(~exists().where(at_site, Site.organisation_id.in_(ids))))
    both = union_all(sites, elsewhere).subquery()
    # Sites in name order within each organisation, as the dashboards list them.
    return select(both).order_by(both.c.organisation_id, both.c.site_id.is_(None),
                                 both.c.name, both.c.site_id)


def _champion_counts(ids: Sequence[int], now: datetime) -> Select:
    """Per (organisation, site): current champions, those currently certified, those lapsed."""
    certifying = select(Course.id).where(Course.required.is_(True),
                                         Course.audience.in_(CHAMPION_AUDIENCES))
    # One row per champion, their certificates looked up through the (user_id, course_id) index
    # by scalar subqueries: PostgreSQL hashed every certificate for a join, or for EXISTS.
    held = and_(Certificate.user_id == Membership.user_id, Certificate.course_id.in_(certifying))
    per_champion = (
        select(Membership.organisation_id.label("organisation_id"),
               Membership.site_id.label("site_id"),
               select(func.max(case((Certificate.is_current_at(now), 1), else_=0)))
               .where(held).scalar_subquery().label("current"),
               select(func.count()).where(held).scalar_subquery().label("held"))
        .where(Membership.organisation_id.in_(ids), Membership.is_current_champion)
        .subquery())
    current = func.coalesce(per_champion.c.current, 0)
    ever = case((per_champion.c.held > 0, 1), else_=0)
    return (select(per_champion.c.organisation_id, per_champion.c.site_id,
                   func.count().label("total"), func.sum(current).label("certified"),
                   func.sum(ever - current).label("lapsed"))
            .group_by(per_champion.c.organisation_id, per_champion.c.site_id))


def assess(session: Session, organisation: Organisation, now: datetime, *,
           target: float | None = None) -> Assessment:
    """The organisation's tier from its data now, and what is missing for the next tier."""
    target = coverage_target(session) if target is None else target
    facts = gather_facts(session, [organisation.id], now, target)
    return evaluate(facts[organisation.id], policy_framework())


def coverage_target(session: Session) -> float:
    """COVERAGE_TARGET_PER_100_STAFF, from the settings the session carries."""
    return settings_of(session).coverage_target_per_100_staff


def _tier_changes(facts: Iterable[TierFacts], framework: PolicyFramework
                  ) -> dict[int, Tier | None]:
    """The organisations whose tier is not what their facts earn now (none unless approved)."""
    changes = {}
    for item in facts:
        tier = evaluate(item, framework).tier if item.status == MEMBER_STATUS else None
        if tier != item.tier:
            changes[item.organisation_id] = tier
    return changes


def _value(tier: Tier | None) -> str | None:
    return tier.value if tier is not None else None


def _audit_rows(changes: dict[int, Tier | None], current: dict[int, Tier | None],
                now: datetime) -> list[dict]:
    return [{"action": "organisation.tier_changed", "outcome": "success", "actor_id": None,
             "organisation_id": org_id, "target_type": "organisation", "target_id": org_id,
             "occurred_at": now,
             "details": {"from": _value(current[org_id]), "to": _value(tier)}}
            for org_id, tier in changes.items()]


def refresh_tier(session: Session, organisation: Organisation, now: datetime, *,
                 target: float | None = None) -> Tier | None:
    """Bring Organisation.tier up to date (None unless approved), with an audit event on change."""
    if not organisation.is_member:
        tier = None
    else:
        tier = assess(session, organisation, now, target=target).tier
    if tier != organisation.tier:
        old = organisation.tier
        organisation.tier, organisation.tier_changed_at = tier, now
        record_event(session, "organisation.tier_changed", organisation=organisation,
                     target=organisation, details={"from": old.value if old else None,
                                                   "to": tier.value if tier else None})
    return tier


def refresh_tiers_for_user(session: Session, user_id: int, now: datetime) -> None:
    """After a person's training changes: every organisation they champion, in a fixed number
    of statements however many (three reads; writes only when a tier changes)."""
    championed = select(Membership.organisation_id).where(
        Membership.user_id == user_id, Membership.is_current_champion)
    _refresh(session, gather_facts(session, championed, now, coverage_target(session)), now)


def refresh_all_tiers(session: Session, now: datetime, *, target: float | None = None,
                      batch_size: int = BATCH_SIZE) -> int:
    """Re-check every organisation that has or could have a tier; returns how many changed.

    Set-based: per batch of `batch_size` organisations, three reads, one UPDATE per new tier
    value and one INSERT of audit rows, so thousands of organisations cost a few dozen queries.
    """
    target = coverage_target(session) if target is None else target
    candidates = session.scalars(
        select(Organisation.id)
        .where(or_(Organisation.is_member,
                   Organisation.tier.is_not(None)))
        .order_by(Organisation.id)).all()
    changed = sum(_refresh(session, gather_facts(session, batch, now, target), now)
                  for batch in _batches(candidates, batch_size))
    # When every tier was last re-checked, for the coordinators' dashboard.
    record_event(session, TIERS_CHECKED, details={"counts": {
        "organisations": len(candidates), "changed": changed}})
    return changed


def _refresh(session: Session, facts: dict[int, TierFacts], now: datetime) -> int:
    changes = _tier_changes(facts.values(), policy_framework())
    _apply(session, changes, {org_id: item.tier for org_id, item in facts.items()}, now)
    return len(changes)


def _apply(session: Session, changes: dict[int, Tier | None], current: dict[int, Tier | None],
           now: datetime) -> None:
    if not changes:
        return
    by_tier: dict[Tier | None, list[int]] = {}
    for org_id, tier in changes.items():
        by_tier.setdefault(tier, []).append(org_id)
    for tier, org_ids in by_tier.items():
        session.execute(update(Organisation).where(Organisation.id.in_(org_ids))
                        .values(tier=tier, tier_changed_at=now))
    session.execute(insert(AuditEvent), _audit_rows(changes, current, now))
