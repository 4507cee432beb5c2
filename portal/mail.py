"""E-mail: messages are queued as outbox rows in the caller's transaction and sent by the worker.

Sending never happens in a web request, so a slow or stopped mail server cannot slow a page or
lose a message (REL-05, REL-10). The worker claims rows atomically — a conditional update guarded
by FOR UPDATE SKIP LOCKED on PostgreSQL — so two workers never send one message (REL-06).
"""

from __future__ import annotations

import logging
import secrets
import smtplib
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formataddr

from flask import current_app, render_template
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from portal.models import OutboxMessage, OutboxStatus, utcnow

log = logging.getLogger(__name__)

CLAIM_BATCH = 20
MAX_BACKOFF = timedelta(hours=1)


class PermanentMailError(Exception):
    """The mail server refused the message for good (5xx): retrying will not help."""


@dataclass(frozen=True)
class Attachment:
    """A small text file sent with a message, such as a calendar invitation."""

    name: str  # neutral, like the subject: no course titles or sensitive words
    content_type: str  # "text/calendar"
    text: str

    @property
    def maintype_subtype(self) -> tuple[str, str]:
        maintype, subtype = self.content_type.split("/", 1)
        return maintype, subtype


def queue_email(session: Session, *, kind: str, to: str, subject: str, template: str,
                dedupe_key: str | None = None, attachment: Attachment | None = None,
                **context: object) -> OutboxMessage:
    """Add a plain-text message to the outbox; it is sent only if the caller's change commits.

    Subjects must be neutral (DESIGN.md): no course titles or sensitive words.
    """
    if "\r" in to or "\n" in to or "\r" in subject or "\n" in subject:
        raise ValueError("e-mail headers cannot contain line breaks")
    body = render_template(f"email/{template}.txt", **context)
    message = OutboxMessage(kind=kind, to_address=to, subject=subject, body_text=body,
                            dedupe_key=dedupe_key)
    if attachment is not None:
        message.attachment_name = attachment.name
        message.attachment_type = attachment.content_type
        message.attachment_text = attachment.text
    session.add(message)
    return message


@dataclass
class Claimed:
    id: int
    to_address: str
    subject: str
    body_text: str
    attempts: int
    claim_token: str
    attachment: Attachment | None = None


def release_stuck_claims(session: Session) -> int:
    """Put back messages a crashed worker claimed but never finished (at-least-once, once)."""
    cutoff = utcnow() - current_app.config["MAIL_CLAIM_TIMEOUT"]
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.SENDING, OutboxMessage.claimed_at < cutoff)
        .values(status=OutboxStatus.PENDING, claim_token=None))
    session.commit()
    return result.rowcount


def claim_due_messages(session: Session, limit: int = CLAIM_BATCH) -> list[Claimed]:
    """Atomically move due messages from pending to sending, tagged with this claim's token."""
    token = secrets.token_hex(16)
    now = utcnow()
    # A materialised CTE, not `id IN (subquery)`: PostgreSQL may run such a subquery more than
    # once, and with SKIP LOCKED each run finds other rows, so one claim took the whole queue.
    due = (select(OutboxMessage.id)
           .where(OutboxMessage.status == OutboxStatus.PENDING,
                  OutboxMessage.next_attempt_at <= now)
           .order_by(OutboxMessage.id).limit(limit)
           .with_for_update(skip_locked=True)
           .cte("due").prefix_with("MATERIALIZED", dialect="postgresql"))
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(select(due.c.id)),
               OutboxMessage.status == OutboxStatus.PENDING)
        .values(status=OutboxStatus.SENDING, claimed_at=now, claim_token=token)
        .execution_options(synchronize_session=False))
    session.commit()
    rows = session.execute(
        select(OutboxMessage.id, OutboxMessage.to_address, OutboxMessage.subject,
               OutboxMessage.body_text, OutboxMessage.attempts, OutboxMessage.attachment_name,
               OutboxMessage.attachment_type, OutboxMessage.attachment_text)
        .where(OutboxMessage.claim_token == token).order_by(OutboxMessage.id))
    return [Claimed(*row[:5], claim_token=token,
                    attachment=Attachment(row[5], row[6], row[7] or "") if row[5] else None)
            for row in rows]


def _finish(session: Session, claimed: Claimed, **values: object) -> None:
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == claimed.id, OutboxMessage.claim_token == claimed.claim_token,
               OutboxMessage.status == OutboxStatus.SENDING)
        .values(claim_token=None, **values))
    session.commit()


def mark_sent(session: Session, claimed: Claimed) -> None:
    _finish(session, claimed, status=OutboxStatus.SENT, sent_at=utcnow(),
            attempts=claimed.attempts + 1, last_error=None)


def mark_failed_attempt(session: Session, claimed: Claimed, error: str, *,
                        permanent: bool) -> None:
    """Retry later with exponential back-off, or give up after MAIL_MAX_ATTEMPTS or a 5xx."""
    attempts = claimed.attempts + 1
    give_up = permanent or attempts >= current_app.config["MAIL_MAX_ATTEMPTS"]
    delay = min(timedelta(minutes=2 ** (attempts - 1)), MAX_BACKOFF)
    _finish(session, claimed, attempts=attempts, last_error=error[:500],
            status=OutboxStatus.FAILED if give_up else OutboxStatus.PENDING,
            next_attempt_at=utcnow() + delay)


def build_message(claimed: Claimed) -> EmailMessage:
    config = current_app.config
    message = EmailMessage()
    message["From"] = formataddr((config["SCHEME_NAME"], config["MAIL_SENDER_ADDRESS"]))
    message["To"] = claimed.to_address
    message["Subject"] = claimed.subject
    message.set_content(claimed.body_text)
    if claimed.attachment is not None:
        maintype, subtype = claimed.attachment.maintype_subtype
        message.add_attachment(claimed.attachment.text.encode(), maintype=maintype,
                               subtype=subtype, filename=claimed.attachment.name)
    return message


def deliver(message: EmailMessage) -> None:
    """Send one message with the configured backend; raise on failure."""
    config = current_app.config
    if config["MAIL_BACKEND"] == "console":
        print(f"\n----- e-mail -----\n{message}\n------------------", flush=True)  # noqa: T201
        return
    try:
        with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"],
                          timeout=config["MAIL_TIMEOUT_SECONDS"]) as smtp:
            if config["MAIL_USE_TLS"]:
                smtp.starttls()
            if config["MAIL_USERNAME"]:
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
            smtp.send_message(message)
    except smtplib.SMTPResponseException as error:
        if 500 <= error.smtp_code < 600:
            raise PermanentMailError(f"{error.smtp_code} {error.smtp_error!r}") from error
        raise
    except smtplib.SMTPRecipientsRefused as error:
        raise PermanentMailError("recipient refused") from error


def send_due_messages(session: Session) -> int:
    """One pass of the worker: claim what is due and try to send each; returns how many sent."""
    release_stuck_claims(session)
    sent = 0
    for claimed in claim_due_messages(session):
        try:
            deliver(build_message(claimed))
        except PermanentMailError as error:
            mark_failed_attempt(session, claimed, str(error), permanent=True)
        except (OSError, smtplib.SMTPException) as error:
            log.warning("mail.retry",
                        extra={"outbox_id": claimed.id, "error": type(error).__name__})
            mark_failed_attempt(session, claimed, f"{type(error).__name__}: {error}",
                                permanent=False)
        else:
            mark_sent(session, claimed)
            sent += 1
    return sent
