"""Reminders: the right days, one digest per person per day, each reminder once, nobody who
has left, and the same under two workers at once (PostgreSQL)."""

from __future__ import annotations

import re
import threading
from datetime import date, timedelta

import pytest
import time_machine
from dateutil.relativedelta import relativedelta
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.models import (
    Membership,
    OrgRole,
    OutboxMessage,
    PolicyElementRecord,
    Reminder,
    SchemeStatus,
    WithdrawalReason,
    utcnow,
)
from portal.services import invitations, reminders
from portal.services.assignments import assign
from portal.services.champions import withdraw_champion
from portal.services.schedule import run_daily_jobs
from tests.conftest import make_app
from tests.factories import make_member_organisation, make_user
from tests.training_steps import load_basics, make_champion, pass_module

TODAY = utcnow().date()


@pytest.fixture
def ctx(app: Flask):
    """Reminders render e-mail templates: they run inside the app, as the worker does."""
    with app.app_context():
        yield


def run(session: Session, day: date) -> int:
    return reminders.send_reminders(session, today=day)


def digests(session: Session, user=None) -> list[OutboxMessage]:
    session.expire_all()
    query = select(OutboxMessage).where(OutboxMessage.kind == "reminders")
    if user is not None:
        query = query.where(OutboxMessage.to_address == user.email)
    return list(session.scalars(query.order_by(OutboxMessage.id)))


def days_sent(session: Session, user) -> list[int]:
    """The days (relative to TODAY) on which the person got a digest."""
    return [(date.fromisoformat(m.dedupe_key.rsplit(":", 1)[1]) - TODAY).days
            for m in digests(session, user)]


def run_days(session: Session, first: int, last: int) -> None:
    for offset in range(first, last + 1):
        run(session, TODAY + timedelta(days=offset))


@pytest.fixture
def org(session):
    load_basics(session)
    organisation = make_member_organisation(session)
    session.commit()
    return organisation


def test_assignments_remind_seven_days_before_and_once_when_overdue(ctx, session, org) -> None:
    champion = make_champion(session, org)  # due in 30 days
    hr = make_user(session, organisation=org, role=OrgRole.HR_LEAD)
    session.commit()
    run_days(session, 0, 45)
    assert days_sent(session, champion) == [23, 31]
    assert days_sent(session, hr) == []  # nothing of theirs is due
    due, overdue = digests(session, champion)
    assert "is due on" in due.body_text and "was due on" in overdue.body_text


def test_the_digest_is_neutral_and_lists_everything_due_that_day(ctx, session, org) -> None:
    course, modules = load_basics(session)
    champion = make_champion(session, org)
    with time_machine.travel(utcnow() - relativedelta(months=24) + timedelta(days=40),
                             tick=False):
        for module in modules.values():
            pass_module(session, champion, module)  # certificate expires in 40 days
    other = make_member_organisation(session, renewal_due_on=TODAY + timedelta(days=40))
    session.add(Membership(user=champion, organisation=other, role=OrgRole.HR_LEAD))
    session.commit()
    assert run(session, TODAY + timedelta(days=10)) == 1
    [message] = digests(session, champion)
    assert message.subject == "Reminders from Workplace Champions"
    body = message.body_text
    assert "Your certificate expires on" in body and "is due for renewal on" in body
    assert body.index("certificate") < body.index("renewal")  # most urgent kinds first
    assert course.title not in body and "First module" not in body
    assert not re.search("abuse|violence", body + message.subject, re.IGNORECASE)
    assert "https://portal.test/training" in body
    assert f"https://portal.test/organisations/{other.id}" in body
    assert session.scalar(select(func.count()).select_from(Reminder)) == 2


def test_running_again_the_same_day_sends_nothing_more(ctx, session, org) -> None:
    make_champion(session, org)
    session.commit()
    day = TODAY + timedelta(days=31)
    assert run(session, day) == 1
    assert run(session, day) == 0
    assert run(session, day + timedelta(days=1)) == 0  # overdue is said once, not every day
    assert len(digests(session)) == 1


def test_a_reminder_found_after_the_days_digest_waits_for_tomorrow(ctx, session, org) -> None:
    _course, modules = load_basics(session)
    champion = make_champion(session, org)
    session.commit()
    day = TODAY + timedelta(days=23)
    assert run(session, day) == 1  # "due in 7 days"
    hr = make_user(session, organisation=org, role=OrgRole.HR_LEAD)
    membership = session.scalar(select(Membership).where(Membership.user_id == champion.id))
    assign(session, org, [membership], actor=hr, module=modules["second-module"],
           due_on=day + timedelta(days=2), today=day)
    session.commit()
    assert run(session, day) == 0  # at most one e-mail a day
    assert run(session, day + timedelta(days=1)) == 1
    assert days_sent(session, champion) == [23, 24]


