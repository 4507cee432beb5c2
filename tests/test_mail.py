"""The e-mail outbox: nothing lost when SMTP is down, nothing ever sent twice (REL-05, REL-06)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import time_machine
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.mail import CLAIM_BATCH, claim_due_messages, queue_email, send_due_messages
from portal.models import OutboxMessage, OutboxStatus, utcnow
from tests.conftest import make_app


def queue(app: Flask, count: int = 1, to: str = "champion@example.org") -> None:
    with app.test_request_context(), Session(app.extensions["portal.engine"]) as session:
        for _ in range(count):
            queue_email(session, kind="test", to=to, subject="A message – Workplace Champions",
                        template="password_reset", user={"full_name": "Sam"}, link="https://x")
        session.commit()


def run_worker(app: Flask) -> int:
    with app.app_context(), Session(app.extensions["portal.engine"]) as session:
        return send_due_messages(session)


def statuses(app: Flask) -> list[str]:
    with Session(app.extensions["portal.engine"]) as session:
        return list(session.scalars(select(OutboxMessage.status).order_by(OutboxMessage.id)))


@pytest.fixture
def mail_app(app_factory, smtp) -> Flask:
    return app_factory(MAIL_PORT=smtp.port)


def test_message_is_sent_once_with_neutral_sender(mail_app, smtp) -> None:
    queue(mail_app)
    assert run_worker(mail_app) == 1
    assert run_worker(mail_app) == 0
    assert len(smtp.messages) == 1
    message = smtp.messages[0]
    assert message["From"] == "Workplace Champions <no-reply@workplace-champions.example>"
    assert message["To"] == "champion@example.org"
    assert statuses(mail_app) == [OutboxStatus.SENT]


def test_smtp_outage_loses_nothing_and_sends_once_after_recovery(mail_app, smtp) -> None:
    """REL-05 and acceptance 5 of the foundation issue."""
    smtp.stop()
    queue(mail_app)
    assert run_worker(mail_app) == 0
    assert statuses(mail_app) == [OutboxStatus.PENDING]
    with Session(mail_app.extensions["portal.engine"]) as session:
        row = session.scalar(select(OutboxMessage))
        assert row.attempts == 1 and row.last_error and row.next_attempt_at > utcnow()
    smtp.start()
    assert run_worker(mail_app) == 0  # backing off: not due yet
    with time_machine.travel(utcnow() + timedelta(minutes=15)):
        assert run_worker(mail_app) == 1
        assert run_worker(mail_app) == 0
    assert len(smtp.messages) == 1
    assert statuses(mail_app) == [OutboxStatus.SENT]


def test_permanent_refusal_is_not_retried(mail_app, smtp) -> None:
    smtp.handler.refuse_with = "550 Mailbox unavailable"
    queue(mail_app)
    run_worker(mail_app)
    assert statuses(mail_app) == [OutboxStatus.FAILED]


def test_gives_up_after_the_maximum_attempts(app_factory, smtp) -> None:
    app = app_factory(MAIL_PORT=smtp.port, MAIL_MAX_ATTEMPTS=3)
    smtp.stop()
    queue(app)
    start = utcnow()
    for hour in range(3):
        with time_machine.travel(start + timedelta(hours=hour)):
            run_worker(app)
    assert statuses(app) == [OutboxStatus.FAILED]


def test_a_crashed_claim_is_retried_after_the_timeout(mail_app, smtp) -> None:
    """REL-06: a row stuck in `sending` (worker died) goes back to pending, and is sent once."""
    queue(mail_app)
    with Session(mail_app.extensions["portal.engine"]) as session:
        row = session.scalar(select(OutboxMessage))
        row.status, row.claimed_at, row.claim_token = OutboxStatus.SENDING, utcnow(), "dead"
        session.commit()
    assert run_worker(mail_app) == 0
    with time_machine.travel(utcnow() + timedelta(minutes=11)):
        assert run_worker(mail_app) == 1
    assert len(smtp.messages) == 1


def test_a_claim_takes_at_most_one_batch(mail_app) -> None:
    """REL-06: on PostgreSQL a `FOR UPDATE SKIP LOCKED` subquery under `IN (...)` could run
    more than once and claim the whole queue for one worker; the batch limit must hold."""
    queue(mail_app, count=CLAIM_BATCH + 10)
    with mail_app.app_context(), Session(mail_app.extensions["portal.engine"]) as session:
        assert len(claim_due_messages(session)) == CLAIM_BATCH
        assert len(claim_due_messages(session)) == 10
    assert set(statuses(mail_app)) == {OutboxStatus.SENDING}


def test_nothing_is_queued_when_the_change_rolls_back(mail_app) -> None:
    """REL-07: the message is in the same transaction as the change that causes it."""
    with mail_app.test_request_context(), \
            Session(mail_app.extensions["portal.engine"]) as session:
        queue_email(session, kind="test", to="a@example.org", subject="Subject",
                    template="password_reset", user={"full_name": "Sam"}, link="https://x")
        session.rollback()
    assert statuses(mail_app) == []


def test_header_injection_is_refused(mail_app) -> None:
    """HDR-INJ-01."""
    with pytest.raises(ValueError, match="line breaks"):
        queue(mail_app, to="a@example.org\r\nBcc: evil@example.org")


@pytest.mark.pg
def test_two_workers_racing_on_postgresql_never_send_a_message_twice(pg_url, smtp) -> None:
    """REL-06: several workers claim from one outbox at once."""
    apps = [make_app(pg_url, MAIL_PORT=smtp.port) for _ in range(4)]
    queue(apps[0], count=60)
    barrier = threading.Barrier(len(apps))
    errors: list[BaseException] = []

    def work(app: Flask) -> None:
        try:
            barrier.wait()
            for _ in range(10):
                run_worker(app)
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(app,)) for app in apps]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(smtp.messages) == 60
    with Session(apps[0].extensions["portal.engine"]) as session:
        assert session.scalar(select(func.count()).where(
            OutboxMessage.status == OutboxStatus.SENT)) == 60
    for app in apps:
        app.extensions["portal.engine"].dispose()
