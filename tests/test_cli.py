"""Command-line tasks."""

from __future__ import annotations

from sqlalchemy import func, select

from portal.models import Membership, Organisation, OutboxMessage, User
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
