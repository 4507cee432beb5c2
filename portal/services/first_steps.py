"""An HR lead's first steps after their organisation is approved, shown on their home page
until every one is done: sites, a first champion invited, policy started, signposting card."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from portal.models import Invitation, Membership, Organisation, OrgRole, PolicyElementRecord


@dataclass(frozen=True)
class Step:
    key: str
    title: str
    hint: str
    done: bool


@dataclass(frozen=True)
class FirstSteps:
    organisation: Organisation
    steps: tuple[Step, ...]

    @property
    def done(self) -> bool:
        return all(step.done for step in self.steps)

    @property
    def done_count(self) -> int:
        return sum(step.done for step in self.steps)


def first_steps(session: Session, organisation: Organisation) -> FirstSteps:
    """Four yes/no facts, read in one statement."""
    champions, policy = session.execute(select(
        or_(exists().where(Membership.organisation_id == organisation.id,
                           Membership.role == OrgRole.CHAMPION),
            exists().where(Invitation.organisation_id == organisation.id,
                           Invitation.role == OrgRole.CHAMPION)),
        exists().where(PolicyElementRecord.organisation_id == organisation.id))).one()
    return FirstSteps(organisation, (
        Step("sites", "Check your sites and staff numbers",
             "Coverage of trained champions is worked out for each site",
             bool(organisation.sites)),
        Step("champions", "Invite your first champion",
             "Champions are invited by email and take their training here", bool(champions)),
        Step("policy", "Start recording your policy",
             "Record where the organisation is with each part of the policy framework",
             bool(policy)),
        Step("card", "Set up your signposting card",
             "Say how staff can reach your champions at work",
             bool(organisation.champion_contact)),
    ))
