"""What a synthetic run is made of: its scale, the weights it draws from, the stored course
catalogue with precomputed quiz draws, and each organisation's plan (the Generator).
"""

# ruff: noqa: S311 - seeded pseudo-random numbers make repeatable synthetic data, not secrets

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, NamedTuple

import sqlalchemy as sa
from dateutil.relativedelta import relativedelta
from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from portal.seeding.writers import Buffers, Ids

from portal.models import (
    Borough,
    Course,
    ModuleVersion,
    Organisation,
    OrgRole,
    SchemeStatus,
    Sector,
    Site,
    Tier,
    normalise_name,
    utcnow,
)
from portal.services.errors import PortalError
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




