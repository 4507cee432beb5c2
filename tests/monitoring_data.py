"""Test data for scheme monitoring: factories, a fixed data set with hand-worked figures, and
bulk data made with core inserts (thousands of rows in well under a second on SQLite)."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import count

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.models import (
    Assignment,
    AssignmentSource,
    AttemptStatus,
    Borough,
    Certificate,
    Course,
    ElementStatus,
    Membership,
    Module,
    ModuleCompletion,
    ModuleVersion,
    Organisation,
    OrgRole,
    PolicyElementRecord,
    QuizAttempt,
    SchemeStatus,
    Sector,
    Site,
    Tier,
    User,
    Verification,
)
from portal.services import training_status
from tests.factories import default_password_hash, make_user

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
TODAY = NOW.date()
_numbers = count(1)


def at(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, 9, 0, tzinfo=UTC)


def make_champion_course(session: Session, **overrides: object) -> Course:
    """A required champion course with one module and its current version."""
    number = next(_numbers)
    values = {"key": f"course-{number}", "title": f"Course {number}", "audience": "champion",
              "required": True, "refresher_months": 12}
    values.update(overrides)
    course = Course(**values)
    session.add(course)
    session.flush()
    module = Module(key=f"module-{number}", course_id=course.id, position=1)
    session.add(module)
    session.flush()
    version = ModuleVersion(module_id=module.id, version=1, content_hash=f"hash-{number}",
                            title=f"Module {number}", body_html="<p>Text</p>", pass_mark=80,
                            questions=[])
    session.add(version)
    session.flush()
    module.current_version_id = version.id
    session.flush()
    return course


def make_certificate(session: Session, user: User, course: Course, *, issued_at: datetime,
                     expires_at: datetime | None) -> Certificate:
    """A certificate with the attempt and completion that earned it."""
    module = course.modules[0]
    attempt = QuizAttempt(user_id=user.id, module_id=module.id,
                          module_version_id=module.current_version_id,
                          status=AttemptStatus.SUBMITTED, drawn=[], selected={}, score=100,
                          correct_count=0, passed=True, started_at=issued_at,
                          submitted_at=issued_at)
    session.add(attempt)
    session.flush()
    completion = ModuleCompletion(user_id=user.id, module_id=module.id,
                                  module_version_id=module.current_version_id, version=1,
                                  attempt_id=attempt.id, completed_at=issued_at)
    session.add(completion)
    session.flush()
    certificate = Certificate(code=secrets.token_hex(6).upper(), user_id=user.id,
                              course_id=course.id, completion_id=completion.id,
                              issued_at=issued_at, expires_at=expires_at)
    session.add(certificate)
    session.flush()
    return certificate


def make_assignment(session: Session, user: User, organisation: Organisation, course: Course,
                    *, due_on: date, **overrides: object) -> Assignment:
    assignment = Assignment(organisation_id=organisation.id, user_id=user.id,
                            course_id=course.id, source=AssignmentSource.AUTOMATIC,
                            due_on=due_on, **overrides)
    session.add(assignment)
    session.flush()
    return assignment


def make_policy_record(session: Session, organisation: Organisation, key: str, *,
                       status: ElementStatus = ElementStatus.IN_PLACE,
                       in_place_on: date | None = None,
                       verification: Verification = Verification.UNVERIFIED,
                       **overrides: object) -> PolicyElementRecord:
    record = PolicyElementRecord(organisation_id=organisation.id, element_key=key, status=status,
                                 in_place_on=in_place_on, verification=verification, **overrides)
    session.add(record)
    session.flush()
    return record


def make_org(session: Session, name: str, *, sector: Sector, sites: list[tuple[Borough, int]],
             status: SchemeStatus = SchemeStatus.APPROVED, tier: Tier | None = None,
             applied: datetime | None = None, approved: datetime | None = None,
             listed: bool = False, **overrides: object) -> Organisation:
    organisation = Organisation(name=name, sector=sector, scheme_status=status, tier=tier,
                                submitted_at=applied, created_at=applied or NOW,
                                approved_at=approved, listed_publicly=listed, **overrides)
    session.add(organisation)
    session.flush()
    for number, (borough, headcount) in enumerate(sites, 1):
        session.add(Site(organisation=organisation, name=f"{name} site {number}",
                         borough=borough, headcount=headcount))
    session.flush()
    return organisation


def make_champion(session: Session, organisation: Organisation, site: Site | None, *,
                  joined: datetime, withdrawn: datetime | None = None,
                  record_key: int | None = None, **overrides: object) -> User:
    """A champion; `record_key` fixes the role's cell key (random otherwise, as in the portal)."""
    user = make_user(session, **overrides)
    keys = {} if record_key is None else {"record_key": record_key}
    session.add(Membership(user=user, organisation=organisation, role=OrgRole.CHAMPION,
                           site_id=site.id if site else None, created_at=joined,
                           withdrawn_at=withdrawn, **keys))
    session.flush()
    return user


