"""Member organisations: the membership lifecycle, likely duplicates, details, sites and renewal."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.orm import Session, aliased, selectinload
from sqlalchemy.sql.expression import ColumnElement

from portal import clock
from portal.models import (
    Borough,
    CommitmentSignature,
    Invitation,
    Membership,
    Organisation,
    OrgRole,
    SchemeStatus,
    Sector,
    Site,
    User,
    normalise_name,
    utcnow,
)
from portal.services.assignments import assign_required_for_organisation
from portal.services.audit import record_event
from portal.services.errors import PortalError
from portal.services.monitoring_filters import start_of
from portal.services.sql import rowcount
from portal.services.tiers import refresh_tier

S = SchemeStatus
# Which status each status may move to; "reinstated" is a move back to approved.
TRANSITIONS: dict[SchemeStatus, frozenset[SchemeStatus]] = {
    S.APPLIED: frozenset({S.APPROVED, S.DECLINED}),
    S.APPROVED: frozenset({S.SUSPENDED, S.WITHDRAWN, S.LAPSED}),
    S.SUSPENDED: frozenset({S.APPROVED, S.WITHDRAWN}),
    S.LAPSED: frozenset({S.APPROVED, S.WITHDRAWN}),
    S.WITHDRAWN: frozenset({S.APPROVED}),
    S.DECLINED: frozenset(),
}

DECLINE_REASONS = {
    "outside_area": "The organisation is outside the scheme’s area",
    "duplicate": "The organisation is already a member or has already applied",
    "not_employer": "The organisation does not employ staff",
    "not_confirmed": "We could not confirm the organisation’s details",
    "other": "Another reason",
}
SUSPEND_REASONS = {
    "commitment_not_kept": "The organisation has not kept to the scheme commitment",
    "organisation_asked": "The organisation asked to pause its membership",
    "other": "Another reason",
}
WITHDRAW_REASONS = {
    "organisation_asked": "The organisation asked to leave the scheme",
    "organisation_closed": "The organisation has closed",
    "commitment_not_kept": "The organisation has not kept to the scheme commitment",
    "other": "Another reason",
}
STATUS_REASONS = {**DECLINE_REASONS, **SUSPEND_REASONS, **WITHDRAW_REASONS,
                  "renewal_overdue": "The membership was not renewed by its renewal date"}

# Companies House: 8 digits, or 2 letters and 6 digits (SC, NI, OC...), or R and 7 digits.
# Charities: 6 or 7 digits (England and Wales), SC and 6 digits (Scotland), NIC and 6 digits
# (Northern Ireland).
REGISTERED_NUMBER = re.compile(r"\d{6,8}|[A-Z]{2}\d{6}|R\d{7}|NIC\d{6}", re.ASCII)
REGISTERED_NUMBER_MESSAGE = ("Enter a Companies House number like 01234567 or SC123456, or a "
                             "charity number like 1123456")


class StatusChangeError(PortalError):
    """The organisation's membership cannot move to that status from where it is now."""


class SiteInUseError(PortalError):
    """A site with current champions or open invitations cannot be removed."""


class LastSiteError(PortalError):
    """Every organisation keeps at least one site."""


class DuplicateSiteError(PortalError):
    """Two sites of one organisation cannot share a name."""


class RenewalNotDueError(PortalError):
    """Membership can be renewed only while approved, and only close to the renewal date."""


@dataclass(frozen=True)
class SiteAnswers:
    name: str
    borough: Borough
    headcount: int


def normalise_registered_number(number: str | None) -> str | None:
    """Upper case without spaces, or None when blank."""
    cleaned = re.sub(r"[\s.-]", "", number or "").upper()
    return cleaned or None


def is_valid_registered_number(number: str | None) -> bool:
    cleaned = normalise_registered_number(number)
    return cleaned is None or REGISTERED_NUMBER.fullmatch(cleaned) is not None


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day when it has no such day."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return day.replace(year=year, month=month,
                       day=min(day.day, calendar.monthrange(year, month)[1]))


def _counts_as_existing(organisation: Any) -> ColumnElement[bool]:
    """Organisations a new application could duplicate: all but unconfirmed applications."""
    return or_(organisation.scheme_status != S.APPLIED, organisation.submitted_at.is_not(None))


