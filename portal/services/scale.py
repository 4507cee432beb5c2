"""Synthetic data at national scale, inserted in bulk, for the benchmark harness.

`flask --app portal seed-scale` calls seed_scale(). Every row is generated in Python with an
explicit id (numbered on from whatever is already stored), so foreign keys need no round trips,
and written in big batches: COPY on PostgreSQL, SQLAlchemy Core executemany elsewhere. The data is
deterministic for a given seed. Never for production: every account shares one password.
"""
# ruff: noqa: S311 - seeded pseudo-random numbers make repeatable synthetic data, not secrets

from __future__ import annotations

import json
import math
import random
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import NamedTuple

import sqlalchemy as sa
from dateutil.relativedelta import relativedelta
from sqlalchemy.orm import Session

from portal.models import (
    Assignment,
    AssignmentSource,
    AttemptStatus,
    Borough,
    Certificate,
    CommitmentSignature,
    Course,
    ElementStatus,
    Membership,
    ModuleCompletion,
    ModuleVersion,
    Organisation,
    OrgRole,
    PolicyElementEvent,
    PolicyElementRecord,
    QuizAttempt,
    SchemeStatus,
    Sector,
    Site,
    Tier,
    User,
    Verification,
    WithdrawalReason,
    normalise_name,
    utcnow,
)
from portal.models.people import RECORD_KEYS
from portal.models.training import CERTIFICATE_CODE_ALPHABET
from portal.services.errors import PortalError
from portal.services.policy_framework import WRITTEN_POLICY, policy_framework
from portal.services.tiers import refresh_all_tiers
from portal.services.training import draw_questions, grade_attempt

SCALE_DOMAIN = "scale.example"
SCALE_PASSWORD = "scale-password-for-benchmarks-only"  # noqa: S105 - synthetic accounts only
COORDINATOR_EMAIL = f"coordinator@{SCALE_DOMAIN}"
HR_LEAD_EMAIL = f"hr-lead@{SCALE_DOMAIN}"  # an HR lead of the benchmark organisation
LEARNER_EMAIL = f"learner@{SCALE_DOMAIN}"  # a champion of it, part-way through the course
BENCH_ORGANISATION = "Benchmark Champions Trust"
BENCH_CHAMPIONS = 500  # the HR lead dashboard is measured on an organisation this size

BATCH_ROWS = 50_000
HISTORY_DAYS = 730  # two years of activity, ending now
WITHDRAWN_SHARE = 0.08
NOT_STARTED_SHARE = 0.15
SECOND_HR_LEAD_SHARE = 0.10
HR_ASSIGNED_SHARE = 0.10
VARIANTS_PER_MODULE = 8

STATUS_WEIGHTS = {SchemeStatus.APPROVED: 70, SchemeStatus.APPLIED: 7,
                  SchemeStatus.DECLINED: 4, SchemeStatus.SUSPENDED: 3,
                  SchemeStatus.WITHDRAWN: 6, SchemeStatus.LAPSED: 10}
TIER_WEIGHTS = {Tier.COMMITTED: 45, Tier.ACTIVE: 40, Tier.ESTABLISHED: 15}
SECTOR_WEIGHTS = {Sector.PRIVATE: 35, Sector.PUBLIC: 15, Sector.VOLUNTARY: 20,
                  Sector.EDUCATION: 10, Sector.HEALTH_AND_CARE: 12, Sector.OTHER: 8}
BOROUGH_WEIGHTS = {Borough.LIVERPOOL: 30, Borough.WIRRAL: 18, Borough.SEFTON: 15,
                   Borough.ST_HELENS: 10, Borough.KNOWSLEY: 10, Borough.HALTON: 8,
                   Borough.OUTSIDE: 9}
EVER_APPROVED = frozenset({SchemeStatus.APPROVED, SchemeStatus.SUSPENDED,
                           SchemeStatus.WITHDRAWN, SchemeStatus.LAPSED})

PLACES = ("Mersey", "Wirral", "Sefton", "Halton", "Knowsley", "Liverpool", "Bootle", "Crosby",
          "Southport", "Widnes", "Runcorn", "Prescot", "Huyton", "Birkenhead", "Wallasey",
          "St Helens", "Kirkby", "Formby", "Garston", "Speke", "Anfield", "Everton", "Aigburth",
          "Woolton", "Maghull", "Hoylake", "Heswall", "Newton", "Rainhill", "Halewood")
NOUNS = ("Harbour", "Riverside", "Dockside", "Community", "Valley", "Park", "Bridge", "Castle",
         "Forge", "Mill", "Quay", "Meadow", "Heritage", "Northern", "Coastal", "Civic", "United",
         "Phoenix", "Liver", "Estuary")