@dataclass
class FixedData:
    """The organisations of the fixed data set, by letter (see build_fixed_data)."""

    orgs: dict[str, Organisation]
    course: Course
    coordinator: User


def build_fixed_data(session: Session) -> FixedData:
    """A small scheme whose every figure is worked out by hand in tests/services/test_monitoring.

    A  Alder Foods      private, Liverpool 30 + Sefton 40 (70: 50-249), approved, Active
    B  Birch Council    public, Wirral 1,200 (1,000+), approved, Established
    C  Cedar Charity    voluntary, Knowsley 20 (1-49), approved, Committed
    D  Damson Limited   private, Liverpool 300 (250-999), suspended
    E  Elm Academy      education, Sefton 10, applied (confirmed), waiting for a decision
    F  Fig Florist      other, Halton 5, applied but never confirmed: never counted
    G  Gorse Clinic     health and care, St Helens 60, declined
    """
    course = make_champion_course(session, title="Champion essentials")
    coordinator = make_user(session, is_coordinator=True, full_name="Dana Coordinator")
    P = SchemeStatus  # noqa: N806
    a = make_org(session, "Alder Foods", sector=Sector.PRIVATE,
                 sites=[(Borough.LIVERPOOL, 30), (Borough.SEFTON, 40)], tier=Tier.ACTIVE,
                 applied=at(2026, 1, 10), approved=at(2026, 1, 20), listed=True,
                 registered_number="01234567")
    b = make_org(session, "Birch Council", sector=Sector.PUBLIC, sites=[(Borough.WIRRAL, 1200)],
                 tier=Tier.ESTABLISHED, applied=at(2026, 3, 1), approved=at(2026, 3, 5),
                 listed=True)
    c = make_org(session, "Cedar Charity", sector=Sector.VOLUNTARY,
                 sites=[(Borough.KNOWSLEY, 20)], tier=Tier.COMMITTED, applied=at(2026, 6, 1),
                 approved=at(2026, 6, 11))
    d = make_org(session, "Damson Limited", sector=Sector.PRIVATE,
                 sites=[(Borough.LIVERPOOL, 300)], status=P.SUSPENDED, applied=at(2025, 5, 1),
                 approved=at(2025, 5, 10), listed=True)
    e = make_org(session, "Elm Academy", sector=Sector.EDUCATION, sites=[(Borough.SEFTON, 10)],
                 status=P.APPLIED, applied=at(2026, 10, 1))
    f = make_org(session, "Fig Florist", sector=Sector.OTHER, sites=[(Borough.HALTON, 5)],
                 status=P.APPLIED)
    g = make_org(session, "Gorse Clinic", sector=Sector.HEALTH_AND_CARE,
                 sites=[(Borough.ST_HELENS, 60)], status=P.DECLINED, applied=at(2025, 8, 1))
    make_user(session, organisation=e, role=OrgRole.HR_LEAD)
    _alder(session, a, course)
    _birch(session, b, course)
    _cedar(session, c, course)
    _damson(session, d, course)
    session.commit()
    return FixedData({"A": a, "B": b, "C": c, "D": d, "E": e, "F": f, "G": g}, course,
                     coordinator)