def duplicate_condition(other: Any, *, name_key: str, registered_number: str | None,
                        exclude_id: int | None = None) -> ColumnElement[bool] | None:
    """What a likely duplicate of these details matches; None when there is nothing to match."""
    matches = [other.name_key == name_key] if name_key else []
    if registered_number:
        matches.append(other.registered_number == registered_number)
    if not matches:
        return None
    condition = and_(or_(*matches), _counts_as_existing(other))
    return and_(condition, other.id != exclude_id) if exclude_id is not None else condition


def likely_duplicates(session: Session, *, name: str, registered_number: str | None,
                      exclude_id: int | None = None) -> list[Organisation]:
    """Organisations with the same registered number, or the same name once normalised."""
    condition = duplicate_condition(Organisation, name_key=normalise_name(name),
                                    registered_number=normalise_registered_number(
                                        registered_number), exclude_id=exclude_id)
    if condition is None:
        return []
    return list(session.scalars(select(Organisation).where(condition)
                                .order_by(Organisation.created_at).limit(20)))


def duplicates_of(session: Session, organisation: Organisation) -> list[Organisation]:
    return likely_duplicates(session, name=organisation.name,
                             registered_number=organisation.registered_number,
                             exclude_id=organisation.id)


@dataclass(frozen=True)
class QueuedApplication:
    organisation: Organisation
    possible_duplicate: bool


def waiting_for_decision() -> ColumnElement[bool]:
    """A confirmed application nobody has decided yet."""
    return and_(Organisation.scheme_status == S.APPLIED, Organisation.submitted_at.is_not(None))


def waiting_longer_than(days: int, now: datetime) -> ColumnElement[bool]:
    """Waiting for a decision for more than `days` whole days."""
    return and_(waiting_for_decision(), Organisation.submitted_at <= now - timedelta(days=days))


def renewal_due_by(day: date) -> ColumnElement[bool]:
    """A member whose renewal date is on or before `day` (past ones too, until it lapses)."""
    return and_(Organisation.is_member, Organisation.renewal_due_on <= day)


def lapsed_since(day: date) -> ColumnElement[bool]:
    """Lapsed now, and lapsed on or after `day` (a day in the scheme's time zone)."""
    return and_(Organisation.scheme_status == S.LAPSED,
                Organisation.status_changed_at >= start_of(day))


def application_queue(session: Session, *, waiting_more_than: int | None = None,
                      now: datetime | None = None) -> list[QueuedApplication]:
    """Confirmed applications waiting for a decision, oldest first, each flagged if a duplicate.

    With `waiting_more_than` (and `now`), only those waiting more than that many days.
    """
    other = aliased(Organisation)
    flagged = exists().where(
        or_(and_(Organisation.name_key != "", other.name_key == Organisation.name_key),
            and_(Organisation.registered_number.is_not(None),
                 other.registered_number == Organisation.registered_number)),
        other.id != Organisation.id, _counts_as_existing(other))
    rows = session.execute(
        select(Organisation, flagged.label("flagged"))
        .where(waiting_for_decision() if waiting_more_than is None or now is None
               else waiting_longer_than(waiting_more_than, now))
        .order_by(Organisation.submitted_at, Organisation.id))
    return [QueuedApplication(organisation, bool(is_flagged)) for organisation, is_flagged in rows]


def hr_leads(session: Session, organisation: Organisation) -> list[User]:
    """The organisation's current HR leads, by name."""
    return list(session.scalars(
        select(User).join(Membership)
        .where(Membership.organisation_id == organisation.id, Membership.role == OrgRole.HR_LEAD,
               Membership.is_current)
        .order_by(User.full_name)))


