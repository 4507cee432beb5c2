"""Invitations: HR leads invite champions and other HR leads; accepting one grants the role."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from portal.models import (
    Invitation,
    Membership,
    Organisation,
    OrgRole,
    Site,
    User,
    utcnow,
)
from portal.services.accounts import find_user_by_email, normalise_email
from portal.services.assignments import assign_required_courses
from portal.services.audit import record_event
from portal.services.errors import PortalError
from portal.services.sql import rowcount
from portal.services.tiers import refresh_tier


class MembershipNotActiveError(PortalError):
    """Only approved member organisations can invite people."""


class AlreadyMemberError(PortalError):
    """The address already belongs to a current HR lead or champion of the organisation."""


class AlreadyInvitedError(PortalError):
    """The organisation already has an open invitation for the address."""


class InvitationClosedError(PortalError):
    """The invitation was accepted or revoked, so it cannot be resent or revoked."""


class ResendLimitError(PortalError):
    """An invitation can be sent again only INVITATION_RESENDS_PER_DAY times a day."""


class InvitationLinkError(PortalError):
    """The link cannot be used; `reason` says why: unknown, accepted, revoked, expired, paused."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class WrongAccountError(PortalError):
    """The invitation is for another e-mail address than the signed-in person's."""


class AccountExistsError(PortalError):
    """The invited address has an account already: the person must sign in to accept."""


@dataclass(frozen=True)
class Invitee:
    full_name: str
    email: str
    role: OrgRole
    site: Site | None = None
    job_title: str | None = None


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_token() -> tuple[str, str]:
    token = secrets.token_urlsafe(32)
    return token, hash_token(token)


def _require_active(organisation: Organisation) -> None:
    if not organisation.is_member:
        raise MembershipNotActiveError


def current_member_emails(session: Session, organisation: Organisation) -> set[str]:
    return set(session.scalars(
        select(User.email).join(Membership)
        .where(Membership.organisation_id == organisation.id,
               Membership.is_current)))


def open_invitation_emails(session: Session, organisation: Organisation) -> set[str]:
    return set(session.scalars(select(Invitation.email).where(
        Invitation.organisation_id == organisation.id, Invitation.accepted_at.is_(None),
        Invitation.revoked_at.is_(None))))


def check_invitee(session: Session, organisation: Organisation, email: str) -> None:
    """Refuse an address that is already a current member or has an open invitation."""
    email = normalise_email(email)
    if email in current_member_emails(session, organisation):
        raise AlreadyMemberError(email)
    if email in open_invitation_emails(session, organisation):
        raise AlreadyInvitedError(email)


def create_invitation(session: Session, organisation: Organisation, invitee: Invitee, *,
                      invited_by: User, days: int) -> tuple[Invitation, str]:
    """A new invitation and its token; only the token's hash is stored. The caller e-mails it."""
    _require_active(organisation)
    check_invitee(session, organisation, invitee.email)
    return add_invitation(session, organisation, invitee, invited_by=invited_by, days=days)


def add_invitation(session: Session, organisation: Organisation, invitee: Invitee, *,
                    invited_by: User, days: int) -> tuple[Invitation, str]:
    token, token_hash = _new_token()
    now = utcnow()
    invitation = Invitation(
        organisation=organisation, role=invitee.role, email=normalise_email(invitee.email),
        full_name=invitee.full_name, job_title=invitee.job_title or None, site=invitee.site,
        token_hash=token_hash, invited_by_id=invited_by.id, created_at=now, last_sent_at=now,
        expires_at=now + timedelta(days=days))
    session.add(invitation)
    session.flush()
    record_event(session, "invitation.sent", actor=invited_by, organisation=organisation,
                 target=invitation, details={"role": invitee.role.value})
    return invitation, token


def resend_invitation(session: Session, invitation: Invitation, *, actor: User, days: int,
                      per_day: int) -> str:
    """A fresh link and a fresh expiry; the old link stops working. Limited per day (P10)."""
    _require_active(invitation.organisation)
    if not invitation.is_open:
        raise InvitationClosedError
    now = utcnow()
    today = now.date()
    sent_today = invitation.resends_on_day if invitation.resend_day == today else 0
    if sent_today >= per_day:
        raise ResendLimitError
    token, invitation.token_hash = _new_token()
    invitation.resend_day, invitation.resends_on_day = today, sent_today + 1
    invitation.last_sent_at, invitation.expires_at = now, now + timedelta(days=days)
    record_event(session, "invitation.resent", actor=actor, organisation=invitation.organisation,
                 target=invitation, details={"role": invitation.role.value})
    return token


