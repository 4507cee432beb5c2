"""HR leads assign and cancel training; bad input is kept and explained; other organisations'
people and assignments stay out of reach; champions see their own due dates."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.models import (
    Assignment,
    AssignmentSource,
    AttemptStatus,
    AuditEvent,
    Membership,
    OrgRole,
    utcnow,
)
from tests.conftest import csrf_token, visible_text
from tests.factories import make_member_organisation, make_user
from tests.training_steps import load_basics, make_champion, pass_module, start_module


@pytest.fixture
def basics(session):
    return load_basics(session)


@pytest.fixture
def org(session, basics):
    return make_member_organisation(session, name="Halton Homes")


@pytest.fixture
def hr_user(session, org):
    return make_user(session, organisation=org, role=OrgRole.HR_LEAD)


@pytest.fixture
def hr(hr_user, signed_in):
    return signed_in(hr_user)


@pytest.fixture
def champions(session, org):
    people = [make_champion(session, org, full_name=name) for name in ("Ann Lee", "Bo Chan")]
    session.commit()
    return people


def membership_id(session, user) -> int:
    return session.scalar(select(Membership.id).where(Membership.user_id == user.id))


def post(client, path: str, data: dict):  # noqa: ANN001, ANN201 - test helper
    return client.post(path, data={"csrf_token": csrf_token(client, "/dashboard"), **data})


def due(days: int) -> dict:
    day = utcnow().date() + timedelta(days=days)
    return {"due_on": [str(day.day), str(day.month), str(day.year)]}


def hr_assignments(session) -> list[Assignment]:
    session.expire_all()
    return list(session.scalars(select(Assignment).where(
        Assignment.source == AssignmentSource.HR_LEAD).order_by(Assignment.id)))


def test_assigning_a_module_to_all_champions(hr, session, org, basics, champions) -> None:
    _course, modules = basics
    module = modules["second-module"]
    response = post(hr, f"/organisations/{org.id}/assignments/new",
                    {"training": f"module-{module.id}", "who": "all", **due(14)})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/organisations/{org.id}/assignments"
    made = hr_assignments(session)
    assert {a.user_id for a in made} == {c.id for c in champions}
    assert all(a.module_id == module.id and a.due_on == utcnow().date() + timedelta(days=14)
               for a in made)
    page = hr.get(f"/organisations/{org.id}/assignments").get_data(as_text=True)
    assert "Training assigned to 2 champions" in page
    assert "Second module" in page and "Not started" in page and "Ann Lee" in page


def test_assigning_a_course_to_chosen_champions(hr, session, org, basics, champions) -> None:
    course, _ = basics
    chosen = champions[1]
    response = post(hr, f"/organisations/{org.id}/assignments/new",
                    {"training": f"course-{course.id}", "who": "some",
                     "champions": [str(membership_id(session, chosen))], **due(3)})
    assert response.status_code == 303
    # Bo already has the required course pending, so nothing new is made for them.
    assert hr_assignments(session) == []
    page = hr.get(f"/organisations/{org.id}/assignments").get_data(as_text=True)
    assert "Training assigned to 0 champions. 1 champion already has it to do" in page


@pytest.mark.parametrize(("data", "message"), [
    ({"who": "all", "due_on": ["", "", ""]}, "Select a course or a module"),
    ({"training": "first", "who": "some"}, "Select at least one champion"),
    ({"training": "first", "who": "all", "due_on": ["", "", ""]}, "Enter the due date"),
    ({"training": "first", "who": "all", "due_on": ["12", "", "2030"]},
     "The due date must include a month"),
    ({"training": "first", "who": "all", "due_on": ["31", "2", "2030"]},
     "The due date must be a real date"),
    ({"training": "first", "who": "all", "due_on": ["1", "1", "30"]},
     "The due date must be a real date"),
    ({"training": "first", "who": "all", "past": True}, "The due date must be after today"),
    ({"training": "first", "who": "all", "today": True}, "The due date must be after today"),
    ({"training": "first", "due_on": ["1", "1", "2030"]}, "Select who should do it"),
])
def test_bad_input_is_explained_and_kept(hr, session, org, basics, champions, data,
                                         message) -> None:
    _course, modules = basics
    data = dict(data)
    if data.get("training") == "first":
        data["training"] = f"module-{modules['first-module'].id}"
    if data.pop("past", False):
        data.update(due(-1))
    if data.pop("today", False):
        data.update(due(0))
    data.setdefault("due_on", ["", "", ""])
    response = post(hr, f"/organisations/{org.id}/assignments/new", data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "There is a problem" in page and message in page
    assert "<title>Error: Assign training" in page
    if data["due_on"][0]:
        assert f'value="{data["due_on"][0]}"' in page  # what they typed is shown back
    if "training" in data:
        assert f'value="{data["training"]}" checked' in page
    assert hr_assignments(session) == []


def test_a_short_or_long_date_list_is_an_error_not_a_crash(hr, org, basics, champions) -> None:
    _course, modules = basics
    for parts in (["1"], ["1", "2", "2031", "9"]):
        response = post(hr, f"/organisations/{org.id}/assignments/new",
                        {"training": f"module-{modules['first-module'].id}", "who": "all",
                         "due_on": parts})
        assert response.status_code == 200


def test_another_organisations_champions_cannot_be_assigned(hr, session, org, basics,
                                                            champions) -> None:
    """QUIZ-11: ids of other employers' people are refused, and nothing is assigned."""
    other = make_member_organisation(session)
    outsider = make_champion(session, other)
    session.commit()
    _course, modules = basics
    response = post(hr, f"/organisations/{org.id}/assignments/new",
                    {"training": f"module-{modules['first-module'].id}", "who": "some",
                     "champions": [str(membership_id(session, champions[0])),
                                   str(membership_id(session, outsider))], **due(5)})
    assert response.status_code == 400
    assert hr_assignments(session) == []