def test_certificates_remind_at_90_30_and_7_days_with_a_line_to_hr_leads(ctx, session,
                                                                          org) -> None:
    _course, modules = load_basics(session)
    champion = make_champion(session, org, full_name="Ann Lee")
    hr = make_user(session, organisation=org, role=OrgRole.HR_LEAD)
    issued = utcnow() - relativedelta(months=20)
    with time_machine.travel(issued, tick=False):
        for module in modules.values():
            pass_module(session, champion, module)
    session.commit()
    expires = (issued + relativedelta(months=24)).date()
    for offset in range(-95, 1):
        run(session, expires + timedelta(days=offset))

    def sent(person) -> list[int]:  # noqa: ANN001
        return [(date.fromisoformat(m.dedupe_key.rsplit(":", 1)[1]) - expires).days
                for m in digests(session, person)]

    assert sent(champion) == [-90, -30, -7]
    assert "Your certificate expires on" in digests(session, champion)[0].body_text
    assert sent(hr) == [-90, -30, -7]
    line = digests(session, hr)[0].body_text
    assert "The certificate of Ann Lee, a champion of" in line
    assert not re.search("abuse|violence|basics", line, re.IGNORECASE)


def test_a_renewed_certificate_is_not_reminded_about(ctx, session, org) -> None:
    _course, modules = load_basics(session)
    champion = make_champion(session, org)
    with time_machine.travel(utcnow() - relativedelta(months=23), tick=False):
        for module in modules.values():
            pass_module(session, champion, module)
    for module in modules.values():
        pass_module(session, champion, module)  # refreshed today: a new certificate
    session.commit()
    run_days(session, 0, 40)
    assert digests(session, champion) == []


def test_hr_leads_hear_about_invitations_not_accepted_after_three_days(ctx, session,
                                                                       org) -> None:
    hr = make_user(session, organisation=org, role=OrgRole.HR_LEAD)
    other_org_hr = make_user(session, organisation=make_member_organisation(session),
                             role=OrgRole.HR_LEAD)
    invitation, _ = invitations.create_invitation(
        session, org, invitations.Invitee("Sam Patel", "sam@example.org", OrgRole.CHAMPION),
        invited_by=hr, days=7)
    session.commit()
    run_days(session, 0, 6)
    assert days_sent(session, hr) == [3]
    assert "Sam Patel has not yet accepted" in digests(session, hr)[0].body_text
    assert days_sent(session, other_org_hr) == []
    with time_machine.travel(utcnow() + timedelta(days=7), tick=False):
        invitations.resend_invitation(session, invitation, actor=hr, days=7, per_day=3)
        session.commit()
    run_days(session, 7, 12)
    assert days_sent(session, hr) == [3, 10]  # the resent link gets its own reminder


def test_hr_leads_hear_when_policy_reviews_are_due(ctx, session, org) -> None:
    hr = make_user(session, organisation=org, role=OrgRole.HR_LEAD)
    record = PolicyElementRecord(organisation_id=org.id, element_key="safe_leave",
                                 review_on=TODAY + timedelta(days=40))
    session.add(record)
    session.commit()
    run_days(session, 0, 15)
    assert days_sent(session, hr) == [10]
    record.review_on = TODAY + timedelta(days=60)  # reviewed: a new date earns a new reminder
    session.commit()
    run_days(session, 16, 35)
    assert days_sent(session, hr) == [10, 30]
    assert "A policy review date" in digests(session, hr)[1].body_text


def test_renewal_reminders_at_sixty_thirty_and_seven_days(ctx, session) -> None:
    org = make_member_organisation(session, renewal_due_on=TODAY + timedelta(days=70))
    hr = make_user(session, organisation=org, role=OrgRole.HR_LEAD)
    session.commit()
    run_days(session, 0, 70)
    assert days_sent(session, hr) == [10, 40, 63]
    late = make_member_organisation(session, renewal_due_on=TODAY + timedelta(days=25))
    late_hr = make_user(session, organisation=late, role=OrgRole.HR_LEAD)
    session.commit()
    run_days(session, 0, 25)
    assert days_sent(session, late_hr) == [0, 18]  # stage 30 at once, not 60 as well; then 7


