"""Synthetic training: attempts, completions, certificates and assignments over two years.
"""

# ruff: noqa: S311 - seeded pseudo-random numbers make repeatable synthetic data, not secrets

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta

from dateutil.relativedelta import relativedelta

from portal.models import (
    Assignment,
    AssignmentSource,
    AttemptStatus,
    Certificate,
    ModuleCompletion,
    OrgRole,
    QuizAttempt,
)
from portal.models.training import CERTIFICATE_CODE_ALPHABET
from portal.seeding.people import Person, apportion
from portal.seeding.plans import (
    HR_ASSIGNED_SHARE,
    LEARNER_EMAIL,
    NOT_STARTED_SHARE,
    Generator,
    ModulePlan,
)

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