def test_cancelling_asks_first_then_cancels_and_audits(hr, session, org, basics, hr_user,
                                                       champions) -> None:
    _course, modules = basics
    post(hr, f"/organisations/{org.id}/assignments/new",
         {"training": f"module-{modules['first-module'].id}", "who": "all", **due(5)})
    first = hr_assignments(session)[0]
    path = f"/organisations/{org.id}/assignments/{first.id}/cancel"
    page = hr.get(path).get_data(as_text=True)
    assert "Cancel this assignment?" in page and "First module" in page
    assert hr_assignments(session)[0].cancelled_at is None  # a GET changes nothing
    response = post(hr, path, {})
    assert response.status_code == 303
    cancelled = hr_assignments(session)[0]
    assert cancelled.cancelled_at is not None and cancelled.cancelled_by_id == hr_user.id
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "assignment.cancelled"))
    assert event.target_id == first.id and event.organisation_id == org.id
    assert "cannot be cancelled" in hr.get(path).get_data(as_text=True)
    assert hr.post(path).status_code == 400  # no CSRF token


def test_required_training_cannot_be_cancelled(hr, session, org, champions) -> None:
    automatic = session.scalar(select(Assignment).where(
        Assignment.source == AssignmentSource.AUTOMATIC))
    path = f"/organisations/{org.id}/assignments/{automatic.id}/cancel"
    assert "The scheme requires this training" in hr.get(path).get_data(as_text=True)
    post(hr, path, {})
    session.expire_all()
    assert session.get(Assignment, automatic.id).cancelled_at is None


def test_other_organisations_and_champions_are_kept_out(session, signed_in, org, champions,
                                                        hr) -> None:
    other = make_member_organisation(session)
    other_hr = signed_in(make_user(session, organisation=other, role=OrgRole.HR_LEAD))
    champion = signed_in(champions[0])
    automatic = session.scalar(select(Assignment))
    for path in (f"/organisations/{org.id}/assignments",
                 f"/organisations/{org.id}/assignments/new",
                 f"/organisations/{org.id}/assignments/{automatic.id}/cancel"):
        assert other_hr.get(path).status_code == 404, path
        assert champion.get(path).status_code == 403, path
        assert hr.get(path).status_code == 200, path
    # An id from another organisation under one's own organisation is a 404 too.
    assert other_hr.get(f"/organisations/{other.id}/assignments/{automatic.id}/cancel") \
        .status_code == 404


def test_the_assignments_page_shows_statuses_not_scores(hr, session, org, basics,
                                                        champions) -> None:
    _course, modules = basics
    failed = start_module(session, champions[0], modules["second-module"])
    failed.status, failed.score, failed.passed = AttemptStatus.SUBMITTED, 37, False
    pass_module(session, champions[0], modules["first-module"])
    session.commit()
    page = visible_text(hr.get(f"/organisations/{org.id}/assignments").get_data(as_text=True))
    assert "In progress" in page and "Not started" in page
    assert "37" not in page and "100%" not in page and "attempt" not in page.lower()


def test_champions_see_their_assignments_and_overdue_tags(session, signed_in, org, basics,
                                                          hr_user) -> None:
    champion = make_champion(session, org, full_name="Ann Lee")
    overdue = session.scalar(select(Assignment))
    overdue.due_on = utcnow().date() - timedelta(days=2)
    session.commit()
    page = signed_in(champion).get("/training").get_data(as_text=True)
    assert "Assigned to you" in page and "Halton Homes" in page
    assert (overdue.due_on.strftime("%B %Y")) in page
    assert page.count("Overdue") >= 2  # the assignment, and its modules
    assert session.scalar(select(func.count()).select_from(Assignment)) == 1
