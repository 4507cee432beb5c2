"""Assignments: required courses when a membership starts, the daily catch-up, HR leads'
assignments, completion in the transaction of the pass, withdrawal, and statuses."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from portal.models import (
    Assignment,
    AssignmentSource,
    AuditEvent,
    Course,
    Membership,
    OrgRole,
    SchemeStatus,
    WithdrawalReason,
    utcnow,
)
from portal.services import assignments, invitations, training
from portal.services import organisations as orgs
from portal.services.champions import withdraw_champion
from portal.services.training import ModuleStatus
from tests.factories import make_application, make_member_organisation, make_user, sync_courses
from tests.training_steps import (
    REAL_COURSES,
    load_basics,
    make_champion,
    pass_module,
    start_module,
)

S = ModuleStatus


def all_assignments(session) -> list[Assignment]:
    session.expire_all()
    return list(session.scalars(select(Assignment).order_by(Assignment.id)))


def membership_of(session, user, organisation) -> Membership:
    return session.scalar(select(Membership).where(Membership.user_id == user.id,
                                                   Membership.organisation_id == organisation.id))


def test_accepting_an_invitation_assigns_the_required_course_once(session) -> None:
    course, _ = load_basics(session)
    org = make_member_organisation(session)
    hr = make_user(session, organisation=org, role=OrgRole.HR_LEAD)
    invitation, _token = invitations.create_invitation(
        session, org, invitations.Invitee("Sam Patel", "sam@example.org", OrgRole.CHAMPION),
        invited_by=hr, days=7)
    user = invitations.accept_as_new_user(session, invitation, full_name="Sam Patel",
                                          password_hash="x")
    session.commit()
    [assignment] = all_assignments(session)
    assert (assignment.user_id, assignment.course_id, assignment.source) == (
        user.id, course.id, AssignmentSource.AUTOMATIC)
    assert assignment.due_on == utcnow().date() + timedelta(days=30)
    assert assignment.completed_at is None and assignment.organisation_id == org.id
    # Starting the same membership again, or the daily catch-up, adds nothing.
    assert assignments.assign_required_courses(session, membership_of(session, user, org)) == 0
    assert assignments.catch_up_required_assignments(session, today=utcnow().date()) == 0
    session.commit()
    assert len(all_assignments(session)) == 1


def test_the_due_period_is_the_coordinators_setting(app_factory) -> None:
    """The setting travels with the app's sessions (portal/settings.py)."""
    app = app_factory(TRAINING_DUE_DAYS=10)
    with app.extensions["portal.sessionmaker"]() as session:
        load_basics(session)
        org = make_member_organisation(session)
        make_champion(session, org)
        session.commit()
        assert all_assignments(session)[0].due_on == utcnow().date() + timedelta(days=10)


def test_approval_assigns_the_hr_lead_course_to_the_applicant(session) -> None:
    sync_courses(session, REAL_COURSES)
    org, applicant = make_application(session)
    orgs.approve_application(session, org, actor=make_user(session, is_coordinator=True),
                             renewal_months=12)
    session.commit()
    [assignment] = all_assignments(session)
    assert assignment.user_id == applicant.id
    assert session.get(Course, assignment.course_id).key == "hr-lead-essentials"


def test_the_daily_catch_up_assigns_a_newly_required_course(session) -> None:
    course, _ = load_basics(session)
    course.required = False
    approved = make_member_organisation(session)
    champion = make_champion(session, approved)
    make_user(session, organisation=approved, role=OrgRole.HR_LEAD)  # not a champion course
    suspended = make_member_organisation(session, scheme_status=SchemeStatus.SUSPENDED)
    make_champion(session, suspended)
    leaver = make_champion(session, approved)
    membership_of(session, leaver, approved).withdrawn_at = utcnow()
    session.commit()
    assert all_assignments(session) == []

    course.required = True  # what `courses sync` does when course.md says `required: true`
    session.commit()
    today = utcnow().date()
    assert assignments.catch_up_required_assignments(session, today=today) == 1
    assert assignments.catch_up_required_assignments(session, today=today) == 0
    session.commit()
    [assignment] = all_assignments(session)
    assert assignment.user_id == champion.id
    assert assignment.due_on == today + timedelta(days=30)


def test_catch_up_records_a_current_certificate_as_done(session) -> None:
    course, modules = load_basics(session)
    course.required = False
    org = make_member_organisation(session)
    champion = make_champion(session, org)
    for module in modules.values():
        pass_module(session, champion, module)
    course.required = True
    session.commit()
    assert assignments.catch_up_required_assignments(session, today=utcnow().date()) == 1
    session.commit()
    assert all_assignments(session)[0].completed_at is not None


def test_passing_completes_module_and_course_assignments_in_the_same_transaction(session) -> None:
    course, modules = load_basics(session)
    org = make_member_organisation(session)
    hr = make_user(session, organisation=org, role=OrgRole.HR_LEAD)
    champion = make_champion(session, org)
    membership = membership_of(session, champion, org)
    assignments.assign(session, org, [membership], actor=hr, module=modules["first-module"],
                       due_on=utcnow().date() + timedelta(days=5), today=utcnow().date())
    session.commit()
    course_assignment, module_assignment = all_assignments(session)

    pass_module(session, champion, modules["first-module"])
    session.expire_all()
    assert module_assignment.completed_at is not None  # before any commit: same transaction
    assert course_assignment.completed_at is None
    session.rollback()
    assert all_assignments(session)[1].completed_at is None  # rolled back with the pass

    pass_module(session, champion, modules["first-module"])
    pass_module(session, champion, modules["second-module"])
    session.commit()
    assert all(a.completed_at is not None for a in all_assignments(session))