def _alder(session: Session, a: Organisation, course: Course) -> None:
    liverpool, sefton = sorted(a.sites, key=lambda s: s.borough.value)
    joined = at(2026, 1, 25)
    people = [make_champion(session, a, liverpool, joined=joined, full_name=f"Alder L{n}")
              for n in range(1, 7)]
    for person in people[:4]:
        make_certificate(session, person, course, issued_at=at(2026, 3, 21),
                         expires_at=at(2027, 3, 21))
    make_certificate(session, people[4], course, issued_at=at(2025, 2, 1),
                     expires_at=at(2026, 2, 1))  # trained, certification expired
    leaver = make_champion(session, a, liverpool, joined=joined, withdrawn=at(2026, 6, 1))
    make_certificate(session, leaver, course, issued_at=at(2026, 4, 1), expires_at=at(2027, 4, 1))
    sefton_champion = make_champion(session, a, sefton, joined=joined, full_name="Alder S1")
    make_certificate(session, sefton_champion, course, issued_at=at(2025, 12, 21),
                     expires_at=at(2026, 12, 21))  # expires within 60 days
    l1, l2, l3, l4, l5, l6 = people
    make_assignment(session, l6, a, course, due_on=date(2026, 10, 1))  # overdue
    # Overdue again (a module the HR lead set): still one person.
    session.add(Assignment(organisation_id=a.id, user_id=l6.id, module_id=course.modules[0].id,
                           source=AssignmentSource.HR_LEAD, due_on=date(2026, 11, 1)))
    make_assignment(session, l5, a, course, due_on=date(2026, 11, 20))  # overdue
    make_assignment(session, l1, a, course, due_on=date(2026, 9, 1), cancelled_at=NOW)
    make_assignment(session, l2, a, course, due_on=date(2026, 9, 1), completed_at=NOW)
    make_assignment(session, l3, a, course, due_on=date(2026, 12, 1))  # not due yet
    make_assignment(session, l4, a, course, due_on=TODAY)  # due today: not overdue
    make_assignment(session, leaver, a, course, due_on=date(2026, 9, 1))  # withdrawn: not counted
    make_policy_record(session, a, "written_policy", in_place_on=date(2026, 2, 19),
                       verification=Verification.VERIFIED)
    make_policy_record(session, a, "staff_informed", status=ElementStatus.IN_PROGRESS)


def _birch(session: Session, b: Organisation, course: Course) -> None:
    site = b.sites[0]
    people = [make_champion(session, b, site, joined=at(2026, 3, 6), full_name=f"Birch W{n}")
              for n in range(1, 13)]
    for person in people[:9]:
        make_certificate(session, person, course, issued_at=at(2026, 3, 20), expires_at=None)
    make_certificate(session, people[9], course, issued_at=at(2026, 3, 20),
                     expires_at=at(2027, 1, 5))  # within 60 days
    make_policy_record(session, b, "written_policy", in_place_on=date(2026, 3, 15))
    make_policy_record(session, b, "staff_informed", in_place_on=date(2026, 4, 1),
                       verification=Verification.VERIFIED)


def _cedar(session: Session, c: Organisation, course: Course) -> None:
    site = c.sites[0]
    k1 = make_champion(session, c, site, joined=at(2026, 6, 15), full_name="Cedar K1")
    make_champion(session, c, site, joined=at(2026, 6, 15), full_name="Cedar K2")
    make_assignment(session, k1, c, course, due_on=date(2026, 9, 1))


def _damson(session: Session, d: Organisation, course: Course) -> None:
    site = d.sites[0]
    for n in range(1, 4):
        person = make_champion(session, d, site, joined=at(2025, 5, 15), full_name=f"Damson {n}")
        make_certificate(session, person, course, issued_at=at(2025, 6, 1),
                         expires_at=at(2026, 6, 1))
        make_assignment(session, person, d, course, due_on=date(2026, 1, 1))
    make_policy_record(session, d, "written_policy", in_place_on=date(2025, 5, 1))


# --- Bulk data ----------------------------------------------------------------------------------

