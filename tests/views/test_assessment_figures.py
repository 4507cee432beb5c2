"""Coordinators' self-assessment and awareness figures: organisation counts, score bands by
sector, borough and size, and awareness only from pulses that reached the minimum."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from bench.sqlcount import count_statements
from portal import clock
from portal.models import AwarenessPulse, Borough, OrgRole, Sector, utcnow
from portal.services import action_plan, assessment_figures
from portal.services import pulse as pulses
from portal.services import self_assessment as assessments
from tests.conftest import visible_text
from tests.factories import make_member_organisation, make_user

PATH = "/coordinator/self-assessment"


def member(session, *, sector: Sector, borough: Borough, answer: str | None,  # noqa: ANN001
           plan: bool = False, respondents: int = 0, aware: int = 0):  # noqa: ANN202
    organisation = make_member_organisation(session, sector=sector)
    for site in organisation.sites:
        site.borough = borough
    hr = make_user(session, organisation=organisation, role=OrgRole.HR_LEAD)
    if answer is not None:
        assessment = assessments.start(session, organisation, actor=hr, now=utcnow())
        assessment.answers = {q.key: answer for q in assessments.question_set().questions}
        assessments.submit(session, organisation, assessment, actor=hr, now=utcnow())
        if plan:
            action_plan.add_recommendations(session, organisation, assessment, ["hr_trained"],
                                            due_on=clock.today(), actor=hr, now=utcnow())
    if respondents:
        pulse = pulses.open_pulse(session, organisation, None,
                                  closes_on=clock.today() + timedelta(days=5), actor=hr,
                                  today=clock.today())
        for number in range(respondents):
            pulses.record_answers(session, pulse, {
                "policy": "yes" if number < aware else "no", "champions": "no",
                "support": "yes"})
    session.commit()
    return organisation


@pytest.fixture
def coordinator(session, signed_in):  # noqa: ANN201
    return signed_in(make_user(session, is_coordinator=True))


def test_counts_bands_and_awareness(session, coordinator) -> None:
    member(session, sector=Sector.PRIVATE, borough=Borough.LIVERPOOL, answer="yes",
           respondents=10, aware=7)
    member(session, sector=Sector.PRIVATE, borough=Borough.WIRRAL, answer="partly", plan=True,
           respondents=12, aware=12)
    member(session, sector=Sector.PUBLIC, borough=Borough.WIRRAL, answer="no",
           respondents=9, aware=9)  # below the minimum: left out of awareness
    member(session, sector=Sector.PUBLIC, borough=Borough.WIRRAL, answer=None)
    figures = assessment_figures.figures(session, by=assessment_figures.Breakdown.SECTOR,
                                         now=utcnow())
    assert (figures.members, figures.with_current_assessment, figures.with_plan) == (4, 3, 1)
    policy = {row.label: row for row in figures.distributions[0].rows}
    assert policy[Sector.PRIVATE.label].bands == {"75% or more": 1, "50% to 74%": 1}
    assert policy[Sector.PUBLIC.label].bands == {"Under 25%": 1}
    assert figures.awareness_organisations == 2
    # 19 of 22 knew of the policy: 86.4% shows as 85%.
    assert figures.awareness[0].percentage == 85
    text = visible_text(coordinator.get(PATH + "?by=borough").get_data(as_text=True))
    assert "Across 2 organisations" in text and "85%" in text
    assert Borough.WIRRAL.label in text


def test_only_coordinators(session, signed_in) -> None:
    organisation = make_member_organisation(session)
    hr = signed_in(make_user(session, organisation=organisation, role=OrgRole.HR_LEAD))
    assert hr.get(PATH).status_code == 404


def test_costs_the_same_statements_however_many_members(app: Flask, session,
                                                        coordinator) -> None:
    def cost() -> int:
        with count_statements(app.extensions["portal.engine"]) as log:
            assert coordinator.get(PATH + "?by=size").status_code == 200
        return log.count

    member(session, sector=Sector.PRIVATE, borough=Borough.LIVERPOOL, answer="no", plan=True,
           respondents=10, aware=5)
    few = cost()
    for _ in range(5):
        member(session, sector=Sector.PUBLIC, borough=Borough.WIRRAL, answer="partly",
               plan=True, respondents=11, aware=3)
    assert cost() == few
    assert session.scalar(sa.select(sa.func.count()).select_from(AwarenessPulse)) == 6