def test_withdrawal_cancels_pending_assignments_only(session) -> None:
    _course, modules = load_basics(session)
    org = make_member_organisation(session)
    hr = make_user(session, organisation=org, role=OrgRole.HR_LEAD)
    champion = make_champion(session, org)
    membership = membership_of(session, champion, org)
    assignments.assign(session, org, [membership], actor=hr, module=modules["first-module"],
                       due_on=utcnow().date() + timedelta(days=5), today=utcnow().date())
    pass_module(session, champion, modules["first-module"])
    withdraw_champion(session, membership, actor=hr, reason=WithdrawalReason.LEFT)
    session.commit()
    course_assignment, module_assignment = all_assignments(session)
    assert course_assignment.cancelled_at is not None and course_assignment.cancelled_by_id == hr.id
    assert module_assignment.cancelled_at is None and module_assignment.completed_at is not None


def test_hr_lead_assignments_skip_pending_ones_and_refuse_past_dates(session) -> None:
    course, modules = load_basics(session)
    org = make_member_organisation(session)
    hr = make_user(session, organisation=org, role=OrgRole.HR_LEAD)
    first, second = make_champion(session, org), make_champion(session, org)
    members = [membership_of(session, first, org), membership_of(session, second, org)]
    today = utcnow().date()
    with pytest.raises(assignments.DueDateError):
        assignments.assign(session, org, members, actor=hr, course=course, due_on=today,
                           today=today)
    pass_module(session, second, modules["second-module"])
    made, already = assignments.assign(session, org, members, actor=hr,
                                       module=modules["second-module"],
                                       due_on=today + timedelta(days=3), today=today)
    assert (made, already) == (2, 0)
    made, already = assignments.assign(session, org, members, actor=hr,
                                       module=modules["second-module"],
                                       due_on=today + timedelta(days=9), today=today)
    assert (made, already) == (1, 1)  # `second` passed it already: theirs was recorded as done
    session.commit()
    by_user = {}
    for a in all_assignments(session):
        if a.module_id:
            by_user.setdefault(a.user_id, []).append(a)
    assert [a.due_on for a in by_user[first.id]] == [today + timedelta(days=3)]
    assert all(a.completed_at is not None for a in by_user[second.id])
    event = session.scalars(select(AuditEvent).where(
        AuditEvent.action == "assignment.created")).all()[-1]
    assert event.details["count"] == 1 and event.actor_id == hr.id


def test_only_pending_hr_lead_assignments_can_be_cancelled(session) -> None:
    course, modules = load_basics(session)
    org = make_member_organisation(session)
    hr = make_user(session, organisation=org, role=OrgRole.HR_LEAD)
    champion = make_champion(session, org)
    assignments.assign(session, org, [membership_of(session, champion, org)], actor=hr,
                       module=modules["first-module"], due_on=utcnow().date() + timedelta(days=2),
                       today=utcnow().date())
    session.commit()
    automatic, own = all_assignments(session)
    with pytest.raises(assignments.NotCancellableError):
        assignments.cancel_assignment(session, automatic, actor=hr)
    assignments.cancel_assignment(session, own, actor=hr)
    session.commit()
    assert own.cancelled_at is not None and own.cancelled_by_id == hr.id
    with pytest.raises(assignments.NotCancellableError):
        assignments.cancel_assignment(session, own, actor=hr)
    assert session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "assignment.cancelled")) == 1


def statuses(session, organisation) -> dict[tuple[int, str], ModuleStatus]:
    views, _total = assignments.organisation_assignments(session, organisation, now=utcnow())
    return {(v.assignment.user_id, "course" if v.assignment.course_id else "module"): v.status
            for v in views}


def test_statuses_follow_progress_due_dates_and_refreshers(session) -> None:
    _course, modules = load_basics(session)
    org = make_member_organisation(session)
    idle, busy, done = (make_champion(session, org) for _ in range(3))
    start_module(session, busy, modules["first-module"])
    for module in modules.values():
        pass_module(session, done, module)
    session.commit()
    assert statuses(session, org) == {(idle.id, "course"): S.NOT_STARTED,
                                      (busy.id, "course"): S.IN_PROGRESS,
                                      (done.id, "course"): S.PASSED}
    with time_machine.travel(utcnow() + timedelta(days=31), tick=False):
        assert statuses(session, org) == {(idle.id, "course"): S.OVERDUE,
                                          (busy.id, "course"): S.OVERDUE,
                                          (done.id, "course"): S.PASSED}
    with time_machine.travel(utcnow() + timedelta(days=24 * 31), tick=False):
        assert statuses(session, org)[(done.id, "course")] == S.NEEDS_REFRESHER


def test_your_training_marks_unpassed_assigned_modules_overdue(session) -> None:
    _course, modules = load_basics(session)
    org = make_member_organisation(session)
    champion = make_champion(session, org)
    pass_module(session, champion, modules["first-module"])
    session.commit()
    [progress] = training.learner_progress(session, champion, utcnow())
    assert [m.status for m in progress.modules] == [S.PASSED, S.NOT_STARTED]
    assert progress.due_on == utcnow().date() + timedelta(days=30) and not progress.is_overdue
    later = utcnow() + timedelta(days=31)
    [progress] = training.learner_progress(session, champion, later)
    assert [m.status for m in progress.modules] == [S.PASSED, S.OVERDUE]
    assert progress.is_overdue