def revoke_invitation(session: Session, invitation: Invitation, *, actor: User) -> None:
    if not invitation.is_open:
        raise InvitationClosedError
    invitation.revoked_at = utcnow()
    record_event(session, "invitation.revoked", actor=actor, organisation=invitation.organisation,
                 target=invitation, details={"role": invitation.role.value})


def invitations_by_ids(session: Session, organisation: Organisation,
                       ids: set[int]) -> list[Invitation]:
    """This organisation's invitations among `ids`; other organisations' ids find nothing."""
    return list(session.scalars(select(Invitation).where(
        Invitation.organisation_id == organisation.id, Invitation.id.in_(ids))
        .order_by(Invitation.full_name, Invitation.id)))


def invitation_in(session: Session, organisation: Organisation,
                  invitation_id: int) -> Invitation | None:
    """An invitation, found only through its organisation: another employer's id finds nothing."""
    return session.scalar(select(Invitation).where(
        Invitation.organisation_id == organisation.id, Invitation.id == invitation_id)
        .with_for_update())


def invitations_for(session: Session, organisation: Organisation, role: OrgRole,
                    limit: int = 500) -> list[Invitation]:
    """The organisation's invitations for a role, newest first, withdrawn ones included so
    the list shows what happened to each (retention deletes closed ones after a while)."""
    return list(session.scalars(
        select(Invitation).options(selectinload(Invitation.site))
        .where(Invitation.organisation_id == organisation.id, Invitation.role == role)
        .order_by(Invitation.created_at.desc(), Invitation.id.desc()).limit(limit)))


def unaccepted_invitations(session: Session, organisation: Organisation,
                           role: OrgRole) -> list[Invitation]:
    """A role's invitations not accepted or revoked (expired ones too: they can be resent),
    newest first; for lists that do not show the site."""
    return list(session.scalars(
        select(Invitation)
        .where(Invitation.organisation_id == organisation.id, Invitation.role == role,
               Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None))
        .order_by(Invitation.created_at.desc(), Invitation.id.desc())))


# Accepting.

def invitation_for_token(session: Session, token: str, *, now: datetime) -> Invitation:
    """The invitation a link opens, or InvitationLinkError saying why it cannot be used."""
    invitation = session.scalar(select(Invitation).where(
        Invitation.token_hash == hash_token(token))) if len(token) <= 100 else None
    if invitation is None:
        raise InvitationLinkError("unknown")
    status = invitation.status_at(now)
    if status != "pending":
        raise InvitationLinkError(status.value)
    if not invitation.organisation.is_member:
        raise InvitationLinkError("paused")
    return invitation


def accept_as_new_user(session: Session, invitation: Invitation, *, full_name: str,
                       password_hash: str) -> User:
    """Make the invited person's account; opening the e-mailed link confirmed the address."""
    if find_user_by_email(session, invitation.email) is not None:
        raise AccountExistsError
    now = utcnow()
    user = User(email=invitation.email, full_name=full_name, password_hash=password_hash,
                email_verified_at=now, password_changed_at=now)
    session.add(user)
    session.flush()
    _grant(session, invitation, user)
    return user


def accept_as_existing_user(session: Session, invitation: Invitation, user: User) -> Membership:
    """Add the membership for the signed-in person the invitation was sent to."""
    if normalise_email(user.email) != invitation.email:
        raise WrongAccountError
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
    return _grant(session, invitation, user)


def _grant(session: Session, invitation: Invitation, user: User) -> Membership:
    """Use the invitation up (once, even under a race) and give the person the role."""
    now = utcnow()
    used = rowcount(session.execute(
        update(Invitation)
        .where(Invitation.id == invitation.id, Invitation.accepted_at.is_(None),
               Invitation.revoked_at.is_(None), Invitation.expires_at > now)
        .values(accepted_at=now, accepted_by_id=user.id)
        .execution_options(synchronize_session=False)))
    if used != 1:
        raise InvitationLinkError("accepted")
    membership = session.scalar(select(Membership).where(
        Membership.user_id == user.id, Membership.organisation_id == invitation.organisation_id))
    if membership is None:
        membership = Membership(user=user, organisation_id=invitation.organisation_id,
                                role=invitation.role)
        session.add(membership)
    membership.role, membership.site_id = invitation.role, invitation.site_id
    membership.job_title = invitation.job_title
    membership.withdrawn_at = membership.withdrawal_reason = None
    session.flush()
    assign_required_courses(session, membership)  # the membership starts: required training
    record_event(session, "invitation.accepted", actor=user, organisation=invitation.organisation,
                 target=invitation, details={"role": invitation.role.value})
    if invitation.role == OrgRole.CHAMPION:  # they may bring a current certificate with them
        refresh_tier(session, invitation.organisation, now)
    return membership
