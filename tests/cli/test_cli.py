"""Command-line tasks."""

from __future__ import annotations

import signal

import sqlalchemy as sa
from sqlalchemy import func, select

import portal.cli.jobs
from portal.models import (
    Certificate,
    Course,
    Membership,
    Organisation,
    OutboxMessage,
    SessionBooking,
    User,
    utcnow,
)
from portal.services import training
from portal.services.training import RenewalState
from tests.test_mail import queue


def test_seed_demo_loads_people_once_and_prints_sign_ins(app, session) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "coordinator@example.org" in result.output and "hr1@example.org" in result.output
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    assert session.scalar(select(func.count()).select_from(Organisation)) == 2
    assert session.scalar(select(func.count()).select_from(User)) == 7
    assert session.scalar(select(func.count()).select_from(Membership)) == 6


def test_seed_demo_shows_sessions_current_and_renewable_certificates(app, session) -> None:
    """Issue 23: a session with bookings and a waiting list, a current certificate and one in
    its renewal window, so `make run` shows every part."""
    assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
    statuses = sorted(session.scalars(select(SessionBooking.status)))
    assert statuses == ["booked", "booked", "waiting"]
    now = utcnow()
    states = {}
    for certificate in session.scalars(select(Certificate)):
        course = session.get(Course, certificate.course_id)
        states[certificate.user_id] = (certificate.is_current_at(now),
                                       training.renewal_state(certificate, course, now))
    assert sorted(states.values()) == [(True, RenewalState.NOT_YET), (True, RenewalState.OPEN)]


def test_seed_demo_refuses_in_production(app_factory) -> None:
    """AUTH-13: no seeded credentials in production."""
    app = app_factory(DEMO_DATA_ALLOWED=False)
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code != 0 and "not allowed in production" in result.output


def test_create_coordinator_prints_a_one_time_password(app, session) -> None:
    result = app.test_cli_runner().invoke(args=["create-coordinator", "Lead@Example.org"])
    assert result.exit_code == 0, result.output
    user = session.scalar(select(User))
    assert user.email == "lead@example.org" and user.is_coordinator
    password = result.output.strip().splitlines()[-1]
    assert len(password) >= 20
    again = app.test_cli_runner().invoke(args=["create-coordinator", "lead@example.org"])
    assert again.exit_code != 0 and "already exists" in again.output


def test_worker_once_sends_the_queue(app_factory, smtp, session) -> None:
    app = app_factory(MAIL_PORT=smtp.port)
    queue(app, count=2)
    result = app.test_cli_runner().invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert len(smtp.messages) == 2
    assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 2



def test_worker_waits_out_a_database_outage_instead_of_exiting(app_factory, smtp,
                                                               monkeypatch) -> None:
    """REL-08: the long-running worker logs, pauses and tries again; `--once` still fails."""
    app = app_factory(MAIL_PORT=smtp.port)
    queue(app, count=1)
    real_send, calls, pauses = portal.cli.jobs.send_due_messages, [], []
    outage = sa.exc.OperationalError("SELECT", {}, Exception("server closed the connection"))

    def flaky_send(db_session):  # noqa: ANN001, ANN202
        calls.append(1)
        if len(calls) == 1:
            raise outage
        signal.raise_signal(signal.SIGTERM)  # the worker's own handler: finish this pass, stop
        return real_send(db_session)

    def down(_db_session):  # noqa: ANN001, ANN202
        raise outage

    monkeypatch.setattr(portal.cli.jobs.time, "sleep", pauses.append)
    handlers = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    try:
        monkeypatch.setattr(portal.cli.jobs, "send_due_messages", flaky_send)
        result = app.test_cli_runner().invoke(args=["worker"])
        monkeypatch.setattr(portal.cli.jobs, "send_due_messages", down)
        once = app.test_cli_runner().invoke(args=["worker", "--once"])
    finally:
        signal.signal(signal.SIGTERM, handlers[0])
        signal.signal(signal.SIGINT, handlers[1])
    assert result.exit_code == 0, result.output
    assert len(calls) == 2 and pauses == [1] and len(smtp.messages) == 1
    assert once.exit_code != 0 and isinstance(once.exception, sa.exc.OperationalError)
