"""PRIV-04: the retention schedule, with time travel past each period; idempotent; one run at once.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import time_machine
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from config import Config
from portal.models import (
    AttemptStatus,
    AuditEvent,
    Course,
    Invitation,
    JoinDraft,
    Membership,
    Organisation,
    OrgRole,
    OutboxMessage,
    OutboxStatus,
    QuizAttempt,
    SchemeStatus,
    User,
    utcnow,
)
from portal.services.audit import record_event
from portal.services.invitations import hash_token
from portal.services.retention import LOCK_KEY, apply_retention
from tests.conftest import make_app
from tests.factories import make_application, make_member_organisation, make_user
from tests.privacy_world import TRAINING_FIXTURES, pass_course, start_module, sync_courses

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
RETENTION = Config.RETENTION


def run(session: Session, at: datetime) -> dict[str, int]:
    with time_machine.travel(at, tick=False):
        report = apply_retention(session, utcnow(), RETENTION)
        session.commit()
    assert not report.skipped
    session.expire_all()
    return {rule: count for rule, count in report.counts.items() if count}


def count(session: Session, model: type, *conditions: object) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*conditions))


def invitation(session: Session, org: Organisation, name: str, **values: object) -> Invitation:
    row = Invitation(organisation=org, role=OrgRole.CHAMPION, email=f"{name}@example.org",
                     full_name=name, token_hash=hash_token(name),
                     expires_at=utcnow() + timedelta(days=7), **values)
    session.add(row)
    return row


def seed(session: Session) -> dict[str, object]:
    """At T0: one thing for each rule, and its neighbour that must be kept."""
    with time_machine.travel(T0, tick=False):
        org = make_member_organisation(session)
        session.add(JoinDraft(id="old-draft", answers={}))
        unconfirmed_org, unconfirmed = make_application(session, confirmed=False)
        confirmed_org, confirmed = make_application(session, confirmed=True)
        session.add(OutboxMessage(kind="confirm", to_address=unconfirmed.email, subject="Confirm",
                                  body_text="Confirm your address"))
        invitation(session, org, "accepted", accepted_at=utcnow())
        invitation(session, org, "revoked", revoked_at=utcnow())
        invitation(session, org, "expiring")  # expires at T0 + 7 days
        session.add_all([
            OutboxMessage(kind="invitation", to_address="a@example.org", subject="Hello",
                          body_text="Text", status=OutboxStatus.SENT, sent_at=utcnow()),
            OutboxMessage(kind="invitation", to_address="b@example.org", subject="Hello",
                          body_text="Text", status=OutboxStatus.FAILED, last_error="550 no"),
            OutboxMessage(kind="invitation", to_address="c@example.org", subject="Hello",
                          body_text="Waiting"),
        ])
        sync_courses(session, TRAINING_FIXTURES)
        course = session.scalar(select(Course))
        learner = make_user(session, organisation=org, role=OrgRole.CHAMPION)
        pass_course(session, learner, course)
        start_module(session, learner, course)
        record_event(session, "site.added", organisation=org)
        coordinator = make_user(session, is_coordinator=True, email_verified_at=None)
        session.commit()
    return {"org": org, "unconfirmed": unconfirmed.id, "unconfirmed_org": unconfirmed_org.id,
            "confirmed": confirmed.id, "confirmed_org": confirmed_org.id,
            "learner": learner.id, "coordinator": coordinator.id}


def test_priv_04_each_rule_acts_when_its_period_has_passed_and_only_once(session) -> None:
    ids = seed(session)
    # The seeded event, and whatever the seeding itself audited (a tier worked out, say).
    events_at_t0 = count(session, AuditEvent)
    assert run(session, T0 + timedelta(hours=23)) == {}
    assert run(session, T0 + RETENTION["join_draft"] + timedelta(minutes=1)) == {
        "join_drafts_deleted": 1}
    assert run(session, T0 + timedelta(days=31)) == {"invitations_deleted": 2,
                                                     "email_texts_deleted": 2}
    assert count(session, OutboxMessage, OutboxMessage.body_text == "") == 2
    assert count(session, OutboxMessage, OutboxMessage.last_error.is_not(None)) == 0
    assert run(session, T0 + timedelta(days=38)) == {"invitations_deleted": 1}
    assert run(session, T0 + timedelta(days=91)) == {
        "unconfirmed_accounts_deleted": 1, "unsent_applications_deleted": 1,
        "emails_deleted": 2, "abandoned_attempts_deleted": 1}
    assert session.get(User, ids["unconfirmed"]) is None
    assert session.get(Organisation, ids["unconfirmed_org"]) is None
    assert session.get(User, ids["confirmed"]) is not None
    assert session.get(Organisation, ids["confirmed_org"]) is not None
    assert session.get(User, ids["coordinator"]) is not None  # made by the CLI, kept
    assert count(session, OutboxMessage) == 1  # the one still waiting to be sent
    assert count(session, QuizAttempt, QuizAttempt.status == AttemptStatus.SUBMITTED) == 2
    assert run(session, T0 + timedelta(days=366)) == {"audit_events_deleted": events_at_t0}
    assert run(session, T0 + timedelta(days=366)) == {}


def test_priv_04_nothing_is_touched_before_its_time(session) -> None:
    seed(session)
    tables = (JoinDraft, Invitation, OutboxMessage, QuizAttempt, User, Organisation, AuditEvent)
    before = {model: count(session, model) for model in tables}
    assert run(session, T0 + timedelta(hours=1)) == {}
    assert {model: count(session, model) for model in tables} == before


def former_member(session: Session, org: Organisation, *, withdrawn_at: datetime | None,
                  role: OrgRole = OrgRole.CHAMPION) -> User:
    person = make_user(session, organisation=org, role=role)
    session.flush()
    person.memberships[0].withdrawn_at = withdrawn_at
    return person


def test_priv_04_people_are_anonymised_a_year_after_their_last_role_ends(session) -> None:
    with time_machine.travel(T0, tick=False):
        org = make_member_organisation(session)
        left_org = make_member_organisation(session, scheme_status=SchemeStatus.WITHDRAWN,
                                            status_changed_at=T0)
        withdrawn = former_member(session, org, withdrawn_at=T0)
        of_left_org = former_member(session, left_org, withdrawn_at=None, role=OrgRole.HR_LEAD)
        current = former_member(session, org, withdrawn_at=None)
        moved_on = former_member(session, org, withdrawn_at=T0)
        session.add(Membership(user=moved_on, organisation=left_org, role=OrgRole.CHAMPION,
                               withdrawn_at=T0 + timedelta(days=100)))
        session.commit()
    assert run(session, T0 + timedelta(days=364)) == {}
    assert run(session, T0 + timedelta(days=366)) == {"former_members_anonymised": 2}
    assert withdrawn.is_erased and of_left_org.is_erased
    assert withdrawn.full_name == "Erased person" and not withdrawn.is_active
    assert not current.is_erased and not moved_on.is_erased
    assert run(session, T0 + timedelta(days=466)) == {"former_members_anonymised": 1}
    assert moved_on.is_erased
    reasons = session.scalars(select(AuditEvent.details).where(
        AuditEvent.action == "person.erased")).all()
    assert reasons == [{"reason": "retention"}] * 3
    assert run(session, T0 + timedelta(days=466)) == {}


def test_priv_04_unconfirmed_people_with_another_role_are_kept(session) -> None:
    with time_machine.travel(T0, tick=False):
        _, applicant = make_application(session, confirmed=False)
        approved = make_member_organisation(session)
        session.add(Membership(user=applicant, organisation=approved, role=OrgRole.CHAMPION))
        session.commit()
    assert run(session, T0 + timedelta(days=100)) == {}
    assert session.get(User, applicant.id) is not None


def test_retention_periods_come_from_configuration(session) -> None:
    seed(session)
    periods = {**RETENTION, "join_draft": timedelta(days=10)}
    with time_machine.travel(T0 + timedelta(days=2), tick=False):
        assert apply_retention(session, utcnow(), periods).counts["join_drafts_deleted"] == 0
        assert apply_retention(session, utcnow(), RETENTION).counts["join_drafts_deleted"] == 1


def test_priv_04_a_second_run_skips_while_another_holds_the_lock(pg_url: str) -> None:
    app = make_app(pg_url)
    engine = app.extensions["portal.engine"]
    try:
        # The app's own sessions carry its settings, the retention periods among them.
        with Session(engine) as holder, app.extensions["portal.sessionmaker"]() as session:
            holder.execute(select(func.pg_advisory_xact_lock(LOCK_KEY)))
            assert apply_retention(session, utcnow()).skipped
            holder.rollback()
            assert not apply_retention(session, utcnow()).skipped
    finally:
        engine.dispose()


def test_priv_04_concurrent_runs_act_exactly_once(pg_url: str) -> None:
    """Eight workers run the schedule at the same moment: each row is handled by one of them."""
    app: Flask = make_app(pg_url)
    engine = app.extensions["portal.engine"]
    with Session(engine) as session:
        with time_machine.travel(T0, tick=False):
            org = make_member_organisation(session)
            for number in range(20):
                former_member(session, org, withdrawn_at=T0)
                invitation(session, org, f"gone{number}", revoked_at=utcnow())
            session.commit()
    results: list[dict[str, int]] = []
    barrier = threading.Barrier(8)

    def worker() -> None:
        with app.app_context(), Session(engine) as session:
            barrier.wait()
            report = apply_retention(session, T0 + timedelta(days=400), RETENTION)
            session.commit()
            results.append(report.counts)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    totals = {rule: sum(r.get(rule, 0) for r in results) for rule in
              ("former_members_anonymised", "invitations_deleted")}
    assert totals == {"former_members_anonymised": 20, "invitations_deleted": 20}
    with Session(engine) as session:
        erased = session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "person.erased"))
        assert erased == 20
    engine.dispose()


def test_retention_cli_runs_the_schedule(app: Flask, session) -> None:
    seed(session)
    with time_machine.travel(T0 + timedelta(days=2), tick=False):
        result = app.test_cli_runner().invoke(args=["retention", "run"])
    assert result.exit_code == 0, result.output
    assert "Join drafts deleted: 1" in result.output
    assert count(session, JoinDraft) == 0

