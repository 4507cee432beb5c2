"""Coordinators' session limits and powers, and the audit trail of refused requests.

SESS-04 (a shorter idle limit for coordinators), SESS-09 (sign a person out everywhere),
AUTHZ-10 (refusals are audit events), AUTH-04 (every password form shares one throttle).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from flask import Flask
from sqlalchemy import select

from portal.models import AuditEvent, OrgRole, User, utcnow
from tests.conftest import csrf_token, sign_in
from tests.factories import DEFAULT_PASSWORD, make_member_organisation, make_user


def denials(session, actor: User) -> list[AuditEvent]:  # noqa: ANN001
    session.expire_all()
    return list(session.scalars(select(AuditEvent).where(
        AuditEvent.action == "access.denied", AuditEvent.actor_id == actor.id)
        .order_by(AuditEvent.id)))


# SESS-04


def test_sess_04_coordinators_are_signed_out_after_15_idle_minutes(signed_in, session) -> None:
    """SESS-04: 15 minutes for coordinators, while everybody else keeps 30."""
    start = utcnow()
    with time_machine.travel(start, tick=False):
        coordinator = signed_in(make_user(session, is_coordinator=True))
        champion = signed_in(make_user(session))
    with time_machine.travel(start + timedelta(minutes=14), tick=False):
        assert coordinator.get("/coordinator/applications").status_code == 200
    with time_machine.travel(start + timedelta(minutes=14 + 15, seconds=30), tick=False):
        response = coordinator.get("/coordinator/applications")
        assert response.status_code == 302 and response.headers["Location"].startswith("/sign-in")
        assert champion.get("/dashboard").status_code == 200  # 29.5 idle minutes: still fine
    with time_machine.travel(start + timedelta(minutes=29 + 31), tick=False):
        assert champion.get("/dashboard").status_code == 302


def test_sess_04_the_idle_limit_is_configurable(app_factory, session) -> None:
    app = app_factory(COORDINATOR_IDLE_LIMIT=timedelta(minutes=5))
    user = make_user(session, is_coordinator=True)
    session.commit()
    start = utcnow()
    with time_machine.travel(start, tick=False):
        client = app.test_client()
        assert sign_in(client, user.email).status_code == 303
    with time_machine.travel(start + timedelta(minutes=6), tick=False):
        assert client.get("/dashboard").status_code == 302


# SESS-09


@pytest.fixture
def organisation(session):  # noqa: ANN201
    return make_member_organisation(session)


def sign_out_path(organisation, person: User) -> str:  # noqa: ANN001
    return f"/coordinator/organisations/{organisation.id}/people/{person.id}/sign-out-everywhere"


def test_sess_09_coordinator_signs_a_person_out_everywhere(app: Flask, signed_in, session,
                                                           organisation) -> None:
    """SESS-09, ASVS 7.4.5: the HR lead's other clients are anonymous at their next request."""
    hr_lead = make_user(session, organisation=organisation, role=OrgRole.HR_LEAD,
                        full_name="Hannah Reid")
    laptop, phone = signed_in(hr_lead), signed_in(hr_lead)
    coordinator_user = make_user(session, is_coordinator=True)
    coordinator = signed_in(coordinator_user)
    page = coordinator.get(f"/coordinator/organisations/{organisation.id}")
    assert sign_out_path(organisation, hr_lead) in page.get_data(as_text=True)
    confirm = coordinator.get(sign_out_path(organisation, hr_lead))
    assert confirm.status_code == 200
    assert "Sign out Hannah Reid everywhere?" in confirm.get_data(as_text=True)
    assert laptop.get("/dashboard").status_code == 200  # looking is not doing
    response = coordinator.post(sign_out_path(organisation, hr_lead), data={
        "csrf_token": csrf_token(coordinator, sign_out_path(organisation, hr_lead))})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/coordinator/organisations/{organisation.id}"
    assert "signed out on every device" in coordinator.get(response.headers["Location"]) \
        .get_data(as_text=True)
    for client in (laptop, phone):
        response = client.get("/dashboard")
        assert response.status_code == 302 and response.headers["Location"].startswith("/sign-in")
    assert coordinator.get("/coordinator/applications").status_code == 200  # not themselves
    session.expire_all()
    event = session.scalar(select(AuditEvent).where(
        AuditEvent.action == "person.signed_out_everywhere"))
    assert (event.actor_id, event.organisation_id, event.target_type, event.target_id) == \
        (coordinator_user.id, organisation.id, "user", hr_lead.id)
    assert event.details is None
    audit_page = coordinator.get(f"/coordinator/organisations/{organisation.id}/audit")
    assert "Person signed out on every device" in audit_page.get_data(as_text=True)
    # They can sign in again with their password.
    assert sign_in(app.test_client(), hr_lead.email).status_code == 303