def test_nobody_who_has_left_or_is_inactive_or_paused_gets_reminders(ctx, session, org) -> None:
    hr = make_user(session, organisation=org, role=OrgRole.HR_LEAD)
    withdrawn = make_champion(session, org)
    withdraw_champion(session, session.scalar(select(Membership).where(
        Membership.user_id == withdrawn.id)), actor=hr, reason=WithdrawalReason.LEFT)
    inactive = make_champion(session, org)
    inactive.is_active = False
    suspended = make_member_organisation(session)
    paused = make_champion(session, suspended)
    suspended.scheme_status = SchemeStatus.SUSPENDED
    active = make_champion(session, org)
    session.commit()
    run_days(session, 20, 35)
    assert days_sent(session, active) == [23, 31]
    assert [m for person in (withdrawn, inactive, paused) for m in digests(session, person)] == []


def test_the_daily_jobs_lapse_memberships_and_send_reminders(ctx, session) -> None:
    load_basics(session)
    overdue = make_member_organisation(session, renewal_due_on=TODAY - timedelta(days=1))
    make_champion(session, overdue)
    org = make_member_organisation(session)
    make_champion(session, org, assign=False)  # the catch-up assigns the required course
    session.commit()
    report = run_daily_jobs(session, TODAY)
    assert (report.ran, report.lapsed, report.assigned) == (True, 1, 1)
    session.expire_all()
    assert overdue.scheme_status == SchemeStatus.LAPSED
    report = run_daily_jobs(session, TODAY + timedelta(days=31))
    assert report.digests == 1  # the lapsed organisation's champion hears nothing
    assert run_daily_jobs(session, TODAY + timedelta(days=31)).digests == 0


# --- Two workers at once (PostgreSQL) --------------------------------------------------------

def _people_with_reminders(pg_url: str, count: int) -> list[str]:
    app = make_app(pg_url)
    with app.app_context(), app.extensions["portal.sessionmaker"]() as session:
        load_basics(session)
        org = make_member_organisation(session)
        emails = [make_champion(session, org).email for _ in range(count)]
        emails.append(make_user(session, organisation=org, role=OrgRole.HR_LEAD).email)
        org.renewal_due_on = TODAY + timedelta(days=40)  # HR lead: a renewal reminder
        session.commit()
    app.extensions["portal.engine"].dispose()
    return emails


def _race(pg_url: str, job: object, workers: int = 4) -> list[BaseException]:
    apps = [make_app(pg_url) for _ in range(workers)]
    barrier = threading.Barrier(workers)
    errors: list[BaseException] = []

    def work(app: Flask) -> None:
        try:
            with app.app_context(), app.extensions["portal.sessionmaker"]() as session:
                barrier.wait()
                job(session)
        except BaseException as error:  # noqa: BLE001 - reported by the test
            errors.append(error)

    threads = [threading.Thread(target=work, args=(app,)) for app in apps]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for app in apps:
        app.extensions["portal.engine"].dispose()
    return errors


def _check_each_reminder_once(pg_url: str, emails: list[str], reminders_expected: int) -> None:
    app = make_app(pg_url)
    with app.extensions["portal.sessionmaker"]() as session:
        rows = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "reminders"))
        by_person: dict[str, int] = {}
        for message in rows:
            by_person[message.to_address] = by_person.get(message.to_address, 0) + 1
        assert by_person == dict.fromkeys(emails, 1)  # one digest each, no more
        assert session.scalar(select(func.count()).select_from(Reminder)) == reminders_expected
    app.extensions["portal.engine"].dispose()


@pytest.mark.pg
def test_two_workers_sending_reminders_at_once_send_each_once(pg_url) -> None:
    """Without the advisory lock: the reminder table and the digest keys alone keep it exact."""
    emails = _people_with_reminders(pg_url, 25)
    day = TODAY + timedelta(days=31)  # every champion overdue; the HR lead's renewal is due

    errors = _race(pg_url, lambda session: reminders.send_reminders(session, today=day))
    assert errors == []
    _check_each_reminder_once(pg_url, emails, reminders_expected=26)
    assert _race(pg_url, lambda session: reminders.send_reminders(session, today=day)) == []
    _check_each_reminder_once(pg_url, emails, reminders_expected=26)


@pytest.mark.pg
def test_the_daily_schedule_twice_and_on_two_workers_at_once_sends_each_once(pg_url) -> None:
    emails = _people_with_reminders(pg_url, 10)
    day = TODAY + timedelta(days=31)
    reports: list[object] = []
    errors = _race(pg_url, lambda session: reports.append(run_daily_jobs(session, day)))
    assert errors == [] and any(report.ran for report in reports)
    errors = _race(pg_url, lambda session: reports.append(run_daily_jobs(session, day)))
    assert errors == []
    _check_each_reminder_once(pg_url, emails, reminders_expected=11)
