"""Each role's training status (issue 22) against a full recount from the records, after a
varied run of the portal's own write paths, and after concurrent quiz submissions; and the
`flask --app portal monitoring check` command that does the recount. SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta

import pytest
from dateutil.relativedelta import relativedelta
from sqlalchemy import delete, select, update

from portal.models import (
    Assignment,
    Certificate,
    Course,
    Membership,
    Module,
    Organisation,
    OrgRole,
    Site,
    TrainingStatus,
    User,
    WithdrawalReason,
    utcnow,
)
from portal.services import assignments, credentials, training, training_status
from portal.services.champions import withdraw_champion
from portal.services.subject_rights import erase_person
from tests.conftest import make_app
from tests.factories import make_member_organisation, make_site, make_user
from tests.training_steps import load_basics, make_champion, pass_module


def recount_matches(session) -> None:  # noqa: ANN001
    session.commit()
    session.expire_all()  # this session keeps what it loaded across commits
    assert training_status.differences(session) == []


def test_a_row_for_every_membership_in_step_through_every_kind_of_change(session) -> None:
    course, modules = load_basics(session)
    first, second = modules.values()
    coordinator = make_user(session, is_coordinator=True)
    organisation = make_member_organisation(session)
    other = make_member_organisation(session)
    hr_lead = make_user(session, organisation=organisation, role=OrgRole.HR_LEAD)
    people = [make_champion(session, organisation) for _ in range(4)]
    session.commit()
    assert session.scalar(select(TrainingStatus).where(
        TrainingStatus.membership_id == people[0].memberships[0].id)).first_due_on is not None
    recount_matches(session)

    # Quiz passes: a module completion, then a certificate, completing the assignment.
    for person in people[:3]:
        pass_module(session, person, first)
        pass_module(session, person, second)
    recount_matches(session)
    row = session.get(TrainingStatus, people[0].memberships[0].id)
    assert row.first_certified_at is not None and row.first_due_on is None

    # An HR lead's module assignment, and another organisation's role for the same person.
    membership = people[3].memberships[0]
    assignments.assign(session, organisation, [membership], actor=hr_lead,
                       due_on=utcnow().date() + timedelta(days=3), today=utcnow().date(),
                       module=first)
    session.add(Membership(user=people[0], organisation=other, role=OrgRole.CHAMPION))
    session.flush()
    assignments.assign_required_courses(session, session.scalar(select(Membership).where(
        Membership.user_id == people[0].id, Membership.organisation_id == other.id)))
    recount_matches(session)

    # Revoked, expired and never-expiring certificates.
    certificate = session.scalar(select(Certificate).where(Certificate.user_id == people[1].id))
    credentials.revoke(session, certificate, "issued_in_error", actor=coordinator, now=utcnow())
    session.scalar(select(Certificate).where(Certificate.user_id == people[2].id)) \
        .expires_at = utcnow() - relativedelta(days=1)
    recount_matches(session)

    # A champion withdraws (their pending assignments there are cancelled), another moves site,
    # a site closes, a role changes.
    withdraw_champion(session, people[3].memberships[0], actor=hr_lead,
                      reason=WithdrawalReason.NOT_ABLE)
    site = make_site(session, organisation, name="Second site")
    people[1].memberships[0].site = site
    recount_matches(session)
    session.delete(session.get(Site, site.id))
    hr_lead.memberships[0].role = OrgRole.CHAMPION
    recount_matches(session)

    # A course stops counting; then counts again.
    session.get(Course, course.id).required = False
    recount_matches(session)
    assert session.get(TrainingStatus, people[0].memberships[0].id).first_certified_at is None
    session.get(Course, course.id).required = True
    recount_matches(session)

    # Erasure moves the rows to a placeholder account; deleting an account deletes its rows.
    erase_person(session, people[3], actor=coordinator, now=utcnow())
    recount_matches(session)
    session.execute(delete(User).where(User.id == people[2].id))  # as the retention run does
    recount_matches(session)
    assert session.scalar(select(TrainingStatus).where(
        TrainingStatus.membership_id.not_in(select(Membership.id)))) is None


def test_a_change_the_hooks_do_not_see_is_found_by_the_check_and_repaired(app, session) -> None:
    load_basics(session)
    organisation = make_member_organisation(session)
    people = [make_champion(session, organisation) for _ in range(3)]
    session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["monitoring", "check"])
    assert result.exit_code == 0, result.output
    assert "0 differences" in result.output

    # A bulk UPDATE that does not say whom it changed (what the hooks cannot see).
    session.execute(update(Assignment).where(Assignment.user_id == people[0].id)
                    .values(completed_at=utcnow()))
    session.commit()
    result = runner.invoke(args=["monitoring", "check"])
    assert result.exit_code == 1
    assert f"membership {people[0].memberships[0].id}" in result.output
    assert "for 1 role " in result.output

    result = runner.invoke(args=["monitoring", "check", "--repair"])
    assert result.exit_code == 1 and "Repaired" in result.output
    assert runner.invoke(args=["monitoring", "check"]).exit_code == 0


def test_concurrent_quiz_submissions_leave_the_right_rows(app, session) -> None:
    """Threads pass modules and complete courses (certificates issued, assignments completed)
    for the same people at once, each in its own transaction; every row ends up as a recount
    of what was committed."""
    course, modules = load_basics(session)
    first, second = modules.values()
    organisation = make_member_organisation(session)
    other = make_member_organisation(session)
    people = [make_champion(session, organisation) for _ in range(3)]
    for person in people:  # a role in a second organisation: two rows per person
        session.add(Membership(user=person, organisation=other, role=OrgRole.CHAMPION))
    session.commit()
    for person in people:
        for membership in person.memberships:
            assignments.assign_required_courses(session, membership)
    session.commit()
    ids = [person.id for person in people]
    module_ids = [first.id, second.id]
    maker = app.extensions["portal.sessionmaker"]
    errors: list[BaseException] = []
    start = threading.Barrier(6)

    def submit(worker: int) -> None:
        try:
            with maker() as own:
                start.wait(timeout=30)
                for round_ in range(2):  # two tries of each module each (the daily limit)
                    user = own.get(User, ids[(worker + round_) % len(ids)])
                    module = own.get(Module, module_ids[(worker + round_) % 2])
                    attempt = training.start_attempt(own, user, module)
                    questions = {q["id"]: q for q in attempt.module_version.questions}
                    selected = {item["question"]: [a["key"] for a in
                                                   questions[item["question"]]["answers"]
                                                   if a["correct"]]
                                for item in attempt.drawn}
                    training.submit_attempt(own, attempt, selected)
                    own.commit()
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=submit, args=(worker,)) for worker in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    session.expire_all()
    assert session.scalar(select(Certificate.id).where(Certificate.user_id.in_(ids))) is not None
    assert training_status.differences(session) == []
    for person in ids:
        assert session.scalars(select(TrainingStatus.first_certified_at).join(
            Membership, Membership.id == TrainingStatus.membership_id)
            .where(Membership.user_id == person)).all() != [None, None]


@pytest.mark.pg
def test_two_transactions_changing_one_person_at_once_both_count(pg_url) -> None:
    """The race the advisory lock is for: a certificate issued (and the course's assignment
    completed) in one transaction while an HR lead assigns a module in another, neither
    committed when the other works the person's row out. Without the lock the second to commit
    would write a row missing the first's change."""
    app = make_app(pg_url)
    maker = app.extensions["portal.sessionmaker"]
    with maker() as session:
        _, modules = load_basics(session)
        first, second = modules.values()
        organisation = make_member_organisation(session)
        hr_lead = make_user(session, organisation=organisation, role=OrgRole.HR_LEAD)
        person = make_champion(session, organisation)
        pass_module(session, person, first)
        session.commit()
        ids = {"person": person.id, "hr_lead": hr_lead.id, "organisation": organisation.id,
               "first": first.id, "second": second.id}
    written = threading.Barrier(2)
    errors: list[BaseException] = []

    def certify() -> None:
        with maker() as own:
            pass_module(own, own.get(User, ids["person"]), own.get(Module, ids["second"]))
            written.wait(timeout=30)
            own.commit()

    def assign() -> None:
        with maker() as own:
            today = utcnow().date()
            membership = own.scalar(select(Membership).where(
                Membership.user_id == ids["person"]))
            assignments.assign(own, own.get(Organisation, ids["organisation"]), [membership],
                               actor=own.get(User, ids["hr_lead"]),
                               due_on=today + timedelta(days=3), today=today,
                               module=own.get(Module, ids["second"]))
            own.flush()
            written.wait(timeout=30)
            own.commit()

    def run(target: Callable[[], None]) -> None:
        try:
            target()
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(target,)) for target in (certify, assign)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    with maker() as session:
        row = session.scalar(select(TrainingStatus).join(
            Membership, Membership.id == TrainingStatus.membership_id)
            .where(Membership.user_id == ids["person"]))
        assert row.first_certified_at is not None  # the certificate
        # The module assignment, made before the pass was committed: still pending.
        assert row.first_due_on == utcnow().date() + timedelta(days=3)
        assert training_status.differences(session) == []
    app.extensions["portal.engine"].dispose()
