"""The e-mails of joining the scheme: neutral subjects, plain text, links built from BASE_URL."""

from __future__ import annotations

from sqlalchemy.orm import Session

from portal.mail import queue_email
from portal.models import Invitation, Organisation, OutboxMessage, User
from portal.services.organisations import STATUS_REASONS, hr_leads
from portal.settings import settings_of


def subject(session: Session, topic: str) -> str:
    return f"{topic} – {settings_of(session).scheme_name}"


def absolute_url(session: Session, endpoint: str, **values: object) -> str:
    """A link for an e-mail, from BASE_URL and never from the request's Host header (AUTH-10)."""
    return settings_of(session).link(endpoint, **values)


def send_decision(session: Session, organisation: Organisation, *,
                  message: str | None = None) -> None:
    """Tell the applicant (every HR lead of the organisation) that it was approved or declined."""
    approved = organisation.is_member
    for person in hr_leads(session, organisation):
        queue_email(session, kind="application_decision", to=person.email,
                    subject=subject(session, "Your application"),
                    template="application_approved" if approved else "application_declined",
                    person=person, organisation=organisation,
                    reason=STATUS_REASONS.get(organisation.status_reason or ""),
                    message=message, sign_in_link=absolute_url(session, "auth.sign_in"))


def send_status_change(session: Session, organisation: Organisation) -> None:
    """Tell HR leads their membership was suspended, withdrawn or reinstated."""
    for person in hr_leads(session, organisation):
        queue_email(session, kind="membership_status", to=person.email,
                    subject=subject(session, "Your membership"), template="membership_status",
                    person=person, organisation=organisation,
                    reason=STATUS_REASONS.get(organisation.status_reason or ""),
                    sign_in_link=absolute_url(session, "auth.sign_in"))


def send_email_confirmation(session: Session, user: User, token: str, *,
                            reference: str | None = None) -> OutboxMessage:
    return queue_email(session, kind="email_confirmation", to=user.email,
                       subject=subject(session, "Confirm your email address"),
                       template="email_confirmation", person=user,
                       link=absolute_url(session, "joining.confirm_email", token=token),
                       days=settings_of(session).email_confirmation_days, reference=reference)


def send_existing_account_notice(session: Session, email: str, *, dedupe_key: str,
                                 reference: str | None = None) -> OutboxMessage:
    """Someone applied with an address that has an account: tell its owner, reveal nothing."""
    return queue_email(session, kind="join_existing_account", to=email, dedupe_key=dedupe_key,
                       subject=subject(session, "Your application"),
                       template="join_existing_account",
                       sign_in_link=absolute_url(session, "auth.sign_in"),
                       reset_link=absolute_url(session, "auth.forgot_password"),
                       join_link=absolute_url(session, "joining.start"), reference=reference)


def send_invitation(session: Session, invitation: Invitation, token: str) -> None:
    queue_email(session, kind="invitation", to=invitation.email,
                subject=subject(session, "You have been invited"), template="invitation",
                invitation=invitation, organisation=invitation.organisation,
                link=absolute_url(session, "invitations.accept", token=token),
                days=settings_of(session).invitation_days)
