"""The worker's daily jobs, `reminders run`, the daily timer, and seed-demo's assignments."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from portal.models import Assignment, AssignmentSource, Organisation, OutboxMessage, utcnow
from portal.services.schedule import DailyTimer
from tests.factories import make_member_organisation
from tests.training_steps import FIXTURES, load_basics, make_champion


def test_seed_demo_gives_the_first_organisation_assignments_due_and_overdue(app,
                                                                            session) -> None:
    runner = app.test_cli_runner()
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    assert runner.invoke(args=["seed-demo"]).exit_code == 0  # once only
    first = session.scalar(select(Organisation).order_by(Organisation.id))
    rows = session.scalars(select(Assignment).where(
        Assignment.organisation_id == first.id)).all()
    today = utcnow().date()
    pending = [a for a in rows if a.completed_at is None]
    assert any(a.due_on < today for a in pending)  # overdue
    assert any(today <= a.due_on <= today + timedelta(days=7) for a in pending)  # due soon
    assert any(a.source == AssignmentSource.HR_LEAD for a in rows)
    assert len(rows) == 4
    assert session.scalar(select(func.count()).select_from(Assignment)) == 4 + 3


def test_reminders_run_queues_once_per_day(app, session) -> None:
    load_basics(session)
    make_champion(session, make_member_organisation(session))
    session.commit()
    day = (utcnow().date() + timedelta(days=31)).isoformat()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["reminders", "run", "--date", day])
    assert result.exit_code == 0 and f"1 reminder e-mail queued for {day}." in result.output
    again = runner.invoke(args=["reminders", "run", "--date", day])
    assert "0 reminder e-mails queued" in again.output
    assert runner.invoke(args=["reminders", "run", "--date", "31/12/2026"]).exit_code != 0


def test_worker_once_runs_the_daily_jobs_then_sends(app_factory, smtp, session) -> None:
    app = app_factory(MAIL_PORT=smtp.port)
    load_basics(session)
    champion = make_champion(session, make_member_organisation(session))
    session.scalar(select(Assignment)).due_on = utcnow().date() - timedelta(days=1)
    session.commit()
    result = app.test_cli_runner().invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "1 reminder e-mail(s) queued" in result.output
    assert [m["To"] for m in smtp.messages] == [champion.email]
    assert smtp.messages[0]["Subject"] == "Reminders from Workplace Champions"
    assert app.test_cli_runner().invoke(args=["worker", "--once"]).exit_code == 0
    assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 1


def test_the_daily_timer_runs_once_a_day_from_its_hour_and_retries_failures() -> None:
    timer = DailyTimer(hour=6)
    morning = datetime(2026, 11, 21, 5, 59, tzinfo=UTC)
    assert not timer.is_due(morning)
    assert timer.is_due(morning + timedelta(minutes=1))
    timer.failed(morning + timedelta(minutes=1))
    assert not timer.is_due(morning + timedelta(minutes=10))
    assert timer.is_due(morning + timedelta(minutes=16))
    timer.succeeded(morning + timedelta(minutes=16))
    assert not timer.is_due(morning + timedelta(hours=12))
    assert timer.is_due(morning + timedelta(days=1, minutes=1))


def test_courses_sync_assigns_a_newly_required_course_at_once(app_factory, session) -> None:
    app = app_factory(COURSES_DIR=FIXTURES)
    champion = make_champion(session, make_member_organisation(session))  # no courses yet
    session.commit()
    result = app.test_cli_runner().invoke(args=["courses", "sync"])
    assert result.exit_code == 0, result.output
    assert "Required training assigned to members who lacked it: 1." in result.output
    assert session.scalar(select(Assignment.user_id)) == champion.id
    again = app.test_cli_runner().invoke(args=["courses", "sync"])
    assert "Required training assigned" not in again.output