def _transition(session: Session, organisation: Organisation, new_status: SchemeStatus, *,
                actor: User | None, action: str, reason: str | None = None,
                **values: object) -> None:
    """Move to `new_status` if the lifecycle allows it and nobody else changed it meanwhile."""
    old_status = organisation.scheme_status
    if new_status not in TRANSITIONS[old_status]:
        raise StatusChangeError(f"{old_status} cannot become {new_status}")
    now = utcnow()
    changed = rowcount(session.execute(
        update(Organisation)
        .where(Organisation.id == organisation.id, Organisation.scheme_status == old_status)
        .values(scheme_status=new_status, status_reason=reason, status_changed_at=now, **values)
        .execution_options(synchronize_session=False)))
    if changed != 1:
        raise StatusChangeError("the status changed while you were deciding")
    session.refresh(organisation)
    details = {"from": old_status.value, "to": new_status.value}
    if reason:
        details["reason"] = reason
    record_event(session, action, actor=actor, organisation=organisation, target=organisation,
                 details=details)
    refresh_tier(session, organisation, now)


def approve_application(session: Session, organisation: Organisation, *, actor: User,
                        renewal_months: int) -> None:
    """Approve a confirmed application; membership runs `renewal_months` from today."""
    if organisation.submitted_at is None:
        raise StatusChangeError("the applicant has not confirmed their email address")
    now = utcnow()
    _transition(session, organisation, S.APPROVED, actor=actor, action="organisation.approved",
                approved_at=now, renewal_due_on=add_months(now.date(), renewal_months))
    assign_required_for_organisation(session, organisation)  # the applicant HR leads


def decline_application(session: Session, organisation: Organisation, *, actor: User,
                        reason: str) -> None:
    if organisation.submitted_at is None:
        raise StatusChangeError("the applicant has not confirmed their email address")
    _transition(session, organisation, S.DECLINED, actor=actor, action="organisation.declined",
                reason=reason)


def suspend_organisation(session: Session, organisation: Organisation, *, actor: User,
                       reason: str) -> None:
    _transition(session, organisation, S.SUSPENDED, actor=actor,
                action="organisation.suspended", reason=reason)


def withdraw_organisation(session: Session, organisation: Organisation, *, actor: User,
                        reason: str) -> None:
    _transition(session, organisation, S.WITHDRAWN, actor=actor,
                action="organisation.withdrawn", reason=reason)


def reinstate_organisation(session: Session, organisation: Organisation, *, actor: User,
                         renewal_months: int) -> None:
    """Back to approved; a renewal date already past starts a new year from today."""
    today = clock.today()
    renewal = organisation.renewal_due_on
    if renewal is None or renewal < today:
        renewal = add_months(today, renewal_months)
    _transition(session, organisation, S.APPROVED, actor=actor,
                action="organisation.reinstated", renewal_due_on=renewal,
                approved_at=organisation.approved_at or utcnow())
    assign_required_for_organisation(session, organisation)


def lapse_overdue_organisations(session: Session, *, today: date) -> int:
    """Approved memberships whose renewal date has passed become lapsed; returns how many.

    Safe beside another run (two workers): one lapsed by the other meanwhile is skipped.
    """
    overdue = session.scalars(select(Organisation).where(
        Organisation.scheme_status == S.APPROVED, Organisation.renewal_due_on < today)).all()
    count = 0
    for organisation in overdue:
        try:
            _transition(session, organisation, S.LAPSED, actor=None,
                        action="organisation.lapsed", reason="renewal_overdue")
        except StatusChangeError:
            continue
        count += 1
    return count


def renewal_opens_on(organisation: Organisation, window_days: int) -> date | None:
    if organisation.renewal_due_on is None:
        return None
    return organisation.renewal_due_on - timedelta(days=window_days)


def can_renew(organisation: Organisation, window_days: int) -> bool:
    opens = renewal_opens_on(organisation, window_days)
    return organisation.is_member and opens is not None and clock.today() >= opens


def renew_membership(session: Session, organisation: Organisation, *, actor: User,
                     renewal_months: int, window_days: int, commitment_version: int,
                     signatory_name: str, signatory_job_title: str) -> None:
    """Within the renewal window, sign the current commitment and add a year to the renewal date."""
    session.refresh(organisation, with_for_update=True)  # two renewals at once add one year
    if not can_renew(organisation, window_days):
        raise RenewalNotDueError
    if organisation.renewal_due_on is None:  # can_renew says there is one
        raise RenewalNotDueError
    organisation.renewal_due_on = add_months(organisation.renewal_due_on, renewal_months)
    sign_commitment(session, organisation, version=commitment_version, signed_by=actor,
                    signatory_name=signatory_name, signatory_job_title=signatory_job_title)
    record_event(session, "organisation.renewed", actor=actor, organisation=organisation,
                 target=organisation,
                 details={"renewal_due_on": organisation.renewal_due_on.isoformat()})


