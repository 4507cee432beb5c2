"""The outbox as coordinators see it: what is queued, sent and failed, and sending again.

Coordinators see who a message is to, its (neutral) subject, its kind, its state and the mail
server's error; never its body, which only its recipient reads. A failed message can be queued
again while its text is still kept (the retention schedule empties it 30 days after it finished).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import ColumnElement

from portal.models import OutboxMessage, OutboxStatus, User
from portal.services.audit import record_event
from portal.services.errors import PortalError
from portal.services.sql import rowcount

PAGE_SIZE = 50
STATUS_LABELS = {
    OutboxStatus.PENDING: "Queued",
    OutboxStatus.SENDING: "Sending",
    OutboxStatus.SENT: "Sent",
    OutboxStatus.FAILED: "Failed",
}


class CannotRetryError(PortalError):
    """The message has not failed (any more), or its text is no longer kept."""


def failed() -> ColumnElement[bool]:
    """A message the worker gave up sending."""
    return OutboxMessage.status == OutboxStatus.FAILED


def can_retry() -> ColumnElement[bool]:
    return (OutboxMessage.status == OutboxStatus.FAILED) & (OutboxMessage.body_text != "")


@dataclass(frozen=True)
class OutboxRow:
    """A message without its body."""

    id: int
    kind: str
    to_address: str
    subject: str
    status: OutboxStatus
    attempts: int
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None
    retryable: bool

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


def _listed(status: OutboxStatus | None) -> Select:
    query = select(OutboxMessage.id, OutboxMessage.kind, OutboxMessage.to_address,
                   OutboxMessage.subject, OutboxMessage.status, OutboxMessage.attempts,
                   OutboxMessage.last_error, OutboxMessage.created_at, OutboxMessage.sent_at,
                   can_retry().label("retryable"))
    return query if status is None else query.where(OutboxMessage.status == status)


def outbox_page(session: Session, status: OutboxStatus | None, page: int,
                per_page: int = PAGE_SIZE) -> tuple[list[OutboxRow], int]:
    """Messages newest first, optionally of one status: two statements a page."""
    listed = _listed(status)
    total = session.scalar(select(func.count()).select_from(listed.subquery())) or 0
    rows = session.execute(listed.order_by(OutboxMessage.created_at.desc(),
                                           OutboxMessage.id.desc())
                           .offset((page - 1) * per_page).limit(per_page))
    return [OutboxRow(*row) for row in rows], total


def retry(session: Session, message_id: int, *, actor: User, now: datetime,
          request_id: str | None = None) -> None:
    """Queue a failed message again, with a fresh count of attempts; audited. Not committed."""
    changed = rowcount(session.execute(
        update(OutboxMessage).where(OutboxMessage.id == message_id, can_retry())
        .values(status=OutboxStatus.PENDING, attempts=0, next_attempt_at=now)
        .execution_options(synchronize_session=False)))
    if not changed:
        raise CannotRetryError("This email cannot be sent again as it is now.")
    record_event(session, "email.retried", actor=actor, target=session.get(OutboxMessage,
                                                                            message_id),
                 request_id=request_id)
