"""Reminders about the action plan and the yearly self-assessment join the daily digest."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask

from portal.models import ActionStatus, OrgRole, PlanAction, SelfAssessment, utcnow
from portal.services import action_plan
from portal.services import self_assessment as assessments
from tests.factories import make_member_organisation, make_user
from tests.services.test_reminders import TODAY, days_sent, digests, run_days


@pytest.fixture
def ctx(app: Flask):
    with app.app_context():
        yield


def submitted_assessment(session, org, hr) -> SelfAssessment:  # noqa: ANN001
    assessment = assessments.start(session, org, actor=hr, now=utcnow())
    assessment.answers = {q.key: "no" for q in assessments.question_set().questions}
    assessments.submit(session, org, assessment, actor=hr, now=utcnow())
    return assessment


def test_hr_leads_hear_a_week_before_an_action_is_due_and_once_when_overdue(ctx, session
                                                                           ) -> None:
    org = make_member_organisation(session)
    hr = make_user(session, organisation=org, role=OrgRole.HR_LEAD)
    champion = make_user(session, organisation=org, role=OrgRole.CHAMPION)
    assessment = submitted_assessment(session, org, hr)
    action_plan.add_recommendations(session, org, assessment, ["hr_trained"],
                                    due_on=TODAY + timedelta(days=10), actor=hr, now=utcnow())
    session.commit()
    run_days(session, 0, 15)
    assert days_sent(session, hr) == [3, 11]  # 7 days before, then the day after it was due
    assert days_sent(session, champion) == []
    texts = [message.body_text for message in digests(session, hr)]
    assert "An action in the action plan" in texts[0] and "is due on" in texts[0]
    assert "was due on" in texts[1]
    assert "/action-plan" in texts[0]
    assert "HR lead course" not in "".join(texts)  # the action's title is never in an e-mail


def test_a_done_action_is_not_reminded_about(ctx, session) -> None:
    org = make_member_organisation(session)
    hr = make_user(session, organisation=org, role=OrgRole.HR_LEAD)
    assessment = submitted_assessment(session, org, hr)
    action_plan.add_recommendations(session, org, assessment, ["hr_trained"],
                                    due_on=TODAY + timedelta(days=2), actor=hr, now=utcnow())
    for action in session.query(PlanAction):
        action.status = ActionStatus.DONE
    session.commit()
    run_days(session, 0, 10)
    assert days_sent(session, hr) == []


def test_the_self_assessment_is_due_again_after_a_year(ctx, session) -> None:
    org = make_member_organisation(session)
    hr = make_user(session, organisation=org, role=OrgRole.HR_LEAD)
    assessment = submitted_assessment(session, org, hr)
    assessment.submitted_at = utcnow() - timedelta(days=360)
    session.commit()
    run_days(session, 0, 10)
    assert days_sent(session, hr) == [5]
    assert "self-assessment of" in digests(session, hr)[0].body_text
