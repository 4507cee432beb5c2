"""Applying to join: the server-side draft, sending the application, confirming the address."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from portal import clock
from portal.models import (
    Borough,
    JoinDraft,
    Membership,
    Organisation,
    OrgRole,
    OutboxMessage,
    SchemeStatus,
    Sector,
    User,
    utcnow,
)
from portal.services.accounts import (
    find_user_by_email,
    make_user_token,
    normalise_email,
    user_for_token,
)
from portal.services.audit import record_event
from portal.services.errors import PortalError
from portal.services.organisations import (
    DuplicateSiteError,
    SiteAnswers,
    add_site,
    normalise_registered_number,
    sign_commitment,
)

CONFIRMATION_SALT = "email-confirmation"
SECTIONS = ("account", "organisation", "sites", "commitment")
MAX_DRAFT_SITES = 50


class ConfirmationLinkExpiredError(PortalError):
    """The confirmation link is older than EMAIL_CONFIRMATION_MAX_AGE."""


class ConfirmationLinkInvalidError(PortalError):
    """The confirmation link is not one of ours, or the account's address changed since."""


class IncompleteApplicationError(PortalError):
    """Some sections of the application have not been answered."""


class TooManySitesError(PortalError):
    """The join flow takes up to MAX_DRAFT_SITES sites; more can be added after joining."""


# The draft: answers kept server-side, the session holds only the draft's random id (SESS-07).

def new_draft(session: Session, max_age: timedelta) -> JoinDraft:
    """A new, empty draft; drafts older than `max_age` (anybody's) are deleted meanwhile."""
    discard_old_drafts(session, max_age)
    draft = JoinDraft(id=secrets.token_urlsafe(32), answers={})
    session.add(draft)
    return draft


def load_draft(session: Session, draft_id: object, max_age: timedelta) -> JoinDraft | None:
    """The draft with this id, unless it is older than `max_age`."""
    if not isinstance(draft_id, str) or not draft_id:
        return None
    draft = session.get(JoinDraft, draft_id)
    if draft is None or draft.created_at < utcnow() - max_age:
        return None
    return draft


def discard_old_drafts(session: Session, max_age: timedelta) -> None:
    session.execute(delete(JoinDraft).where(JoinDraft.created_at < utcnow() - max_age))


def save_section(draft: JoinDraft, section: str, values: object) -> None:
    # A new dict, so the JSON column sees the change.
    draft.answers = {**draft.answers, section: values}


def draft_sites(draft: JoinDraft) -> list[dict]:
    return list(draft.answers.get("sites", []))


def add_draft_site(draft: JoinDraft, answers: SiteAnswers) -> None:
    sites = draft_sites(draft)
    if len(sites) >= MAX_DRAFT_SITES:
        raise TooManySitesError
    if any(site["name"].casefold() == answers.name.casefold() for site in sites):
        raise DuplicateSiteError(answers.name)
    sites.append({"name": answers.name, "borough": answers.borough.value,
                  "headcount": answers.headcount})
    save_section(draft, "sites", sites)


def remove_draft_site(draft: JoinDraft, index: int) -> None:
    sites = draft_sites(draft)
    if 0 <= index < len(sites):
        del sites[index]
        save_section(draft, "sites", sites)


def completed_sections(draft: JoinDraft | None, *, needs_account: bool) -> dict[str, bool]:
    answers = draft.answers if draft is not None else {}
    done = {section: bool(answers.get(section)) for section in SECTIONS}
    if needs_account:
        done["account"] = done["account"] and draft is not None \
            and draft.password_hash is not None
    else:
        done.pop("account")
    return done


@dataclass(frozen=True)
class SentApplication:
    organisation: Organisation | None
    applicant: User | None
    needs_confirmation: bool
    existing_account_email: str | None = None


REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread


def new_reference() -> str:
    """A random reference for one sent application, quoted on screen and in its e-mail."""
    code = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
    return f"{code[:4]}-{code[4:]}"


def sent_to(session: Session, message_id: int | None) -> str | None:
    """The address an e-mail was sent to, for "Check your email" (None if unknown or gone)."""
    if not isinstance(message_id, int):
        return None
    return session.scalar(select(OutboxMessage.to_address).where(OutboxMessage.id == message_id))


