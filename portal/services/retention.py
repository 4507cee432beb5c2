"""The retention schedule (SECURITY.md Part C, P11; PRIV-04), applied once a day.

Each rule deletes or anonymises what has been kept for longer than its period in the RETENTION
setting. Every rule selects only what it has not handled yet, so running again changes nothing;
on PostgreSQL a transaction-scoped advisory lock makes a second, concurrent run skip at once.
The caller commits.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import delete, exists, func, select, update
from sqlalchemy.orm import Session

from portal.models import (
    LIVE_STATUSES,
    AttemptStatus,
    AuditEvent,
    Invitation,
    JoinDraft,
    Membership,
    Organisation,
    OutboxMessage,
    OutboxStatus,
    QuizAttempt,
    SchemeStatus,
    User,
)
from portal.services.audit import record_event
from portal.services.sql import rowcount
from portal.services.subject_rights import erase_person
from portal.settings import settings_of

LOCK_KEY = 7_264_125_001  # any constant shared by every worker: "retention"
FINISHED_EMAIL = (OutboxStatus.SENT, OutboxStatus.FAILED)


@dataclass
class RetentionReport:
    skipped: bool = False  # another run held the lock
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def apply_retention(session: Session, now: datetime,
                    periods: Mapping[str, timedelta] | None = None) -> RetentionReport:
    """Apply every retention rule as at `now`; returns how many rows each rule touched."""
    periods = periods if periods is not None else settings_of(session).retention
    if not _take_lock(session):
        return RetentionReport(skipped=True)
    cutoff = {rule: now - period for rule, period in periods.items()}
    counts = {"former_members_anonymised": _anonymise_former_members(
        session, cutoff["former_member"], now)}
    counts.update(_delete_unconfirmed_accounts(session, cutoff["unconfirmed_account"]))
    counts["invitations_deleted"] = _delete_closed_invitations(session, cutoff["closed_invitation"])
    counts["email_texts_deleted"] = _delete_email_texts(session, cutoff["email_body"])
    counts["emails_deleted"] = _delete_email_records(session, cutoff["email_record"])
    counts["join_drafts_deleted"] = _rowcount(session, delete(JoinDraft).where(
        JoinDraft.created_at < cutoff["join_draft"]))
    counts["abandoned_attempts_deleted"] = _rowcount(session, delete(QuizAttempt).where(
        QuizAttempt.status == AttemptStatus.IN_PROGRESS,
        QuizAttempt.started_at < cutoff["abandoned_attempt"]))
    counts["audit_events_deleted"] = _rowcount(session, delete(AuditEvent).where(
        AuditEvent.occurred_at < cutoff["audit_event"]))
    report = RetentionReport(counts=counts)
    if report.total:
        event = record_event(session, "retention.applied", details=counts)
        event.occurred_at = now
    return report


def _take_lock(session: Session) -> bool:
    if session.get_bind().dialect.name != "postgresql":
        return True  # SQLite lets one writer at a time in; the rules are idempotent anyway
    return bool(session.scalar(select(func.pg_try_advisory_xact_lock(LOCK_KEY))))


def _rowcount(session: Session, statement: sa.Executable) -> int:
    return rowcount(session.execute(statement.execution_options(synchronize_session=False)))


def former_members(session: Session, cutoff: datetime) -> list[int]:
    """People whose every role ended before `cutoff`: withdrawn, or their organisation left.

    "Learner records kept while the employer is in the scheme plus 12 months, then anonymised."
    Coordinators and people already erased are left alone.
    """
    live = func.sum(sa.case((sa.and_(Membership.is_current,
                                     Organisation.scheme_status.in_(LIVE_STATUSES)), 1), else_=0))
    ended = func.max(func.coalesce(Membership.withdrawn_at, Organisation.status_changed_at))
    return list(session.scalars(
        select(Membership.user_id).join(Organisation).join(User)
        .where(User.erased_at.is_(None), User.is_coordinator.is_(False))
        .group_by(Membership.user_id).having(live == 0, ended < cutoff)
        .order_by(Membership.user_id)))


def _anonymise_former_members(session: Session, cutoff: datetime, now: datetime) -> int:
    people = former_members(session, cutoff)
    for person_id in people:
        erase_person(session, session.get_one(User, person_id), actor=None, now=now,
                     reason="retention")
    return len(people)


def _delete_unconfirmed_accounts(session: Session, cutoff: datetime) -> dict[str, int]:
    """Accounts whose address was never confirmed, with the applications that never reached
    the coordinators; people with any other role are kept."""
    unsent = sa.and_(Organisation.scheme_status == SchemeStatus.APPLIED,
                     Organisation.submitted_at.is_(None))
    other_role = exists().where(Membership.user_id == User.id,
                                Membership.organisation_id == Organisation.id, ~unsent)
    people = session.execute(select(User.id, User.email).where(
        User.email_verified_at.is_(None), User.is_coordinator.is_(False),
        User.erased_at.is_(None), User.created_at < cutoff, ~other_role)).all()
    ids = [person_id for person_id, _ in people]
    if not ids:
        return {"unconfirmed_accounts_deleted": 0, "unsent_applications_deleted": 0}
    others = exists().where(Membership.organisation_id == Organisation.id,
                            Membership.user_id.not_in(ids))
    theirs = exists().where(Membership.organisation_id == Organisation.id,
                            Membership.user_id.in_(ids))
    applications = _rowcount(session, delete(Organisation).where(unsent, theirs, ~others))
    _rowcount(session, delete(OutboxMessage).where(
        func.lower(OutboxMessage.to_address).in_([email for _, email in people])))
    accounts = _rowcount(session, delete(User).where(User.id.in_(ids)))
    return {"unconfirmed_accounts_deleted": accounts,
            "unsent_applications_deleted": applications}


def _delete_closed_invitations(session: Session, cutoff: datetime) -> int:
    closed_at = func.coalesce(Invitation.accepted_at, Invitation.revoked_at, Invitation.expires_at)
    return _rowcount(session, delete(Invitation).where(closed_at < cutoff))


def _delete_email_texts(session: Session, cutoff: datetime) -> int:
    finished_at = func.coalesce(OutboxMessage.sent_at, OutboxMessage.created_at)
    return _rowcount(session, update(OutboxMessage).where(
        OutboxMessage.status.in_(FINISHED_EMAIL), finished_at < cutoff,
        OutboxMessage.body_text != "").values(body_text="", last_error=None))


def _delete_email_records(session: Session, cutoff: datetime) -> int:
    finished_at = func.coalesce(OutboxMessage.sent_at, OutboxMessage.created_at)
    return _rowcount(session, delete(OutboxMessage).where(
        OutboxMessage.status.in_(FINISHED_EMAIL), finished_at < cutoff))