KINDS = {
    Sector.PRIVATE: ("Logistics Ltd", "Engineering Ltd", "Bakery", "Motors Ltd", "Hotels Ltd",
                     "Retail Group", "Builders Ltd", "Foods Limited", "Digital Ltd", "Print Works"),
    Sector.PUBLIC: ("Council", "Fire and Rescue Service", "Housing Trust", "Library Service"),
    Sector.VOLUNTARY: ("Community Trust", "Food Bank", "Youth Project", "Credit Union",
                       "Advice Centre"),
    Sector.EDUCATION: ("Primary School", "High School", "College", "Academy Trust", "Nursery"),
    Sector.HEALTH_AND_CARE: ("Health Centre", "Care Home", "Dental Practice", "Pharmacy",
                             "Hospice"),
    Sector.OTHER: ("Football Club", "Housing Co-operative", "Arts Centre", "Leisure Centre"),
}
SITE_NAMES = ("Head office", "Depot", "Warehouse", "North site", "South site", "Town centre",
              "Clinic", "Campus", "Call centre", "Workshop")
FIRST_NAMES = ("Aisha", "Ben", "Chloe", "Dev", "Ella", "Femi", "Grace", "Harry", "Isla", "Jack",
               "Kiran", "Lily", "Mo", "Niamh", "Owen", "Priya", "Quinn", "Rosa", "Sam", "Tariq",
               "Una", "Vik", "Wendy", "Xin", "Yusuf", "Zoe", "Łucja", "Siobhán", "José", "Chidi")
LAST_NAMES = ("Ahmed", "Brown", "Clarke", "Doyle", "Evans", "Fitzgerald", "Green", "Hughes",
              "Iqbal", "Jones", "Kelly", "Lewis", "Murphy", "Nowak", "O'Brien", "Patel", "Quayle",
              "Roberts", "Smith", "Taylor", "Usman", "Vaughan", "Williams", "Xu", "Young", "Zhang",
              "Öztürk", "McCarthy", "Okafor", "Byrne")
CHAMPION_JOBS = ("Team leader", "Administrator", "Nurse", "Teacher", "Engineer",
                 "Customer adviser", "Warehouse operative", "Finance officer", "Receptionist",
                 "Project manager", "Support worker", "Driver", "Chef", "Care assistant")
HR_JOBS = ("HR manager", "Head of People", "HR adviser", "People partner", "Operations director")
EVIDENCE_NOTES = ("Approved by the board; see the minutes of the last meeting.",
                  "Published on the staff intranet and covered at team briefings.",
                  "Included in the staff handbook and the induction programme.",
                  "Agreed with the senior leadership team this year.")


class ScaleError(PortalError):
    """The requested scale cannot be generated (too few people, no courses synced...)."""


@dataclass(frozen=True)
class Scale:
    organisations: int
    people: int
    attempts: int


@dataclass
class SeedReport:
    rows: Counter = field(default_factory=Counter)
    seconds: float = 0.0
    bench_organisation_id: int = 0


# --------------------------------------------------------------------------------------------
# Writing rows in batches: COPY on PostgreSQL, executemany elsewhere.
# --------------------------------------------------------------------------------------------

TABLE_ORDER = [t.__table__ for t in (
    User, Organisation, Site, Membership, CommitmentSignature, QuizAttempt, ModuleCompletion,
    Certificate, Assignment, PolicyElementRecord, PolicyElementEvent)]
COLUMNS = {
    User.__table__: ("id", "email", "full_name", "password_hash", "is_coordinator", "is_active",
                     "session_version", "email_verified_at", "exit_explained_at",
                     "last_signed_in_at", "created_at"),
    Organisation.__table__: ("id", "name", "name_key", "registered_number", "sector",
                             "listed_publicly", "status", "status_changed_at", "submitted_at",
                             "approved_at", "renewal_due_on", "tier", "tier_changed_at",
                             "champion_contact", "created_at"),
    Site.__table__: ("id", "organisation_id", "name", "borough", "headcount", "created_at"),
    Membership.__table__: ("id", "user_id", "organisation_id", "role", "site_id", "job_title",
                           "created_at", "withdrawn_at", "withdrawal_reason", "record_key"),
    CommitmentSignature.__table__: ("id", "organisation_id", "version", "signatory_name",
                                    "signatory_job_title", "signed_by_id", "signed_at"),
    QuizAttempt.__table__: ("id", "public_id", "user_id", "module_id", "module_version_id",
                            "status", "drawn", "selected", "correct_count", "score", "passed",
                            "started_at", "submitted_at"),
    ModuleCompletion.__table__: ("id", "user_id", "module_id", "module_version_id", "version",
                                 "attempt_id", "completed_at"),
    Certificate.__table__: ("id", "code", "user_id", "course_id", "completion_id", "issued_at",
                            "expires_at"),
    Assignment.__table__: ("id", "organisation_id", "user_id", "course_id", "module_id",
                           "source", "due_on", "assigned_by_id", "created_at", "completed_at",
                           "cancelled_at"),
    PolicyElementRecord.__table__: ("id", "organisation_id", "element_key", "status",
                                    "in_place_on", "review_on", "evidence_note", "verification",
                                    "verified_by_id", "verified_at", "updated_by_id",
                                    "updated_at", "version"),
    PolicyElementEvent.__table__: ("id", "record_id", "action", "status", "verification",
                                   "in_place_on", "review_on", "evidence_note", "actor_id",
                                   "created_at"),
}
JSON_COLUMNS = {QuizAttempt.__table__: (6, 7)}  # drawn, selected: written as JSON text by COPY


