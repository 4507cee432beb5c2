"""The self-assessment and the action plan: save and resume, check your answers, scores,
recommendations, the plan, and completing an action that records a policy element."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from bench.sqlcount import count_statements
from portal import clock
from portal.models import (
    ActionStatus,
    AuditEvent,
    AwarenessPulse,
    ElementStatus,
    OrgRole,
    PlanAction,
    PolicyElementEvent,
    PolicyElementRecord,
    SelfAssessment,
    utcnow,
)
from portal.services import action_plan
from portal.services import pulse as pulses
from portal.services import self_assessment as assessments
from tests.conftest import csrf_token, visible_text
from tests.factories import make_member_organisation, make_user

QUESTIONS = assessments.question_set()


@pytest.fixture
def org(session):
    organisation = make_member_organisation(session, name="Halton Homes")
    session.commit()
    return organisation


@pytest.fixture
def hr_user(session, org):  # noqa: ANN201
    return make_user(session, organisation=org, role=OrgRole.HR_LEAD)


@pytest.fixture
def hr(hr_user, signed_in) -> FlaskClient:
    return signed_in(hr_user)


def base(org) -> str:  # noqa: ANN001
    return f"/organisations/{org.id}/self-assessment"


def start(hr: FlaskClient, org) -> None:  # noqa: ANN001
    response = hr.post(base(org) + "/start", data={"csrf_token": csrf_token(hr, base(org))})
    assert response.status_code == 303


def answer_section(hr: FlaskClient, org, key: str, answers: dict, *,  # noqa: ANN001
                   later: bool = False):  # noqa: ANN201
    path = f"{base(org)}/sections/{key}"
    data = {"csrf_token": csrf_token(hr, path), **answers}
    data["later" if later else "save"] = "x"
    return hr.post(path, data=data)


def all_answers(answer: str = "yes") -> dict[str, dict[str, str]]:
    return {s.key: {q.key: answer for q in s.questions} for s in QUESTIONS.sections}


def test_save_come_back_later_and_resume(session, org, hr) -> None:
    start(hr, org)
    response = answer_section(hr, org, "policy", {"written_policy": "partly"}, later=True)
    assert response.status_code == 303 and response.headers["Location"].endswith(base(org))
    overview = visible_text(hr.get(base(org)).get_data(as_text=True))
    assert f"1 of {len(QUESTIONS.questions)} questions answered" in overview
    page = hr.get(f"{base(org)}/sections/policy").get_data(as_text=True)
    assert 'value="partly" checked' in page  # resumed with the saved answer
    # Starting again carries on with the same draft.
    start(hr, org)
    assert session.scalar(sa.select(sa.func.count()).select_from(SelfAssessment)) == 1


def test_a_tampered_answer_is_refused_and_nothing_saved(session, org, hr) -> None:
    start(hr, org)
    response = answer_section(hr, org, "policy", {"written_policy": "maybe",
                                                  "confidentiality": "yes"})
    assert response.status_code == 200 and "Not a valid choice" in response.get_data(
        as_text=True)
    assert session.scalar(sa.select(SelfAssessment.answers)) == {}


def test_does_not_apply_only_where_it_can(session, org, hr) -> None:
    start(hr, org)
    skippable = answer_section(hr, org, "training", {"managers_trained": "not_applicable"})
    assert skippable.status_code == 303
    refused = answer_section(hr, org, "training", {"hr_trained": "not_applicable"})
    assert refused.status_code == 200


def test_check_your_answers_lists_what_is_missing(session, org, hr) -> None:
    start(hr, org)
    answer_section(hr, org, "policy", all_answers()["policy"])
    path = base(org) + "/check"
    response = hr.post(path, data={"csrf_token": csrf_token(hr, path)})
    html = response.get_data(as_text=True)
    assert "There is a problem" in html
    assert html.count("Answer: ") == len(QUESTIONS.questions) - 3
    assert session.scalar(sa.select(SelfAssessment.submitted_at)) is None


def take_whole(hr: FlaskClient, org, answers: dict[str, dict[str, str]]) -> int:  # noqa: ANN001
    start(hr, org)
    for key, section_answers in answers.items():
        assert answer_section(hr, org, key, section_answers).status_code == 303
    path = base(org) + "/check"
    response = hr.post(path, data={"csrf_token": csrf_token(hr, path)})
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    return int(response.headers["Location"].rsplit("/", 1)[1])


def test_scores_per_section_and_recommendations_with_links(session, org, hr) -> None:
    answers = all_answers()
    answers["policy"] = {"written_policy": "no", "confidentiality": "partly",
                         "perpetrators": "yes"}
    answers["training"]["managers_trained"] = "not_applicable"
    assessment_id = take_whole(hr, org, answers)
    saved = session.get(SelfAssessment, assessment_id)
    # policy: 0 + 1 + 2 of 6 = 50%; training: 2 questions apply, both yes.
    assert saved.scores == {"policy": 50, "training": 100, "culture": 100, "support": 100}
    html = hr.get(f"{base(org)}/{assessment_id}").get_data(as_text=True)
    text = visible_text(html)
    assert "Policy 50%" in text and "Training 100%" in text
    assert "Adapt the model policy and have leadership approve it." in text
    assert f"/organisations/{org.id}/model-policy" in html
    assert f"/organisations/{org.id}/policy/written-policy" in html
    assert "Train line managers" not in text  # does not apply: no recommendation


def test_recommendations_become_a_plan_and_completing_one_records_the_element(
        session, org, hr) -> None:
    answers = all_answers()
    answers["policy"]["written_policy"] = "no"
    answers["culture"]["awareness_checked"] = "partly"
    assessment_id = take_whole(hr, org, answers)
    path = f"{base(org)}/{assessment_id}"
    due = clock.today() + timedelta(days=60)
    response = hr.post(path, data={
        "csrf_token": csrf_token(hr, path),
        "recommendations": ["written_policy", "awareness_checked"],
        "due_on": [str(due.day), str(due.month), str(due.year)]})
    assert response.status_code == 303
    actions = {a.question_key: a for a in session.scalars(sa.select(PlanAction))}
    assert set(actions) == {"written_policy", "awareness_checked"}
    written = actions["written_policy"]
    assert written.element_key == "written_policy" and written.due_on == due
    assert written.owner_role.value == "hr_lead"
    # Adding again adds nothing twice.
    hr.post(path, data={"csrf_token": csrf_token(hr, path),
                        "recommendations": ["written_policy"],
                        "due_on": [str(due.day), str(due.month), str(due.year)]})
    assert session.scalar(sa.select(sa.func.count()).select_from(PlanAction)) == 2
    overview = visible_text(hr.get(f"/organisations/{org.id}").get_data(as_text=True))
    assert "What’s next in your action plan" in overview
    assert "Adapt the model policy and have leadership approve it." in overview

    action_path = f"/organisations/{org.id}/action-plan/{written.id}"
    response = hr.post(action_path, data={
        "csrf_token": csrf_token(hr, action_path), "status": "done",
        "owner_role": "leadership", "due_on": [str(due.day), str(due.month), str(due.year)]})
    assert response.status_code == 303
    session.expire_all()
    record = session.scalar(sa.select(PolicyElementRecord).where(
        PolicyElementRecord.organisation_id == org.id,
        PolicyElementRecord.element_key == "written_policy"))
    assert record.status == ElementStatus.IN_PLACE and record.in_place_on == clock.today()
    assert "action plan" in record.evidence_note
    assert session.scalar(sa.select(sa.func.count()).select_from(PolicyElementEvent)) == 1
    assert session.get(PlanAction, written.id).status == ActionStatus.DONE
    assert session.scalar(sa.select(AuditEvent).where(
        AuditEvent.action == "policy.element_saved")) is not None


def test_every_error_of_the_action_form_at_once(session, org, hr, hr_user) -> None:
    assessment = assessments.start(session, org, actor=hr_user, now=utcnow())
    assessment.answers = {q.key: "no" for q in QUESTIONS.questions}
    assessments.submit(session, org, assessment, actor=hr_user, now=utcnow())
    action_plan.add_recommendations(session, org, assessment, ["hr_trained"],
                                    due_on=clock.today(), actor=hr_user, now=utcnow())
    session.commit()
    action = session.scalar(sa.select(PlanAction))
    path = f"/organisations/{org.id}/action-plan/{action.id}"
    html = hr.post(path, data={"csrf_token": csrf_token(hr, path),
                               "due_on": ["", "", ""], "status": "", "owner_role": ""}
                   ).get_data(as_text=True)
    for message in ("Select where the action is up to", "Select who does it",
                    "Enter the due date"):
        assert message in html


def test_confidential_to_the_organisations_own_hr_leads(session, org, hr_user,
                                                         signed_in) -> None:
    assessment = assessments.start(session, org, actor=hr_user, now=utcnow())
    assessment.answers = {q.key: "no" for q in QUESTIONS.questions}
    assessments.submit(session, org, assessment, actor=hr_user, now=utcnow())
    action_plan.add_recommendations(session, org, assessment, ["hr_trained"],
                                    due_on=clock.today(), actor=hr_user, now=utcnow())
    session.commit()
    action = session.scalar(sa.select(PlanAction))
    pages = [base(org), f"{base(org)}/{assessment.id}", f"/organisations/{org.id}/action-plan",
             f"/organisations/{org.id}/action-plan/{action.id}"]
    assert all(signed_in(hr_user).get(page).status_code == 200 for page in pages)
    coordinator = signed_in(make_user(session, is_coordinator=True))
    other_org = make_member_organisation(session)
    other = signed_in(make_user(session, organisation=other_org, role=OrgRole.HR_LEAD))
    champion = signed_in(make_user(session, organisation=org, role=OrgRole.CHAMPION))
    for page in pages:
        assert coordinator.get(page).status_code == 404
        assert other.get(page).status_code == 404
        assert champion.get(page).status_code == 403
        # Another organisation's ids under one's own organisation find nothing either.
        assert other.get(page.replace(f"/{org.id}/", f"/{other_org.id}/", 1)).status_code \
            in (200, 404)
    response = coordinator.get(f"/organisations/{org.id}")
    overview = response.get_data(as_text=True)
    assert response.status_code == 200 and "Your organisation" in overview
    assert "Train line managers" not in overview and "HR lead course" not in overview
    assert "/action-plan" not in overview and "/self-assessment" not in overview
    assert other.get(f"/organisations/{other_org.id}/self-assessment/{assessment.id}"
                     ).status_code == 404
    assert other.get(f"/organisations/{other_org.id}/action-plan/{action.id}"
                     ).status_code == 404


def test_plan_and_history_cost_the_same_statements_however_many(app: Flask, session, org,
                                                                 hr, hr_user) -> None:
    def cost(path: str) -> int:
        with count_statements(app.extensions["portal.engine"]) as log:
            assert hr.get(path).status_code == 200
        return log.count

    def one_more() -> None:
        assessment = assessments.start(session, org, actor=hr_user, now=utcnow())
        assessment.answers = {q.key: "partly" for q in QUESTIONS.questions}
        assessments.submit(session, org, assessment, actor=hr_user, now=utcnow())
        action_plan.add_recommendations(
            session, org, assessment, [q.key for q in QUESTIONS.questions],
            due_on=clock.today(), actor=hr_user, now=utcnow())
        for action in session.scalars(sa.select(PlanAction)):
            action.status = ActionStatus.DONE  # so the next assessment adds them all again
        session.commit()

    one_more()
    paths = (base(org), f"/organisations/{org.id}/action-plan", f"/organisations/{org.id}")
    few = [cost(path) for path in paths]
    for _ in range(4):
        one_more()
    assert [cost(path) for path in paths] == few


def test_seed_demo_has_an_assessment_a_plan_and_a_pulse_with_results(app, session) -> None:
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    again = runner.invoke(args=["seed-demo"])  # once only: the same pulse, nothing added
    assert again.exit_code == 0
    assessment = session.scalar(sa.select(SelfAssessment))
    assert assessment.submitted_at is not None and assessment.scores["policy"] == 50
    actions = session.scalars(sa.select(PlanAction)).all()
    assert len(actions) == len(assessments.recommendations(assessment))
    assert {a.status for a in actions} == {ActionStatus.NOT_STARTED, ActionStatus.IN_PROGRESS}
    pulse = session.scalar(sa.select(AwarenessPulse))
    assert session.scalar(sa.select(sa.func.count()).select_from(AwarenessPulse)) == 1
    assert pulses.results(pulse) is not None  # enough answers to show results
    link = f"https://portal.test/pulse/{pulse.token}"
    assert link in first.output and link in again.output
