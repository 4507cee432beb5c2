"""Synthetic people: who belongs to which organisation, in which role and at which site.
"""

# ruff: noqa: S311 - seeded pseudo-random numbers make repeatable synthetic data, not secrets

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from portal.models import (
    Membership,
    OrgRole,
    User,
    WithdrawalReason,
)
from portal.models.people import RECORD_KEYS
from portal.seeding.plans import (
    BENCH_CHAMPIONS,
    CHAMPION_JOBS,
    FIRST_NAMES,
    HR_JOBS,
    HR_LEAD_EMAIL,
    LAST_NAMES,
    LEARNER_EMAIL,
    SCALE_DOMAIN,
    SECOND_HR_LEAD_SHARE,
    WITHDRAWN_SHARE,
    Generator,
    OrgPlan,
    ScaleError,
)

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




