"""Recording audit events, and finding them again: who did what, to which organisation, when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal import clock
from portal.models import AuditEvent, Organisation, User

UK = clock.LONDON


def record_event(session: Session, action: str, *, actor: User | None = None,
                 organisation: Organisation | None = None, target: object | None = None,
                 outcome: str = "success", request_id: str | None = None,
                 details: dict | None = None) -> AuditEvent:
    """Add an audit event to the session; it commits with the change it describes."""
    event = AuditEvent(
        action=action,
        outcome=outcome,
        actor_id=actor.id if actor is not None else None,
        organisation_id=organisation.id if organisation is not None else None,
        target_type=type(target).__name__.lower() if target is not None else None,
        target_id=getattr(target, "id", None),
        request_id=request_id,
        details=details,
    )
    session.add(event)
    return event


@dataclass(frozen=True)
class AuditFilters:
    """Which events to show; `since` and `until` are days in the UK, both included."""

    action: str | None = None
    organisation_id: int | None = None
    actor_id: int | None = None
    since: date | None = None
    until: date | None = None

    def conditions(self) -> list[sa.ColumnElement[bool]]:
        conditions = []
        if self.action:
            conditions.append(AuditEvent.action == self.action)
        if self.organisation_id is not None:
            conditions.append(AuditEvent.organisation_id == self.organisation_id)
        if self.actor_id is not None:
            conditions.append(AuditEvent.actor_id == self.actor_id)
        if self.since is not None:
            conditions.append(AuditEvent.occurred_at >= _start_of(self.since))
        if self.until is not None:
            conditions.append(AuditEvent.occurred_at < _start_of(self.until + timedelta(days=1)))
        return conditions


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(), UK).astimezone(UTC)


def audit_page(session: Session, filters: AuditFilters, *, page: int,
               page_size: int) -> tuple[list[sa.Row], int]:
    """One page of matching events, newest first, each with its actor's and organisation's name,
    and how many match in all: two statements whatever the page holds."""
    conditions = filters.conditions()
    total = session.scalar(select(func.count()).select_from(AuditEvent).where(*conditions))
    rows = session.execute(
        select(AuditEvent, User.full_name, Organisation.name)
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .outerjoin(Organisation, Organisation.id == AuditEvent.organisation_id)
        .where(*conditions)
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
        .offset((page - 1) * page_size).limit(page_size)).all()
    return list(rows), total or 0