class CoreWriter:
    """Any database: SQLAlchemy Core executemany (insertmanyvalues) in big batches."""

    def __init__(self, connection: sa.Connection) -> None:
        self.connection = connection

    def write(self, table: sa.Table, rows: list[tuple]) -> None:
        names = COLUMNS[table]
        self.connection.execute(table.insert(), [dict(zip(names, row, strict=True))
                                                 for row in rows])


class CopyWriter:
    """PostgreSQL: COPY ... FROM STDIN through psycopg, several times faster than INSERTs."""

    def __init__(self, connection: sa.Connection) -> None:
        self.connection = connection
        self.dbapi = connection.connection.driver_connection
        self.json_cache: dict[int, tuple[object, str]] = {}

    def write(self, table: sa.Table, rows: list[tuple]) -> None:
        columns = ", ".join(f'"{name}"' for name in COLUMNS[table])
        json_columns = JSON_COLUMNS.get(table, ())
        with self.dbapi.cursor() as cursor, cursor.copy(
                f'COPY "{table.name}" ({columns}) FROM STDIN') as copy:
            for row in rows:
                if json_columns:
                    row = self._with_json_text(row, json_columns)
                copy.write_row(row)

    def _with_json_text(self, row: tuple, positions: Sequence[int]) -> tuple:
        values = list(row)
        for position in positions:
            values[position] = self._json(values[position])
        return tuple(values)

    def _json(self, value: object) -> str | None:
        if value is None:
            return None
        cached = self.json_cache.get(id(value))
        if cached is None:  # values are shared variants, so this is computed a few times only
            cached = self.json_cache[id(value)] = (value, json.dumps(value))
        return cached[1]


class Buffers:
    """Rows waiting to be written; flushed in foreign-key order so references always exist."""

    def __init__(self, writer: CoreWriter | CopyWriter, report: SeedReport) -> None:
        self.writer = writer
        self.report = report
        self.rows: dict[sa.Table, list[tuple]] = {table: [] for table in TABLE_ORDER}

    def add(self, table: sa.Table, row: tuple) -> None:
        rows = self.rows[table]
        rows.append(row)
        if len(rows) >= BATCH_ROWS:
            self.flush()

    def flush(self) -> None:
        for table in TABLE_ORDER:
            rows = self.rows[table]
            if rows:
                self.writer.write(table, rows)
                self.report.rows[table.name] += len(rows)
                self.rows[table] = []


class Ids:
    """The next free id of each table, numbered on from the largest stored."""

    def __init__(self, connection: sa.Connection) -> None:
        self.next_ids = {table: (connection.scalar(sa.select(sa.func.max(table.c.id))) or 0) + 1
                         for table in TABLE_ORDER}

    def take(self, table: sa.Table) -> int:
        value = self.next_ids[table]
        self.next_ids[table] = value + 1
        return value


# --------------------------------------------------------------------------------------------
# The course catalogue as stored, with a few precomputed quiz draws per module.
# --------------------------------------------------------------------------------------------

class Variant(NamedTuple):
    drawn: list
    passed: tuple[dict, int, int]  # selected, correct_count, score
    failed: tuple[dict, int, int]


class ModulePlan(NamedTuple):
    id: int
    version_id: int
    version: int
    variants: tuple[Variant, ...]


class CoursePlan(NamedTuple):
    id: int
    refresher_months: int
    modules: tuple[ModulePlan, ...]


def training_plan(session: Session, rng: random.Random) -> dict[OrgRole, list[CoursePlan]]:
    """The required courses for each role, as stored by `courses sync`."""
    courses = session.scalars(sa.select(Course).where(Course.retired_at.is_(None),
                                                      Course.required.is_(True))
                              .order_by(Course.id)).all()
    if not courses:
        raise ScaleError("No courses are stored. Run `flask --app portal courses sync` first.")
    plan: dict[OrgRole, list[CoursePlan]] = {OrgRole.CHAMPION: [], OrgRole.HR_LEAD: []}
    for course in courses:
        modules = tuple(ModulePlan(m.id, m.current_version.id, m.current_version.version,
                                   tuple(_variant(m.current_version, rng)
                                         for _ in range(VARIANTS_PER_MODULE)))
                        for m in course.modules
                        if m.retired_at is None and m.current_version is not None)
        for role in plan:
            if course.audience in (role.value, "all") and modules:
                plan[role].append(CoursePlan(course.id, course.refresher_months, modules))
    return plan


