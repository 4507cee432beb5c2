"""`flask seed-scale`: bulk synthetic data whose counts match what was asked, on both databases."""

from __future__ import annotations

from sqlalchemy import func, select

from portal import seeding as scale
from portal.models import (
    Assignment,
    AttemptStatus,
    AuditEvent,
    Certificate,
    Membership,
    ModuleCompletion,
    Organisation,
    OrgRole,
    PolicyElementRecord,
    QuizAttempt,
    SchemeStatus,
    Site,
    User,
    utcnow,
)
from portal.services.policy_framework import policy_framework
from portal.services.tiers import TIERS_CHECKED, coverage_target, evaluate, gather_facts
from tests.factories import make_organisation, make_user

TINY = ["--organisations", "12", "--people", "540", "--attempts", "1500"]


def count(session, model, *conditions) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*conditions))


def orphans(session, reference, target) -> int:
    """Rows whose `reference` column points at no `target` row (PostgreSQL loads skip the check)."""
    missing = ~select(target).where(target == reference).exists()
    return count(session, reference.class_, reference.is_not(None), missing)


def seed(app, *options: str):  # noqa: ANN201 - a click result
    runner = app.test_cli_runner()
    synced = runner.invoke(args=["courses", "sync"])
    assert synced.exit_code == 0, synced.output
    return runner.invoke(args=["seed-scale", *options])


def test_seed_scale_adds_exactly_the_requested_counts(app, session) -> None:
    make_user(session, organisation=make_organisation(session), role=OrgRole.HR_LEAD)
    session.commit()  # data already there is kept, and ids carry on after it
    result = seed(app, *TINY)
    assert result.exit_code == 0, result.output
    assert count(session, Organisation) == 12 + 1
    assert count(session, User, User.email.like("%@scale.example")) == 540 + 1
    assert count(session, Membership) == 540 + 1
    assert count(session, QuizAttempt) == 1500
    assert count(session, Site) >= 12 and count(session, Assignment) > 0
    assert count(session, PolicyElementRecord) > 0


def test_seeded_records_are_consistent(app, session) -> None:
    assert seed(app, *TINY).exit_code == 0
    bench = session.scalar(select(Organisation).where(
        Organisation.name == scale.BENCH_ORGANISATION))
    assert bench.scheme_status == SchemeStatus.APPROVED
    assert count(session, Membership, Membership.organisation_id == bench.id,
                 Membership.role == OrgRole.CHAMPION, Membership.withdrawn_at.is_(None)) == 500
    # Every completion is a passed attempt's, every certificate a completion's.
    assert count(session, ModuleCompletion) == count(
        session, QuizAttempt, QuizAttempt.passed.is_(True))
    assert count(session, Certificate) == count(
        session, Certificate, Certificate.completion_id.in_(select(ModuleCompletion.id)))
    assert count(session, QuizAttempt, QuizAttempt.status == AttemptStatus.IN_PROGRESS,
                 QuizAttempt.submitted_at.is_not(None)) == 0
    assert count(session, Organisation, Organisation.tier.is_not(None),
                 Organisation.scheme_status != "approved") == 0
    for email in (scale.COORDINATOR_EMAIL, scale.HR_LEAD_EMAIL, scale.LEARNER_EMAIL):
        assert session.scalar(select(User).where(User.email == email)) is not None
    for reference, target in ((Membership.user_id, User.id),
                              (Membership.organisation_id, Organisation.id),
                              (Membership.site_id, Site.id),
                              (Site.organisation_id, Organisation.id),
                              (QuizAttempt.user_id, User.id),
                              (ModuleCompletion.attempt_id, QuizAttempt.id),
                              (Certificate.completion_id, ModuleCompletion.id),
                              (Assignment.user_id, User.id),
                              (Assignment.assigned_by_id, User.id),
                              (PolicyElementRecord.organisation_id, Organisation.id),
                              (PolicyElementRecord.verified_by_id, User.id)):
        assert orphans(session, reference, target) == 0, reference
    make_user(session)  # the id sequences were moved past the explicit ids
    session.commit()


def test_seed_scale_refuses_a_second_run_and_impossible_scales(app, session) -> None:
    assert seed(app, "--organisations", "3", "--people", "100", "--attempts", "0").exit_code != 0
    assert seed(app, *TINY).exit_code == 0
    again = seed(app, *TINY)
    assert again.exit_code != 0 and "already holds scale data" in again.output
    assert count(session, Organisation) == 12


def test_seed_scale_needs_courses(app) -> None:
    result = app.test_cli_runner().invoke(args=["seed-scale", *TINY])
    assert result.exit_code != 0 and "courses sync" in result.output


def test_seed_scale_refuses_in_production(app_factory) -> None:
    app = app_factory(DEMO_DATA_ALLOWED=False)
    result = app.test_cli_runner().invoke(args=["seed-scale", *TINY])
    assert result.exit_code != 0 and "not allowed in production" in result.output


def test_seeded_tiers_are_the_tiers_the_rules_give(app, session) -> None:
    """Issue 17: seed-scale stores the tier that services/tiers.py works out from the data it
    wrote (not the tier it planned), and records the re-check for the dashboard."""
    assert seed(app, *TINY).exit_code == 0
    stored = dict(session.execute(select(Organisation.id, Organisation.tier)).all())
    with app.app_context():
        facts = gather_facts(session, list(stored), utcnow(), coverage_target(session))
    earned = {org_id: evaluate(item, policy_framework()).tier
              if item.status == SchemeStatus.APPROVED else None
              for org_id, item in facts.items()}
    assert stored == earned
    assert len({tier for tier in stored.values() if tier}) >= 2  # not all one tier
    assert count(session, AuditEvent, AuditEvent.action == TIERS_CHECKED) == 1
