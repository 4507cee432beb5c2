"""The staff awareness pulse: opening one, answering it anonymously, and its results."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from bench.sqlcount import count_statements
from portal import clock
from portal.models import (
    AuditEvent,
    AwarenessPulse,
    AwarenessPulseCount,
    Base,
    ElementStatus,
    OrgRole,
    PolicyElementEvent,
    PolicyElementRecord,
)
from portal.services import pulse as pulses
from tests.conftest import csrf_token, visible_text
from tests.factories import make_member_organisation, make_site, make_user

ALL_AWARE = {"policy": "yes", "champions": "both", "support": "yes"}
NONE_AWARE = {"policy": "no", "champions": "no", "support": "not_sure"}


@pytest.fixture
def org(session):
    organisation = make_member_organisation(session, name="Halton Homes")
    make_site(session, organisation, name="Runcorn depot")
    session.commit()
    return organisation


@pytest.fixture
def hr(session, org, signed_in) -> FlaskClient:
    return signed_in(make_user(session, organisation=org, role=OrgRole.HR_LEAD))


def open_pulse(session, org, **kwargs) -> AwarenessPulse:  # noqa: ANN001, ANN003
    actor = make_user(session, organisation=org, role=OrgRole.HR_LEAD)
    pulse = pulses.open_pulse(session, org, kwargs.get("site"),
                              closes_on=clock.today() + timedelta(days=14), actor=actor,
                              today=clock.today())
    session.commit()
    return pulse


def answer(app: Flask, pulse: AwarenessPulse, answers: dict[str, str]):  # noqa: ANN201
    """A new visitor each time: a fresh client with no cookies."""
    return app.test_client().post(f"/pulse/{pulse.token}", data=answers)


def test_an_hr_lead_opens_a_pulse_for_the_whole_organisation(session, org, hr) -> None:
    path = f"/organisations/{org.id}/pulses/new"
    closes = clock.today() + timedelta(days=21)
    response = hr.post(path, data={
        "csrf_token": csrf_token(hr, path), "group": "all",
        "closes_on": [str(closes.day), str(closes.month), str(closes.year)]})
    assert response.status_code == 303
    pulse = session.scalar(sa.select(AwarenessPulse))
    assert pulse.site_id is None and pulse.closes_on == closes and pulse.opens_on == clock.today()
    assert len(pulse.token) >= 40  # 32 random bytes: unguessable
    assert session.scalar(sa.select(sa.func.count()).select_from(AwarenessPulseCount)) == 9
    assert session.scalar(sa.select(AuditEvent.action).where(
        AuditEvent.action == "pulse.opened")) == "pulse.opened"
    page = hr.get(response.headers["Location"]).get_data(as_text=True)
    assert f"https://portal.test/pulse/{pulse.token}" in page
    assert "Nobody has answered yet" in page


def test_opening_shows_every_error_at_once(session, org, hr) -> None:
    path = f"/organisations/{org.id}/pulses/new"
    response = hr.post(path, data={"csrf_token": csrf_token(hr, path)})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Select who the pulse is for" in html and "Enter the closing date" in html
    too_late = clock.today() + timedelta(days=91)
    response = hr.post(path, data={
        "csrf_token": csrf_token(hr, path), "group": "all",
        "closes_on": [str(too_late.day), str(too_late.month), str(too_late.year)]})
    assert "within 90 days" in response.get_data(as_text=True)
    assert session.scalar(sa.select(sa.func.count()).select_from(AwarenessPulse)) == 0


def test_a_site_of_another_organisation_cannot_be_chosen(session, org, hr) -> None:
    other = make_site(session, make_member_organisation(session))
    session.commit()
    path = f"/organisations/{org.id}/pulses/new"
    closes = clock.today() + timedelta(days=3)
    response = hr.post(path, data={
        "csrf_token": csrf_token(hr, path), "group": str(other.id),
        "closes_on": [str(closes.day), str(closes.month), str(closes.year)]})
    assert response.status_code == 200 and "Not a valid choice" in response.get_data(as_text=True)


def test_answering_stores_only_totals_and_sets_no_cookie(app, session, org) -> None:
    pulse = open_pulse(session, org)
    visitor = app.test_client()
    page = visitor.get(f"/pulse/{pulse.token}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<title>Staff survey – Workplace Champions</title>" in html
    assert "Exit this page" in html and 'name="csrf_token"' not in html
    assert "Set-Cookie" not in page.headers
    tables_before = {t: count_rows(session, t) for t in Base.metadata.tables}
    response = visitor.post(f"/pulse/{pulse.token}", data=ALL_AWARE)
    assert response.status_code == 303
    assert "Set-Cookie" not in response.headers
    thanks = visitor.get(response.headers["Location"])
    assert thanks.status_code == 200 and "Set-Cookie" not in thanks.headers
    assert visitor.get_cookie(app.config["SESSION_COOKIE_NAME"]) is None
    # No table gained a row: the answer only changed totals (no response row, no audit row).
    session.expire_all()
    assert {t: count_rows(session, t) for t in Base.metadata.tables} == tables_before
    assert pulse_totals(session, pulse) == {("policy", "yes"): 1, ("champions", "both"): 1,
                                            ("support", "yes"): 1}
    assert session.get(AwarenessPulse, pulse.id).respondents == 1


def count_rows(session, table: str) -> int:  # noqa: ANN001
    return session.scalar(sa.select(sa.func.count()).select_from(Base.metadata.tables[table]))


def pulse_totals(session, pulse: AwarenessPulse) -> dict[tuple[str, str], int]:  # noqa: ANN001
    rows = session.scalars(sa.select(AwarenessPulseCount).where(
        AwarenessPulseCount.pulse_id == pulse.id, AwarenessPulseCount.total > 0))
    return {(row.question_key, row.answer_key): row.total for row in rows}


def test_a_missing_answer_gets_every_error_and_keeps_the_others(app, session, org) -> None:
    pulse = open_pulse(session, org)
    response = answer(app, pulse, {"champions": "who_only", "support": "bogus"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and html.count('class="govuk-error-message"') == 2
    assert "Select whether your organisation has a policy on domestic abuse" in html
    assert 'value="who_only" checked' in html
    assert session.get(AwarenessPulse, pulse.id).respondents == 0
    assert "Set-Cookie" not in response.headers


def test_closed_and_unknown_links_take_no_answers(app, session, org) -> None:
    pulse = open_pulse(session, org)
    pulse.opens_on = clock.today() - timedelta(days=10)
    pulse.closes_on = clock.today() - timedelta(days=1)
    session.commit()
    response = answer(app, pulse, ALL_AWARE)
    assert response.status_code == 410 and "This survey is closed" in response.get_data(
        as_text=True)
    assert app.test_client().get("/pulse/not-a-real-link").status_code == 404
    session.expire_all()
    assert session.get(AwarenessPulse, pulse.id).respondents == 0


def test_results_appear_at_ten_as_percentages_rounded_to_five(app, session, org, hr) -> None:
    pulse = open_pulse(session, org)
    path = f"/organisations/{org.id}/pulses/{pulse.id}"
    for number in range(1, 12):
        assert answer(app, pulse, ALL_AWARE if number % 3 else NONE_AWARE).status_code == 303
        text = visible_text(hr.get(path).get_data(as_text=True))
        if number < 10:
            assert "Fewer than 10 people have answered" in text
            assert "%" not in text
        else:
            assert "10 or more people have answered" in text
    # 11 answers, 8 aware: 72.7% shows as 75%, 27.3% as 25%; no exact count anywhere.
    text = visible_text(hr.get(path).get_data(as_text=True))
    assert "Yes 75%" in text and "No 25%" in text and "11" not in text


def test_rounded_percentages() -> None:
    assert pulses.rounded_percentage(8, 11) == 75
    assert pulses.rounded_percentage(1, 10) == 10
    assert pulses.rounded_percentage(1, 40) == 5  # 2.5 rounds half up
    assert pulses.rounded_percentage(0, 10) == 0


def test_answers_are_limited_per_link_not_per_person(app_factory, session) -> None:
    app = app_factory(PULSE_ANSWER_LIMIT_PER_LINK="3 per hour", RATELIMIT_KEY_PREFIX="pulse-test")
    with app.extensions["portal.sessionmaker"]() as db:
        org = make_member_organisation(db)
        first, second = open_pulse(db, org), open_pulse(db, org)
        statuses = [answer(app, first, ALL_AWARE).status_code for _ in range(4)]
        assert statuses == [303, 303, 303, 429]
        assert answer(app, second, ALL_AWARE).status_code == 303  # another link is unaffected
        db.expire_all()
        assert db.get(AwarenessPulse, first.id).respondents == 3


def test_an_hr_lead_can_close_a_pulse(app, session, org, hr) -> None:
    pulse = open_pulse(session, org)
    path = f"/organisations/{org.id}/pulses/{pulse.id}"
    response = hr.post(path + "/close", data={"csrf_token": csrf_token(hr, path)})
    assert response.status_code == 303
    session.expire_all()
    closed = session.get(AwarenessPulse, pulse.id)
    assert not closed.is_open(clock.today()) and closed.closed_early
    assert closed.opens_on == closed.closes_on == clock.today()
    assert answer(app, pulse, ALL_AWARE).status_code == 410


def test_other_organisations_cannot_see_a_pulse(session, org, signed_in) -> None:
    pulse = open_pulse(session, org)
    other = make_member_organisation(session)
    client = signed_in(make_user(session, organisation=other, role=OrgRole.HR_LEAD))
    assert client.get(f"/organisations/{org.id}/pulses/{pulse.id}").status_code == 404
    assert client.get(f"/organisations/{other.id}/pulses/{pulse.id}").status_code == 404
    champion = signed_in(make_user(session, organisation=org, role=OrgRole.CHAMPION))
    assert champion.get(f"/organisations/{org.id}/pulses").status_code == 403
    coordinator = signed_in(make_user(session, is_coordinator=True))
    assert coordinator.get(f"/organisations/{org.id}/pulses/{pulse.id}").status_code == 404


def test_the_list_costs_the_same_statements_however_many_pulses(app, session, org, hr) -> None:
    path = f"/organisations/{org.id}/pulses"
    site = make_site(session, org)
    open_pulse(session, org)
    open_pulse(session, org, site=site)

    def statements() -> int:
        with count_statements(app.extensions["portal.engine"]) as log:
            assert hr.get(path).status_code == 200
        return log.count

    few = statements()
    for _ in range(6):
        open_pulse(session, org, site=make_site(session, org))
        open_pulse(session, org)
    assert statements() == few


def test_results_become_evidence_for_staff_told_about_the_policy(app, session, org,
                                                                  hr) -> None:
    pulse = open_pulse(session, org)
    path = f"/organisations/{org.id}/pulses/{pulse.id}"
    for _ in range(9):
        answer(app, pulse, ALL_AWARE)
    response = hr.post(path + "/evidence", data={"csrf_token": csrf_token(hr, path)})
    assert response.status_code == 303
    assert session.scalar(sa.select(PolicyElementRecord)) is None  # below the minimum
    answer(app, pulse, NONE_AWARE)
    hr.post(path + "/evidence", data={"csrf_token": csrf_token(hr, path)})
    hr.post(path + "/evidence", data={"csrf_token": csrf_token(hr, path)})  # not twice
    record = session.scalar(sa.select(PolicyElementRecord))
    assert record.element_key == "staff_informed" and record.status == ElementStatus.IN_PROGRESS
    assert record.evidence_note.count("Staff awareness pulse") == 1
    assert "90% knew of the policy" in record.evidence_note
    assert session.scalar(sa.select(sa.func.count()).select_from(PolicyElementEvent)) == 1
