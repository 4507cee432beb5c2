"""What synthetic organisations did: commitments signed and policy elements recorded.
"""

from __future__ import annotations

from collections.abc import Iterator

from dateutil.relativedelta import relativedelta

from portal.models import (
    CommitmentSignature,
    ElementStatus,
    PolicyElementEvent,
    PolicyElementRecord,
    Tier,
    Verification,
)
from portal.seeding.plans import EVIDENCE_NOTES, HR_JOBS, Generator, OrgPlan
from portal.services.policy_framework import WRITTEN_POLICY, policy_framework

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