def add_bulk_data(session: Session, organisations: int, *, champions_each: int = 3) -> None:
    """`organisations` approved members with two sites, champions, certificates, assignments and
    policy records, inserted with a handful of executemany statements (ids from the database)."""
    course = make_champion_course(session)
    module = course.modules[0]
    batch = secrets.token_hex(4)
    boroughs, sectors, tiers = list(Borough), list(Sector), list(Tier)
    _insert(session, Organisation, [
        {"name": f"Bulk {batch} {n}", "name_key": f"bulk {batch} {n}", "sector": sectors[n % 6],
         "scheme_status": SchemeStatus.APPROVED, "tier": tiers[n % 3],
         "submitted_at": at(2026, 1, 1),
         "approved_at": at(2026, 2, 1) + timedelta(days=n % 200), "created_at": at(2026, 1, 1),
         "listed_publicly": n % 2 == 0}
        for n in range(organisations)])
    org_ids = list(session.scalars(sa.select(Organisation.id).where(
        Organisation.name.startswith(f"Bulk {batch} ")).order_by(Organisation.id)))
    _insert(session, Site, [
        {"organisation_id": i, "name": f"Site {n}", "borough": boroughs[(i + n) % 7],
         "headcount": 10 + (i * 37 + n) % 1500}
        for i in org_ids for n in (1, 2)])
    site_ids = dict(session.execute(sa.select(Site.organisation_id, sa.func.min(Site.id))
                                    .where(Site.organisation_id.in_(org_ids))
                                    .group_by(Site.organisation_id)).all())
    homes = [org for org in org_ids for _ in range(champions_each)]
    _insert(session, User, [
        {"email": f"bulk-{batch}-{n}@example.org", "full_name": f"Bulk Person {n}",
         "password_hash": default_password_hash()} for n in range(len(homes))])
    user_ids = list(session.scalars(sa.select(User.id).where(
        User.email.startswith(f"bulk-{batch}-")).order_by(User.id)))
    people = list(zip(user_ids, homes, strict=True))
    _insert(session, Membership, [
        {"user_id": uid, "organisation_id": org, "role": OrgRole.CHAMPION,
         "site_id": site_ids[org], "created_at": at(2026, 2, 2)} for uid, org in people])
    _bulk_certificates(session, [p for p in people if p[0] % 3], course.id, module)
    _insert(session, Assignment, [
        {"organisation_id": org, "user_id": uid, "course_id": course.id,
         "source": AssignmentSource.AUTOMATIC, "due_on": date(2026, 3, 1)}
        for uid, org in people if uid % 3 == 0])
    _insert(session, PolicyElementRecord, [
        {"organisation_id": i, "element_key": key, "status": ElementStatus.IN_PLACE,
         "in_place_on": date(2026, 3, 1), "verification": Verification.VERIFIED, "version": 1}
        for i in org_ids for key in ("written_policy", "staff_informed")])
    session.commit()


def _bulk_certificates(session: Session, people: list[tuple[int, int]], course_id: int,
                       module: Module) -> None:
    attempts = [{"public_id": uuid.uuid4(), "user_id": uid, "module_id": module.id,
                 "module_version_id": module.current_version_id,
                 "status": AttemptStatus.SUBMITTED, "drawn": [], "passed": True,
                 "started_at": at(2026, 3, 1)} for uid, _ in people]
    _insert(session, QuizAttempt, attempts)
    attempt_ids = dict(session.execute(sa.select(QuizAttempt.user_id, QuizAttempt.id).where(
        QuizAttempt.module_id == module.id)).all())
    _insert(session, ModuleCompletion, [
        {"user_id": uid, "module_id": module.id, "module_version_id": module.current_version_id,
         "version": 1, "attempt_id": attempt_ids[uid], "completed_at": at(2026, 3, 1)}
        for uid, _ in people])
    completion_ids = dict(session.execute(sa.select(ModuleCompletion.user_id,
                                                    ModuleCompletion.id).where(
        ModuleCompletion.module_id == module.id)).all())
    _insert(session, Certificate, [
        {"code": f"B{uid:011d}", "user_id": uid, "course_id": course_id,
         "completion_id": completion_ids[uid], "issued_at": at(2026, 3, 1),
         "expires_at": at(2027, 3, 1) if uid % 2 else at(2026, 12, 1)}
        for uid, _ in people])


def _insert(session: Session, model: type, rows: list[dict]) -> None:
    if rows:  # an empty list would insert one row of defaults
        session.execute(sa.insert(model), rows)
    if model in (Membership, Certificate, Assignment):  # as the portal's bulk writes do
        training_status.changed(session, [row["user_id"] for row in rows])