def _variant(version: ModuleVersion, rng: random.Random) -> Variant:
    questions = {q["id"]: q for q in version.questions}
    drawn = draw_questions(version.questions, version.questions_per_attempt,
                           version.shuffle_answers, rng)
    right = {item["question"]: sorted(a["key"] for a in questions[item["question"]]["answers"]
                                      if a["correct"]) for item in drawn}
    wrong = dict(right)
    for item in drawn[: max(1, len(drawn) // 2)]:  # half the answers wrong: below any pass mark
        answers = questions[item["question"]]["answers"]
        wrong[item["question"]] = [next((a["key"] for a in answers if not a["correct"]),
                                        answers[0]["key"])]
    graded = [grade_attempt(questions, drawn, chosen, version.pass_mark)
              for chosen in (right, wrong)]
    return Variant(drawn, (right, graded[0].correct_count, graded[0].score),
                   (wrong, graded[1].correct_count, graded[1].score))


# --------------------------------------------------------------------------------------------
# Organisations and their sites.
# --------------------------------------------------------------------------------------------

@dataclass
class OrgPlan:
    id: int
    status: SchemeStatus
    created_at: datetime
    submitted_at: datetime | None
    approved_at: datetime | None
    active_until: datetime  # people stop joining and training after this
    tier: Tier | None = None
    site_ids: list[int] = field(default_factory=list)
    headcount: int = 0
    hr_lead_id: int = 0
    hr_lead_name: str = ""
    champions: int = 0
    hr_leads: int = 1
    bench: bool = False

    @property
    def ever_approved(self) -> bool:
        return self.status in EVER_APPROVED


class Generator:
    """Makes every row; one instance per run, holding the random source and the clock."""

    def __init__(self, scale: Scale, buffers: Buffers, ids: Ids, plan: dict, password_hash: str,
                 seed: int) -> None:
        self.scale, self.buffers, self.ids, self.plan = scale, buffers, ids, plan
        self.password_hash = password_hash
        self.rng = random.Random(seed)
        self.now = utcnow()
        self.start = self.now - timedelta(days=HISTORY_DAYS)
        self.coordinator_id = 0

    def moment(self, low: datetime, high: datetime) -> datetime:
        """A random moment between two others (the first if the range is empty)."""
        span = (high - low).total_seconds()
        return low + timedelta(seconds=self.rng.uniform(0, span)) if span > 0 else low

    def pick(self, weights: dict):  # noqa: ANN201 - the weights' key type
        return self.rng.choices(list(weights), weights=list(weights.values()))[0]

    # ---- organisations ----

    def organisations(self) -> list[OrgPlan]:
        orgs = [self._organisation(index) for index in range(self.scale.organisations)]
        for org in orgs:
            self._sites(org)
        return orgs

    def _organisation(self, index: int) -> OrgPlan:
        bench = index == 0
        status = SchemeStatus.APPROVED if bench else self.pick(STATUS_WEIGHTS)
        org = self._org_dates(status)
        org.bench = bench
        if status == SchemeStatus.APPROVED:
            org.tier = Tier.ESTABLISHED if bench else self.pick(TIER_WEIGHTS)
        sector = Sector.VOLUNTARY if bench else self.pick(SECTOR_WEIGHTS)
        name = BENCH_ORGANISATION if bench else (
            f"{self.rng.choice(PLACES)} {self.rng.choice(NOUNS)} "
            f"{self.rng.choice(KINDS[sector])}")
        self.buffers.add(Organisation.__table__, (
            org.id, name, normalise_name(name), f"{self.rng.randrange(10**7, 10**8)}",
            sector.value, self.rng.random() < 0.4, status.value, self._status_changed(org),
            org.submitted_at, org.approved_at, self._renewal_due(org),
            org.tier.value if org.tier else None,
            self.moment(org.approved_at, self.now) if org.tier else None,
            "champions@example.org" if org.tier and self.rng.random() < 0.5 else None,
            org.created_at))
        return org

    def _org_dates(self, status: SchemeStatus) -> OrgPlan:
        org_id = self.ids.take(Organisation.__table__)
        if status in (SchemeStatus.APPLIED, SchemeStatus.DECLINED):
            created = self.moment(self.now - timedelta(days=90), self.now - timedelta(hours=1))
            submitted = None if status == SchemeStatus.APPLIED and self.rng.random() < 0.25 \
                else self.moment(created, min(created + timedelta(days=2), self.now))
            return OrgPlan(org_id, status, created, submitted, None, self.now)
        # Lapsed members were approved over a year ago and did not renew.
        latest = self.now - timedelta(days=400 if status == SchemeStatus.LAPSED else 40)
        created = self.moment(self.start, latest)
        submitted = self.moment(created, created + timedelta(days=3))
        approved = self.moment(submitted + timedelta(days=1), submitted + timedelta(days=30))
        until = self.now
        if status != SchemeStatus.APPROVED:
            until = self.moment(approved + timedelta(days=30), self.now) \
                if status != SchemeStatus.LAPSED else approved + relativedelta(months=12)
        return OrgPlan(org_id, status, created, submitted, approved, until)

    def _status_changed(self, org: OrgPlan) -> datetime | None:
        if org.status == SchemeStatus.APPLIED:
            return None
        if org.status == SchemeStatus.DECLINED:
            return self.moment(org.submitted_at, self.now)
        return org.approved_at if org.status == SchemeStatus.APPROVED else org.active_until

    def _renewal_due(self, org: OrgPlan) -> date | None:
        if org.approved_at is None:
            return None
        due = org.approved_at.date() + relativedelta(months=12)
        while org.status == SchemeStatus.APPROVED and due <= self.now.date():
            due += relativedelta(months=12)  # renewed every year since
        return due

    def _sites(self, org: OrgPlan) -> None:
        if org.bench:
            sizes = [4000, 2500, 1500]
        else:
            count = self.rng.choices((1, 2, 3, 4, 5), weights=(60, 25, 8, 4, 3))[0]
            sizes = [min(20_000, max(1, int(self.rng.lognormvariate(4.0, 1.3))))
                     for _ in range(count)]
        for number, headcount in enumerate(sizes):
            site_id = self.ids.take(Site.__table__)
            name = SITE_NAMES[number % len(SITE_NAMES)]
            self.buffers.add(Site.__table__, (
                site_id, org.id, name, self.pick(BOROUGH_WEIGHTS).value, headcount,
                org.created_at))
            org.site_ids.append(site_id)
            org.headcount += headcount


# --------------------------------------------------------------------------------------------
# People: who belongs where.
# --------------------------------------------------------------------------------------------

class Person(NamedTuple):
    user_id: int
    org: OrgPlan
    role: OrgRole
    joined_at: datetime
    withdrawn_at: datetime | None
    email: str


def allocate_people(gen: Generator, orgs: list[OrgPlan]) -> None:
    """Decide how many HR leads and champions each organisation has; one has exactly 500."""
    scale = gen.scale
    if scale.people < scale.organisations + BENCH_CHAMPIONS:
        raise ScaleError(f"--people must be at least --organisations + {BENCH_CHAMPIONS} "
                         f"(every organisation has an HR lead, one has {BENCH_CHAMPIONS} "
                         "champions).")
    spare = scale.people - scale.organisations - BENCH_CHAMPIONS
    eligible = [org for org in orgs[1:] if org.ever_approved]
    for org in gen.rng.sample(eligible, min(len(eligible), int(len(eligible) *
                                                                SECOND_HR_LEAD_SHARE), spare)):
        org.hr_leads, spare = 2, spare - 1
    orgs[0].champions = BENCH_CHAMPIONS
    if spare and not eligible:
        raise ScaleError("Too few approved organisations for that many people; "
                         "add organisations or lower --people.")
    weights = [math.sqrt(org.headcount) * gen.rng.uniform(0.5, 1.5) for org in eligible]
    for org, count in zip(eligible, apportion(spare, weights, gen.rng), strict=True):
        org.champions = count


def apportion(total: int, weights: Sequence[float], rng: random.Random,
              caps: Sequence[int] | None = None) -> list[int]:
    """Split `total` into whole shares proportional to `weights`, never above `caps`.

    Raises ScaleError if the caps cannot hold the total.
    """
    caps = caps if caps is not None else [total] * len(weights)
    if sum(caps) < total:
        raise ScaleError("Too many attempts for the number of people; raise --people.")
    weight_sum = sum(weights) or 1.0
    shares = [min(cap, int(total * w / weight_sum)) for w, cap in zip(weights, caps, strict=True)]
    missing = total - sum(shares)
    order = [i for i in range(len(shares)) if weights[i] > 0] or list(range(len(shares)))
    while missing:
        rng.shuffle(order)
        for i in order:
            if missing and shares[i] < caps[i]:
                shares[i] += 1
                missing -= 1
        order = [i for i in range(len(shares)) if shares[i] < caps[i]]
    return shares


def people(gen: Generator, orgs: list[OrgPlan]) -> list[Person]:
    """Write every account and membership; return who each person is, for their training."""
    found = []
    for org in orgs:
        for number in range(org.hr_leads + org.champions):
            found.append(_person(gen, org, OrgRole.HR_LEAD if number < org.hr_leads
                                 else OrgRole.CHAMPION, number))
    return found


def _person(gen: Generator, org: OrgPlan, role: OrgRole, number: int) -> Person:
    user_id = gen.ids.take(User.__table__)
    email = _email(user_id, org, number)
    joined = org.created_at if number == 0 else gen.moment(org.approved_at or org.created_at,
                                                           org.active_until)
    withdrawn = None
    # The benchmark organisation keeps all its champions current.
    if role == OrgRole.CHAMPION and not org.bench and gen.rng.random() < WITHDRAWN_SHARE:
        withdrawn = gen.moment(joined, org.active_until)
    name = f"{gen.rng.choice(FIRST_NAMES)} {gen.rng.choice(LAST_NAMES)}"
    if number == 0:
        org.hr_lead_id, org.hr_lead_name = user_id, name
    signed_in = gen.moment(joined, org.active_until) if gen.rng.random() < 0.75 else None
    gen.buffers.add(User.__table__, (user_id, email, name, gen.password_hash, False, True, 1,
                                     joined, joined, signed_in, joined))
    gen.buffers.add(Membership.__table__, (
        gen.ids.take(Membership.__table__), user_id, org.id, role.value,
        gen.rng.choice(org.site_ids) if role == OrgRole.CHAMPION else None,
        gen.rng.choice(CHAMPION_JOBS if role == OrgRole.CHAMPION else HR_JOBS), joined,
        withdrawn, gen.rng.choice(list(WithdrawalReason)).value if withdrawn else None,
        gen.rng.randrange(RECORD_KEYS)))
    return Person(user_id, org, role, joined, withdrawn, email)


def _email(user_id: int, org: OrgPlan, number: int) -> str:
    if org.bench and number == 0:
        return HR_LEAD_EMAIL
    if org.bench and number == org.hr_leads:
        return LEARNER_EMAIL
    return f"person{user_id}@{SCALE_DOMAIN}"


# --------------------------------------------------------------------------------------------
# Training: attempts, completions, certificates and assignments, spread over two years.
# --------------------------------------------------------------------------------------------

PASS, FAIL, OPEN = "pass", "fail", "open"
ATTEMPTS_PER_MODULE = ((1, 2, 3), (70, 20, 10))
MAX_ROUNDS = 2  # a first pass through the course, then retakes
KEEN, DIPPING = (3.0, 5.0), (0.05, 0.4)  # ranges of relative effort
KEEN_SHARE = 0.35


def modules_for(gen: Generator, role: OrgRole) -> list[ModulePlan]:
    return [module for course in gen.plan[role] for module in course.modules]


def attempt_quotas(gen: Generator, persons: list[Person]) -> list[int]:
    """How many quiz attempts each person makes: exactly --attempts in all.

    The benchmark learner passes half the champion course; of the others, people in organisations
    that were never approved and 15% of the rest never start; the rest vary widely.
    """
    weights, caps, learner = [], [], None
    for index, person in enumerate(persons):
        size = len(modules_for(gen, person.role)) if person.org.ever_approved else 0
        if person.email == LEARNER_EMAIL:
            learner = index
        starts = size and person.email != LEARNER_EMAIL and gen.rng.random() >= NOT_STARTED_SHARE
        share = 1.0 if person.role == OrgRole.CHAMPION else 0.5
        # About a third of those who start keep going to the end; the others dip in.
        keen = gen.rng.random() < KEEN_SHARE
        weights.append(gen.rng.uniform(*(KEEN if keen else DIPPING)) * share if starts else 0.0)
        caps.append(size * 3 * MAX_ROUNDS if starts else 0)
    learner_quota = min(gen.scale.attempts, len(modules_for(gen, OrgRole.CHAMPION)) // 2)
    quotas = apportion(gen.scale.attempts - learner_quota, weights, gen.rng, caps)
    if learner is not None:
        quotas[learner] = learner_quota
    return quotas


def steps(rng: random.Random, modules: list[ModulePlan], quota: int) -> list[tuple]:
    """The person's attempts in order: (module, outcome), passing after one to three tries."""
    found: list[tuple] = []
    while modules and len(found) < quota:
        for module in modules:
            remaining = quota - len(found)
            if remaining <= 0:
                break
            wanted = rng.choices(*ATTEMPTS_PER_MODULE)[0]
            tries = min(wanted, remaining)
            found += [(module, FAIL)] * (tries - 1)
            found.append((module, PASS if tries == wanted else FAIL))
    if found and found[-1][1] == FAIL and rng.random() < 0.5:
        found[-1] = (found[-1][0], OPEN)  # at most one attempt in progress, the latest
    return found


def timeline(gen: Generator, person: Person, planned: list[tuple]) -> list[datetime]:
    """When each attempt started: minutes to days apart, squeezed into the person's time."""
    gaps, previous = [], None
    for module, _outcome in planned:
        gaps.append(gen.rng.uniform(600, 172_800) if module is previous
                    else gen.rng.uniform(3_600, 20 * 86_400))
        previous = module
    end = min(person.withdrawn_at or person.org.active_until, gen.now) - timedelta(hours=1)
    begin = min(person.joined_at + timedelta(hours=gen.rng.uniform(1, 72)), end)
    factor = min(1.0, max(0.0, (end - begin).total_seconds()) / (sum(gaps) or 1.0))
    moments, seconds = [], 0.0
    for gap in gaps:
        seconds += gap * factor
        moments.append(begin + timedelta(seconds=seconds))
    return moments


def train(gen: Generator, person: Person, quota: int) -> None:
    planned = steps(gen.rng, modules_for(gen, person.role), quota)
    first_passes: dict[int, tuple[int, datetime]] = {}  # module id: (completion id, when)
    for (module, outcome), started in zip(planned, timeline(gen, person, planned), strict=True):
        attempt_id, finished = _attempt(gen, person, module, outcome, started)
        if outcome == PASS:
            completion_id = gen.ids.take(ModuleCompletion.__table__)
            gen.buffers.add(ModuleCompletion.__table__, (
                completion_id, person.user_id, module.id, module.version_id, module.version,
                attempt_id, finished))
            first_passes.setdefault(module.id, (completion_id, finished))
    certified = _certificates(gen, person, first_passes)
    if person.org.ever_approved:
        _assignments(gen, person, certified, first_passes)


def _attempt(gen: Generator, person: Person, module: ModulePlan, outcome: str,
             started: datetime) -> tuple[int, datetime]:
    attempt_id = gen.ids.take(QuizAttempt.__table__)
    variant = gen.rng.choice(module.variants)
    public_id = uuid.UUID(int=gen.rng.getrandbits(128), version=4)
    if outcome == OPEN:
        gen.buffers.add(QuizAttempt.__table__, (
            attempt_id, public_id, person.user_id, module.id, module.version_id,
            AttemptStatus.IN_PROGRESS.value, variant.drawn, None, None, None, None, started,
            None))
        return attempt_id, started
    finished = min(started + timedelta(seconds=gen.rng.uniform(180, 1_500)), gen.now)
    selected, correct, score = variant.passed if outcome == PASS else variant.failed
    gen.buffers.add(QuizAttempt.__table__, (
        attempt_id, public_id, person.user_id, module.id, module.version_id,
        AttemptStatus.SUBMITTED.value, variant.drawn, selected, correct, score, outcome == PASS,
        started, finished))
    return attempt_id, finished


def _certificates(gen: Generator, person: Person,
                  first_passes: dict[int, tuple[int, datetime]]) -> dict[int, datetime]:
    """A certificate for each course whose every module was passed: {course id: issued at}."""
    issued = {}
    for course in gen.plan[person.role]:
        passes = [first_passes.get(module.id) for module in course.modules]
        if not all(passes):
            continue
        completion_id, when = max(passes, key=lambda found: found[1])
        certificate_id = gen.ids.take(Certificate.__table__)
        expires = when + relativedelta(months=course.refresher_months) \
            if course.refresher_months else None
        gen.buffers.add(Certificate.__table__, (
            certificate_id, certificate_code(certificate_id, gen.rng), person.user_id, course.id,
            completion_id, when, expires))
        issued[course.id] = when
    return issued


def certificate_code(certificate_id: int, rng: random.Random) -> str:
    """Unique by construction: the id in the code alphabet, then random characters."""
    base = len(CERTIFICATE_CODE_ALPHABET)
    digits = []
    while certificate_id:
        certificate_id, digit = divmod(certificate_id, base)
        digits.append(CERTIFICATE_CODE_ALPHABET[digit])
    prefix = "".join(reversed(digits)).rjust(6, CERTIFICATE_CODE_ALPHABET[0])
    return prefix + "".join(rng.choices(CERTIFICATE_CODE_ALPHABET, k=12 - len(prefix)))


def _assignments(gen: Generator, person: Person, certified: dict[int, datetime],
                 first_passes: dict[int, tuple[int, datetime]]) -> None:
    """The required courses, assigned when the membership started; sometimes a module more."""
    due = person.joined_at.date() + timedelta(days=30)
    for course in gen.plan[person.role]:
        completed = certified.get(course.id)
        cancelled = person.withdrawn_at if completed is None else None
        gen.buffers.add(Assignment.__table__, (
            gen.ids.take(Assignment.__table__), person.org.id, person.user_id, course.id, None,
            AssignmentSource.AUTOMATIC.value, due, None, person.joined_at, completed, cancelled))
    modules = modules_for(gen, person.role)
    if person.role == OrgRole.CHAMPION and modules and gen.rng.random() < HR_ASSIGNED_SHARE:
        module = gen.rng.choice(modules)
        assigned = gen.moment(person.joined_at, person.withdrawn_at or person.org.active_until)
        passed = first_passes.get(module.id)
        gen.buffers.add(Assignment.__table__, (
            gen.ids.take(Assignment.__table__), person.org.id, person.user_id, None, module.id,
            AssignmentSource.HR_LEAD.value, (assigned + timedelta(days=30)).date(),
            person.org.hr_lead_id, assigned, passed[1] if passed else None,
            person.withdrawn_at if not passed else None))


# --------------------------------------------------------------------------------------------
# What organisations did: commitments signed and policy elements recorded.
# --------------------------------------------------------------------------------------------

def signatures(gen: Generator, orgs: list[OrgPlan], version: int) -> None:
    for org in orgs:
        if org.submitted_at is not None:
            gen.buffers.add(CommitmentSignature.__table__, (
                gen.ids.take(CommitmentSignature.__table__), org.id, version, org.hr_lead_name,
                gen.rng.choice(HR_JOBS), org.hr_lead_id, org.submitted_at))


def policy_records(gen: Generator, orgs: list[OrgPlan]) -> None:
    for org in orgs:
        if org.ever_approved:
            for key, status, verified in _element_states(gen, org):
                _policy_record(gen, org, key, status, verified)


def _element_states(gen: Generator, org: OrgPlan) -> Iterator[tuple[str, ElementStatus, bool]]:
    """Consistent with the tier: Established has everything in place and verified."""
    rng = gen.rng
    for key in policy_framework().keys:
        if org.tier == Tier.ESTABLISHED:
            yield key, ElementStatus.IN_PLACE, True
        elif org.tier == Tier.ACTIVE and key == WRITTEN_POLICY:
            yield key, ElementStatus.IN_PLACE, rng.random() < 0.7
        elif org.tier == Tier.ACTIVE or (org.tier is None and rng.random() < 0.5):
            roll = rng.random()
            if roll < 0.75:
                in_place = roll < 0.5
                status = ElementStatus.IN_PLACE if in_place else ElementStatus.IN_PROGRESS
                yield key, status, in_place and rng.random() < 0.5
        elif org.tier == Tier.COMMITTED and key != WRITTEN_POLICY and rng.random() < 0.2:
            yield key, ElementStatus.IN_PROGRESS, False


def _policy_record(gen: Generator, org: OrgPlan, key: str, status: ElementStatus,
                   verified: bool) -> None:
    record_id = gen.ids.take(PolicyElementRecord.__table__)
    updated = gen.moment(org.approved_at, org.active_until)
    in_place = updated.date() if status == ElementStatus.IN_PLACE else None
    review = in_place + relativedelta(months=12) if in_place else None
    note = gen.rng.choice(EVIDENCE_NOTES) if in_place else None
    verification = Verification.VERIFIED if verified else Verification.UNVERIFIED
    verified_at = gen.moment(updated, org.active_until) if verified else None
    gen.buffers.add(PolicyElementRecord.__table__, (
        record_id, org.id, key, status.value, in_place, review, note, verification.value,
        gen.coordinator_id if verified else None, verified_at, org.hr_lead_id, updated, 1))
    gen.buffers.add(PolicyElementEvent.__table__, (
        gen.ids.take(PolicyElementEvent.__table__), record_id, "updated", status.value,
        Verification.UNVERIFIED.value, in_place, review, note, org.hr_lead_id, updated))
    if verified:
        gen.buffers.add(PolicyElementEvent.__table__, (
            gen.ids.take(PolicyElementEvent.__table__), record_id, "verified", status.value,
            verification.value, in_place, review, note, gen.coordinator_id, verified_at))


# --------------------------------------------------------------------------------------------
# The whole run.
# --------------------------------------------------------------------------------------------

def seed_scale(engine: sa.Engine, scale: Scale, *, password_hash: str, commitment_version: int,
               coverage_target: float,
               seed: int = 1) -> SeedReport:
    """Add `scale` worth of synthetic data in one transaction; refuse to run twice."""
    report = SeedReport()
    started = time.perf_counter()
    with engine.begin() as connection:
        _check_fresh(connection)
        postgres = connection.dialect.name == "postgresql"
        if postgres:
            connection.exec_driver_sql("SET LOCAL statement_timeout = 0")
            _skip_foreign_key_triggers(connection)
        writer = CopyWriter(connection) if postgres else CoreWriter(connection)
        buffers, ids = Buffers(writer, report), Ids(connection)
        plan = training_plan(Session(connection), random.Random(seed))
        gen = Generator(scale, buffers, ids, plan, password_hash, seed)
        _generate(gen, commitment_version)
        buffers.flush()
        _check_tiers(connection, gen.now, coverage_target)
        if postgres:
            _reset_sequences(connection)
        report.bench_organisation_id = connection.scalar(sa.select(Organisation.id).where(
            Organisation.name == BENCH_ORGANISATION).order_by(Organisation.id.desc()).limit(1))
    if engine.dialect.name == "postgresql":
        # Statistics for the planner, and the visibility map autovacuum would build in a
        # running database (index-only scans depend on it); outside any transaction.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")
    report.seconds = time.perf_counter() - started
    return report


def _check_tiers(connection: sa.Connection, now: datetime, target: float) -> None:
    """The tiers drawn above are a plan; what is stored is what the tier rules give for the
    data written, worked out by the same code as the nightly re-check (services/tiers.py)."""
    with Session(connection) as session:
        refresh_all_tiers(session, now, target=target)
        session.flush()


def _skip_foreign_key_triggers(connection: sa.Connection) -> None:
    """Every reference is made to a row written earlier, so PostgreSQL need not check each one.

    Only a superuser may switch the triggers off; anyone else loads with the checks on (slower).
    """
    try:
        with connection.begin_nested():
            connection.exec_driver_sql("SET LOCAL session_replication_role = replica")
    except sa.exc.DBAPIError:
        pass


def _check_fresh(connection: sa.Connection) -> None:
    if connection.scalar(sa.select(User.id).where(User.email == COORDINATOR_EMAIL)):
        raise ScaleError("This database already holds scale data; seed a fresh database.")


def _generate(gen: Generator, commitment_version: int) -> None:
    gen.coordinator_id = gen.ids.take(User.__table__)
    gen.buffers.add(User.__table__, (gen.coordinator_id, COORDINATOR_EMAIL, "Scale Coordinator",
                                     gen.password_hash, True, True, 1, gen.start, gen.start,
                                     None, gen.start))
    orgs = gen.organisations()
    allocate_people(gen, orgs)
    persons = people(gen, orgs)
    for person, quota in zip(persons, attempt_quotas(gen, persons), strict=True):
        train(gen, person, quota)
    signatures(gen, orgs, commitment_version)
    policy_records(gen, orgs)


def _reset_sequences(connection: sa.Connection) -> None:
    """Explicit ids leave PostgreSQL's sequences behind; move each past the largest id."""
    for table in TABLE_ORDER:  # our own table names, not input
        connection.exec_driver_sql(
            f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', 'id'), "  # noqa: S608  # nosec B608 - our table names
            f"(SELECT coalesce(max(id), 0) + 1 FROM \"{table.name}\"), false)")


def expected_rows(scale: Scale) -> dict[str, int]:
    """The counts a run adds that follow from the scale alone (others depend on chance)."""
    return {"organisation": scale.organisations, "user_account": scale.people + 1,
            "membership": scale.people, "quiz_attempt": scale.attempts}

