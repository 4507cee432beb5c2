"""Champions of an organisation: finding them through it, and withdrawing them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import Membership, Organisation, OrgRole, User, WithdrawalReason, utcnow
from portal.services.assignments import cancel_pending_for
from portal.services.audit import record_event
from portal.services.errors import PortalError
from portal.services.tiers import refresh_tier


class NotCurrentChampionError(PortalError):
    """Only a current champion can be withdrawn."""


def champion_in(session: Session, organisation: Organisation,
                membership_id: int) -> Membership | None:
    """A champion's membership, found only through its organisation."""
    return session.scalar(select(Membership).where(
        Membership.organisation_id == organisation.id, Membership.id == membership_id,
        Membership.role == OrgRole.CHAMPION))


def withdraw_champion(session: Session, membership: Membership, *, actor: User,
                      reason: WithdrawalReason) -> None:
    """End the role, keep the person's account and training record; the reason is from a list.

    Their pending assignments in this organisation are cancelled, so no reminders follow.
    """
    if not membership.is_current_champion:
        raise NotCurrentChampionError
    now = utcnow()
    membership.withdrawn_at = now
    membership.withdrawal_reason = reason
    cancel_pending_for(session, membership, actor=actor)
    record_event(session, "champion.withdrawn", actor=actor, organisation=membership.organisation,
                 target=membership, details={"reason": reason.value})
    refresh_tier(session, membership.organisation, now)
