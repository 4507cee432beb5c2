"""Your training's read model (services/your_training.py) agrees with the rules every other page
uses: training.learner_progress for each module's status and each course's certificate and due
date, and assignments.with_statuses for each assignment, on both databases."""

from __future__ import annotations

from datetime import timedelta

from dateutil.relativedelta import relativedelta
from sqlalchemy import select

from portal.models import Assignment, Membership, utcnow
from portal.services import assignments, training, your_training
from tests.factories import make_member_organisation, make_user
from tests.training_steps import load_basics, make_champion, pass_module, start_module


def test_the_overview_matches_learner_progress_and_assignment_statuses(session) -> None:
    _, modules = load_basics(session)
    first, second = list(modules.values())[:2]
    organisation = make_member_organisation(session, name="Overview & Co")
    now = utcnow()
    busy = make_champion(session, organisation)
    pass_module(session, busy, first)
    start_module(session, busy, second)
    lapsed = make_champion(session, organisation)
    pass_module(session, lapsed, first, when=now - relativedelta(months=25))
    for assignment in session.scalars(select(Assignment).where(Assignment.user_id == lapsed.id)):
        assignment.due_on = (now - timedelta(days=3)).date()
    certified = make_champion(session, organisation, assign=False)
    for module in modules.values():
        pass_module(session, certified, module)
    coordinator = make_user(session, is_coordinator=True)
    gone = make_champion(session, organisation)
    for membership in session.scalars(select(Membership).where(Membership.user_id == gone.id)):
        membership.withdrawn_at = now
    session.commit()

    seen = set()
    for user in (busy, lapsed, certified, coordinator, gone):
        overview = your_training.overview(session, user, now)
        progress = training.learner_progress(session, user, now)
        assert [(c.id, c.title, c.due_on) for c in overview.courses] == \
            [(p.course.id, p.course.title, p.due_on) for p in progress]
        for card, expected in zip(overview.courses, progress, strict=True):
            assert [(m.id, m.title, m.status) for m in card.modules] == [
                (m.module.id, m.module.current_version.title, m.status)
                for m in expected.modules]
            assert card.certificate_id == (expected.certificate.id
                                           if expected.certificate else None)
            seen.update(m.status for m in card.modules)
        pending = session.scalars(
            select(Assignment).join(Membership, (Membership.user_id == Assignment.user_id)
                                    & (Membership.organisation_id == Assignment.organisation_id))
            .where(Assignment.user_id == user.id, assignments.pending(),
                   Membership.withdrawn_at.is_(None))
            .order_by(Assignment.due_on, Assignment.id)).all()
        views = assignments.with_statuses(session, pending, now)
        assert [(a.course_id, a.module_id, a.title, a.organisation, a.status)
                for a in overview.assignments] == [
            (v.assignment.course_id, v.assignment.module_id, v.assignment.title,
             v.assignment.organisation.name, v.status) for v in views]
    assert seen >= {training.ModuleStatus.PASSED, training.ModuleStatus.IN_PROGRESS,
                    training.ModuleStatus.OVERDUE, training.ModuleStatus.NOT_STARTED}
    assert your_training.overview(session, gone, now).courses == ()


def test_resume_prefers_a_started_module_then_overdue_then_refresher_then_new(session) -> None:
    _, modules = load_basics(session)
    first, second = list(modules.values())[:2]
    organisation = make_member_organisation(session)
    champion = make_champion(session, organisation)
    session.commit()
    now = utcnow()
    assert your_training.overview(session, champion, now).resume.module.id == first.id
    start_module(session, champion, second)
    session.commit()
    resume = your_training.overview(session, champion, now).resume
    assert (resume.module.id, resume.module.status) == (second.id, "in progress")
    for module in modules.values():
        pass_module(session, champion, module)
    session.commit()
    assert your_training.overview(session, champion, now).resume is None