def test_sess_09_needs_a_post_with_a_csrf_token(signed_in, session, organisation) -> None:
    hr_lead = make_user(session, organisation=organisation, role=OrgRole.HR_LEAD)
    other = signed_in(hr_lead)
    coordinator = signed_in(make_user(session, is_coordinator=True))
    assert coordinator.post(sign_out_path(organisation, hr_lead)).status_code == 400
    assert other.get("/dashboard").status_code == 200


def test_sess_09_only_members_of_that_organisation(signed_in, session, organisation) -> None:
    """A person from another organisation, or no one, through this organisation's URL: 404."""
    elsewhere = make_user(session, organisation=make_member_organisation(session),
                          role=OrgRole.HR_LEAD)
    coordinator = signed_in(make_user(session, is_coordinator=True))
    assert coordinator.get(sign_out_path(organisation, elsewhere)).status_code == 404
    path = f"/coordinator/organisations/{organisation.id}/people/99999/sign-out-everywhere"
    assert coordinator.get(path).status_code == 404


def test_sess_09_is_for_coordinators_only(signed_in, session, organisation) -> None:
    hr_lead = make_user(session, organisation=organisation, role=OrgRole.HR_LEAD)
    colleague = make_user(session, organisation=organisation, role=OrgRole.HR_LEAD)
    victim = signed_in(colleague)
    client = signed_in(hr_lead)
    path = sign_out_path(organisation, colleague)
    assert client.get(path).status_code == 404
    token = csrf_token(client, "/dashboard")
    assert client.post(path, data={"csrf_token": token}).status_code == 404
    assert victim.get("/dashboard").status_code == 200


# AUTHZ-10


def test_authz_10_cross_organisation_requests_are_audited(signed_in, session) -> None:
    """AUTHZ-10: actor, target type and id, endpoint, status, rule and UTC time; no names."""
    mine, theirs = make_member_organisation(session), make_member_organisation(session)
    hr_lead = make_user(session, organisation=mine, role=OrgRole.HR_LEAD)
    client = signed_in(hr_lead)
    before = utcnow()
    assert client.get(f"/organisations/{theirs.id}").status_code == 404
    [event] = denials(session, hr_lead)
    assert event.outcome == "denied"
    assert (event.target_type, event.target_id, event.organisation_id) == \
        ("organisation", theirs.id, theirs.id)
    assert event.details == {"endpoint": "organisations.overview", "method": "GET",
                             "status": 404, "rule": "other_organisation"}
    assert event.occurred_at >= before - timedelta(seconds=1)
    assert event.occurred_at.utcoffset() == timedelta(0)
    assert event.request_id
    assert hr_lead.email not in str(event.details) and hr_lead.full_name not in str(event.details)