def sign_commitment(session: Session, organisation: Organisation, *, version: int,
                    signed_by: User | None, signatory_name: str,
                    signatory_job_title: str) -> CommitmentSignature:
    signature = CommitmentSignature(organisation=organisation, version=version,
                                    signed_by=signed_by, signatory_name=signatory_name,
                                    signatory_job_title=signatory_job_title)
    session.add(signature)
    return signature


DETAIL_FIELDS = ("name", "registered_number", "sector", "listed_publicly")


def update_details(session: Session, organisation: Organisation, *, actor: User, name: str,
                   registered_number: str | None, sector: Sector,
                   listed_publicly: bool) -> list[str]:
    """Change the organisation's details; the audit event names the fields, not their values."""
    new = {"name": name, "registered_number": normalise_registered_number(registered_number),
           "sector": sector, "listed_publicly": listed_publicly}
    changed = [field for field in DETAIL_FIELDS if getattr(organisation, field) != new[field]]
    for field in changed:
        setattr(organisation, field, new[field])
    if changed:
        record_event(session, "organisation.details_changed", actor=actor,
                     organisation=organisation, target=organisation, details={"fields": changed})
    return changed


def _check_site_name(organisation: Organisation, name: str, *, except_site: Site | None = None
                     ) -> None:
    if any(site.name.casefold() == name.casefold() and site is not except_site
           for site in organisation.sites):
        raise DuplicateSiteError(name)


def add_site(session: Session, organisation: Organisation, answers: SiteAnswers, *,
             actor: User | None) -> Site:
    _check_site_name(organisation, answers.name)
    site = Site(organisation=organisation, name=answers.name, borough=answers.borough,
                headcount=answers.headcount)
    session.add(site)
    session.flush()
    if actor is not None:
        record_event(session, "site.added", actor=actor, organisation=organisation, target=site)
    refresh_tier(session, organisation, utcnow())
    return site


def update_site(session: Session, site: Site, answers: SiteAnswers, *, actor: User) -> None:
    _check_site_name(site.organisation, answers.name, except_site=site)
    site.name, site.borough, site.headcount = answers.name, answers.borough, answers.headcount
    record_event(session, "site.changed", actor=actor, organisation=site.organisation,
                 target=site)
    refresh_tier(session, site.organisation, utcnow())


def remove_site(session: Session, site: Site, *, actor: User) -> None:
    """Remove a site that no current champion or open invitation points at; one must remain."""
    organisation = site.organisation
    if len(organisation.sites) <= 1:
        raise LastSiteError
    in_use = session.scalar(select(func.count()).select_from(Membership).where(
        Membership.site_id == site.id, Membership.is_current)) or 0
    in_use += session.scalar(select(func.count()).select_from(Invitation).where(
        Invitation.site_id == site.id, Invitation.accepted_at.is_(None),
        Invitation.revoked_at.is_(None))) or 0
    if in_use:
        raise SiteInUseError
    record_event(session, "site.removed", actor=actor, organisation=organisation, target=site)
    organisation.sites.remove(site)
    session.flush()
    refresh_tier(session, organisation, utcnow())


def site_in(session: Session, organisation: Organisation, site_id: int) -> Site | None:
    """A site, found only through its organisation: another employer's id finds nothing."""
    return session.scalar(select(Site).where(Site.organisation_id == organisation.id,
                                             Site.id == site_id))


def organisation_for_coordinator(session: Session, org_id: int) -> Organisation | None:
    return session.scalar(select(Organisation).where(Organisation.id == org_id)
                          .options(selectinload(Organisation.sites),
                                   selectinload(Organisation.signatures)))


def age_in_days(since: datetime, now: datetime) -> int:
    return max((now - since).days, 0)
