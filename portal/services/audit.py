"""Recording audit events: who did what, to which organisation, when."""

from __future__ import annotations

from sqlalchemy.orm import Session

from portal.models import AuditEvent, Organisation, User


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
