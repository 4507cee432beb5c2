"""The coordinator's work queues: what is waiting for them, counted on their home page.

Each queue is a condition written once, where the list it links to uses it too (applications,
the policy queues, the organisations list, the outbox, the support directory), so a count and its
list always agree. All the counts are one statement of scalar subqueries, however much data.
These are counts of organisations, records and messages, not of people: shown exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import ColumnElement, ScalarSelect

from portal.models import Organisation, OutboxMessage, PolicyElementRecord, SupportService
from portal.services import delivery, organisations, policy, support

RENEWAL_DAYS = 60  # renewals due within this many days
LAPSED_DAYS = 30  # memberships lapsed within this many days


@dataclass(frozen=True)
class WorkQueues:
    applications: int
    applications_waiting_long: int
    waiting_days: int  # "long" is more than this many days
    evidence: int
    renewals: int
    renewals_by: date
    lapsed: int
    lapsed_since: date
    reviews_overdue: int
    emails_failed: int
    services_unchecked: int


def _count(entity: type, condition: ColumnElement[bool]) -> ScalarSelect[int]:
    return select(func.count()).select_from(entity).where(condition).scalar_subquery()


def _count_elements(condition: ColumnElement[bool]) -> ScalarSelect[int]:
    return (select(func.count()).select_from(PolicyElementRecord)
            .join(Organisation, Organisation.id == PolicyElementRecord.organisation_id)
            .where(condition).scalar_subquery())


def work_queues(session: Session, *, now: datetime, today: date,
                waiting_days: int) -> WorkQueues:
    renewals_by = today + timedelta(days=RENEWAL_DAYS)
    since = today - timedelta(days=LAPSED_DAYS)
    row = session.execute(select(
        _count(Organisation, organisations.waiting_for_decision()),
        _count(Organisation, organisations.waiting_longer_than(waiting_days, now)),
        _count_elements(policy.awaiting_verification_condition()),
        _count(Organisation, organisations.renewal_due_by(renewals_by)),
        _count(Organisation, organisations.lapsed_since(since)),
        _count_elements(policy.review_overdue_condition(today)),
        _count(OutboxMessage, delivery.failed()),
        _count(SupportService, support.due_for_check(today)),
    )).one()
    return WorkQueues(
        applications=row[0], applications_waiting_long=row[1], waiting_days=waiting_days,
        evidence=row[2], renewals=row[3], renewals_by=renewals_by, lapsed=row[4],
        lapsed_since=since, reviews_overdue=row[5], emails_failed=row[6],
        services_unchecked=row[7])