def send_application(session: Session, draft: JoinDraft, *,
                     applicant: User | None) -> SentApplication:
    """Turn a complete draft into an application, and delete the draft.

    A new applicant's account is made unconfirmed, and the application reaches the coordinators
    once they confirm their address. If the address already has an account, nothing is made: the
    caller tells that address by e-mail and shows the same page, so nothing is revealed (AUTH-06).
    """
    if not all(completed_sections(draft, needs_account=applicant is None).values()):
        raise IncompleteApplicationError
    if applicant is None:
        email = normalise_email(draft.answers["account"]["email"])
        if find_user_by_email(session, email) is not None:
            session.delete(draft)
            return SentApplication(None, None, needs_confirmation=True,
                                   existing_account_email=email)
        applicant = User(email=email, full_name=draft.answers["account"]["full_name"],
                         password_hash=draft.password_hash)
        session.add(applicant)
    organisation = _application_from(session, draft, applicant)
    session.delete(draft)
    return SentApplication(organisation, applicant, needs_confirmation=not applicant.email_verified)


def _application_from(session: Session, draft: JoinDraft, applicant: User) -> Organisation:
    details, commitment = draft.answers["organisation"], draft.answers["commitment"]
    confirmed = applicant.email_verified
    organisation = Organisation(
        name=details["name"], registered_number=normalise_registered_number(
            details["registered_number"]), sector=Sector(details["sector"]),
        listed_publicly=details["listed_publicly"], scheme_status=SchemeStatus.APPLIED,
        submitted_at=utcnow() if confirmed else None)
    session.add(organisation)
    for site in draft.answers["sites"]:
        add_site(session, organisation, SiteAnswers(site["name"], Borough(site["borough"]),
                                                    site["headcount"]), actor=None)
    session.add(Membership(user=applicant, organisation=organisation, role=OrgRole.HR_LEAD))
    sign_commitment(session, organisation, version=commitment["version"], signed_by=applicant,
                    signatory_name=commitment["signatory_name"],
                    signatory_job_title=commitment["signatory_job_title"])
    session.flush()
    record_event(session, "organisation.applied", actor=applicant, organisation=organisation,
                 target=organisation)
    if confirmed:
        record_event(session, "organisation.submitted", actor=applicant,
                     organisation=organisation, target=organisation)
    return organisation


def notice_already_sent_today(session: Session, dedupe_key: str) -> bool:
    return session.scalar(select(OutboxMessage.id).where(
        OutboxMessage.dedupe_key == dedupe_key)) is not None


def existing_account_dedupe_key(email: str) -> str:
    """At most one "you already have an account" e-mail per address per day (P10)."""
    digest = hashlib.sha256(normalise_email(email).encode()).hexdigest()[:32]
    return f"join-existing:{digest}:{clock.today().isoformat()}"


# Confirming the applicant's e-mail address.

def _address_fingerprint(user: User) -> str:
    # A link confirms the address it was sent to: it dies if the account's address changes.
    return hashlib.sha256(f"{user.id}:{user.email}".encode()).hexdigest()[:16]


def make_confirmation_token(secret_key: str, user: User) -> str:
    return make_user_token(secret_key, CONFIRMATION_SALT, user, _address_fingerprint(user))


def user_for_confirmation_token(session: Session, secret_key: str, token: str,
                                max_age_seconds: int) -> User:
    return user_for_token(session, secret_key, CONFIRMATION_SALT, token, max_age_seconds,
                          _address_fingerprint,
                          (ConfirmationLinkExpiredError, ConfirmationLinkInvalidError))


def confirm_email(session: Session, user: User) -> list[Organisation]:
    """Mark the address confirmed and send the person's waiting applications to coordinators."""
    now = utcnow()
    if user.email_verified_at is None:
        user.email_verified_at = now
    waiting = session.scalars(
        select(Organisation).join(Membership)
        .where(Membership.user_id == user.id, Membership.role == OrgRole.HR_LEAD,
               Membership.is_current, Organisation.scheme_status == SchemeStatus.APPLIED,
               Organisation.submitted_at.is_(None))).all()
    for organisation in waiting:
        organisation.submitted_at = now
        record_event(session, "organisation.submitted", actor=user, organisation=organisation,
                     target=organisation)
    return list(waiting)


def has_waiting_application(session: Session, user: User) -> bool:
    return session.scalar(
        select(Organisation.id).join(Membership)
        .where(Membership.user_id == user.id, Organisation.scheme_status == SchemeStatus.APPLIED,
               Organisation.submitted_at.is_(None)).limit(1)) is not None