def test_authz_10_role_and_coordinator_refusals_are_audited(signed_in, session) -> None:
    organisation = make_member_organisation(session)
    champion = make_user(session, organisation=organisation, role=OrgRole.CHAMPION)
    client = signed_in(champion)
    assert client.get(f"/organisations/{organisation.id}/edit").status_code == 403
    assert client.get("/coordinator/applications").status_code == 404
    assert client.get("/organisations/99999").status_code == 404
    rules = [(e.details["endpoint"], e.details["status"], e.details["rule"])
             for e in denials(session, champion)]
    assert rules == [("organisations.edit", 403, "role"),
                     ("coordinator.applications", 404, "coordinators_only"),
                     ("organisations.overview", 404, "no_such_organisation")]
    assert denials(session, champion)[2].target_id == 99999
    assert denials(session, champion)[2].organisation_id is None


def test_authz_10_nested_ids_of_another_organisation_are_audited(signed_in, session) -> None:
    mine, theirs = make_member_organisation(session), make_member_organisation(session)
    client = signed_in(make_user(session, organisation=mine, role=OrgRole.HR_LEAD))
    hr_lead = session.scalar(select(User).order_by(User.id.desc()))
    path = f"/organisations/{mine.id}/sites/{theirs.sites[0].id}/edit"
    assert client.get(path).status_code == 404
    [event] = denials(session, hr_lead)
    assert (event.target_type, event.target_id, event.organisation_id) == \
        ("site", theirs.sites[0].id, mine.id)
    assert event.details["rule"] == "not_in_organisation"


def test_authz_10_repeats_cannot_flood_the_audit_trail(signed_in, session) -> None:
    """At most one event per person and endpoint a minute; every refusal is still refused."""
    mine, theirs = make_member_organisation(session), make_member_organisation(session)
    hr_lead = make_user(session, organisation=mine, role=OrgRole.HR_LEAD)
    client = signed_in(hr_lead)
    with time_machine.travel(utcnow(), tick=False) as traveller:
        for _ in range(20):
            assert client.get(f"/organisations/{theirs.id}").status_code == 404
        assert client.get(f"/organisations/{theirs.id}/edit").status_code == 404
        assert len(denials(session, hr_lead)) == 2  # one per endpoint
        traveller.shift(timedelta(seconds=61))
        assert client.get(f"/organisations/{theirs.id}").status_code == 404
        assert len(denials(session, hr_lead)) == 3


def test_authz_10_anonymous_visitors_are_sent_to_sign_in_not_audited(client, session) -> None:
    organisation = make_member_organisation(session)
    session.commit()
    assert client.get(f"/organisations/{organisation.id}").status_code == 302
    session.expire_all()
    assert session.scalar(select(AuditEvent).where(AuditEvent.action == "access.denied")) \
        is None


def test_authz_10_a_refusal_commits_nothing_else(signed_in, session, monkeypatch) -> None:
    """The event is written in its own session; an audit outage still refuses the request."""
    mine, theirs = make_member_organisation(session), make_member_organisation(session)
    hr_lead = make_user(session, organisation=mine, role=OrgRole.HR_LEAD)
    client = signed_in(hr_lead)
    from sqlalchemy.exc import OperationalError
    from sqlalchemy.orm import Session

    def broken_commit(self) -> None:  # noqa: ANN001
        raise OperationalError("INSERT", {}, Exception("database unavailable"))

    monkeypatch.setattr(Session, "commit", broken_commit)
    assert client.get(f"/organisations/{theirs.id}").status_code == 404
    monkeypatch.undo()
    assert denials(session, hr_lead) == []


# AUTH-04


def test_auth_04_changing_a_password_shares_the_sign_in_throttle(app: Flask, signed_in,
                                                                  session) -> None:
    """AUTH-04: wrong current passwords count against the same per-account limit as sign-in."""
    user = make_user(session)
    client = signed_in(user)
    with time_machine.travel(utcnow(), tick=False):
        for _ in range(5):
            response = client.post("/account/password", data={
                "csrf_token": csrf_token(client, "/account/password"),
                "current_password": "not my password at all", "password": "x" * 20})
            assert response.status_code == 200
        for _ in range(5):
            assert sign_in(app.test_client(), user.email, "wrong password guess") \
                .status_code == 200
        assert sign_in(app.test_client(), user.email, DEFAULT_PASSWORD).status_code == 429
