"""Coordinators: find a person, see their record, download their data, erase it.

Access (AUTHZ-01), the subject access download (PRIV-02), erasure end to end (PRIV-03: sign-in
impossible, sessions ended, certificates no longer verify), and auditing of each (LOG-06).
"""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from portal.models import AuditEvent, Certificate, Membership, OrgRole, User, WithdrawalReason
from tests.conftest import csrf_token, sign_in
from tests.factories import DEFAULT_PASSWORD, make_member_organisation, make_user
from tests.privacy_world import (
    SUBJECT_EMAIL,
    SUBJECT_NAME,
    World,
    build_world,
    withdraw_as_champion,
)

ROLES = ("anonymous", "champion", "hr_lead", "coordinator")
PAGE = (302, 404, 404, 200)
ACTION = (302, 404, 404, 303)
MATRIX = {
    "people.search": ("GET", "/coordinator/people?q=zephyrine", PAGE),
    "people.person": ("GET", "/coordinator/people/{subject}", PAGE),
    "people.export": ("GET", "/coordinator/people/{subject}/export", PAGE),
    "people.erase": ("GET", "/coordinator/people/{subject}/erase", PAGE),
}
POSTS = {
    "people.export": ("/coordinator/people/{subject}/export", (302, 404, 404, 200)),
    "people.erase": ("/coordinator/people/{subject}/erase", (302, 404, 404, 200)),
}


@pytest.fixture
def world(session) -> World:
    return build_world(session)


@pytest.fixture
def coordinator(session) -> User:
    user = make_user(session, is_coordinator=True, full_name="Cora Ordinator")
    session.commit()
    return user


@pytest.fixture
def clients(app: Flask, session, world: World, coordinator: User,
            signed_in) -> dict[str, FlaskClient]:
    org = make_member_organisation(session)
    return {"anonymous": app.test_client(),
            "champion": signed_in(make_user(session, organisation=org, role=OrgRole.CHAMPION)),
            "hr_lead": signed_in(make_user(session, organisation=org, role=OrgRole.HR_LEAD)),
            "coordinator": confirmed(signed_in(coordinator))}


def confirmed(client: FlaskClient) -> FlaskClient:
    """Downloading and erasing need the password entered again in the last 15 minutes."""
    path = "/confirm-password?next=/dashboard"
    response = client.post(path, data={"password": DEFAULT_PASSWORD,
                                       "csrf_token": csrf_token(client, path)})
    assert response.status_code == 303
    return client


def test_export_and_erase_need_a_recent_password(world: World, signed_in,
                                                 coordinator: User) -> None:
    client = signed_in(coordinator)
    for action in ("export", "erase"):
        response = client.get(f"/coordinator/people/{world.subject.id}/{action}")
        assert response.status_code == 302
        assert "/confirm-password?next=" in response.headers["Location"]


def test_the_matrix_covers_every_people_endpoint(app: Flask) -> None:
    assert {e for e in app.view_functions if e.startswith("people.")} == set(MATRIX)


@pytest.mark.parametrize("endpoint", sorted(MATRIX))
def test_only_coordinators_reach_people_pages(endpoint: str, world: World, clients) -> None:
    _, template, expected = MATRIX[endpoint]
    path = template.format(subject=world.subject.id)
    assert tuple(clients[role].get(path).status_code for role in ROLES) == expected


@pytest.mark.parametrize("endpoint", sorted(POSTS))
def test_only_coordinators_can_post_and_nothing_happens_without_confirmation(
        endpoint: str, world: World, clients, session) -> None:
    template, expected = POSTS[endpoint]
    path = template.format(subject=world.subject.id)
    statuses = []
    for role in ROLES:
        token = csrf_token(clients[role], "/sign-in" if role == "anonymous" else "/dashboard")
        statuses.append(clients[role].post(path, data={"csrf_token": token}).status_code)
    assert tuple(statuses) == expected
    session.expire_all()
    assert not world.subject.is_erased


def test_unknown_people_are_404(clients) -> None:
    for path in ("/coordinator/people/999999", "/coordinator/people/999999/export",
                 "/coordinator/people/999999/erase"):
        assert clients["coordinator"].get(path).status_code == 404


def test_search_finds_people_by_part_of_their_address_or_name(world: World, clients) -> None:
    client = clients["coordinator"]
    html = client.get("/coordinator/people?q=ZEPHYRINE@").get_data(as_text=True)
    assert SUBJECT_NAME in html and f"/coordinator/people/{world.subject.id}" in html
    assert "Ottoline" not in html
    assert SUBJECT_EMAIL in client.get("/coordinator/people?q=quentin z").get_data(as_text=True)
    short = client.get("/coordinator/people?q=qu")
    assert short.status_code == 200 and "Enter at least 3 characters" in short.get_data(
        as_text=True)
    wildcard = client.get("/coordinator/people?q=%25%25%25").get_data(as_text=True)
    assert SUBJECT_NAME not in wildcard  # LIKE wildcards are escaped


def test_log_06_looking_at_a_person_is_audited(world: World, clients, coordinator, session) -> None:
    html = clients["coordinator"].get(f"/coordinator/people/{world.subject.id}") \
        .get_data(as_text=True)
    assert SUBJECT_NAME in html and "Harbour Lights Ltd" in html and "Workplace Champion" in html
    assert "2 modules completed, 1 certificate" in html
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "person.viewed",
                                                    AuditEvent.actor_id == coordinator.id))
    assert (event.target_type, event.target_id) == ("user", world.subject.id)


def test_priv_02_coordinator_downloads_the_subject_access_zip(world: World, clients, session,
                                                              coordinator) -> None:
    client = clients["coordinator"]
    path = f"/coordinator/people/{world.subject.id}/export"
    assert "Download their data" in client.get(path).get_data(as_text=True)
    response = client.post(path, data={"csrf_token": csrf_token(client, path)})
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith(f'attachment; filename="personal-data-{world.subject.id}-')
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    document = json.loads(archive.read("personal-data.json"))
    assert document["tables"]["user_account"][0]["email"] == SUBJECT_EMAIL
    assert "certificate.csv" in archive.namelist()
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "person.exported"))
    assert (event.actor_id, event.target_id) == (coordinator.id, world.subject.id)
    assert event.details is None


def test_export_needs_a_csrf_token(world: World, clients, session) -> None:
    response = clients["coordinator"].post(f"/coordinator/people/{world.subject.id}/export")
    assert response.status_code == 400
    assert session.scalar(select(AuditEvent).where(AuditEvent.action == "person.exported")) \
        is None


def test_a_serving_champion_is_withdrawn_first_from_the_erasure_page(world: World, clients,
                                                                     session) -> None:
    """The erasure page offers the champion withdrawal instead (see StillAChampionError); once
    withdrawn, with a reason, the person can be erased."""
    client = clients["coordinator"]
    path = f"/coordinator/people/{world.subject.id}/erase"
    page = client.get(path).get_data(as_text=True)
    assert "is still a Workplace Champion" in page and "You cannot undo this" not in page
    membership = session.scalar(select(Membership).where(
        Membership.user_id == world.subject.id, Membership.role == OrgRole.CHAMPION))
    withdraw = f"/organisations/{world.champion_org.id}/champions/{membership.id}/withdraw"
    assert f'href="{withdraw}"' in page
    refused = client.post(path, data={"csrf_token": csrf_token(client, "/dashboard"),
                                      "confirm": "y"})
    assert refused.status_code == 200 and "is still a Workplace Champion" in refused.text
    session.expire_all()
    assert not world.subject.is_erased
    response = client.post(withdraw, data={"csrf_token": csrf_token(client, withdraw),
                                           "reason": WithdrawalReason.LEFT.value})
    assert response.status_code == 303
    erased = client.post(path, data={"csrf_token": csrf_token(client, path), "confirm": "y"})
    assert erased.status_code == 303
    session.expire_all()
    assert world.subject.is_erased
    assert membership.withdrawal_reason == WithdrawalReason.LEFT


def test_erasure_needs_confirming(world: World, clients, session) -> None:
    withdraw_as_champion(session, world)
    client = clients["coordinator"]
    path = f"/coordinator/people/{world.subject.id}/erase"
    page = client.get(path).get_data(as_text=True)
    assert "You cannot undo this" in page
    assert "their HR lead roles end: Riverside Mills Ltd" in page
    response = client.post(path, data={"csrf_token": csrf_token(client, path)})
    assert response.status_code == 200
    assert "Confirm that you understand this cannot be undone" in response.get_data(as_text=True)
    session.expire_all()
    assert not world.subject.is_erased


def test_priv_03_erasure_end_to_end(app: Flask, world: World, clients, session,
                                    signed_in) -> None:
    code = session.scalar(select(Certificate.code).where(
        Certificate.user_id == world.subject.id))
    withdraw_as_champion(session, world)
    subject_client = signed_in(world.subject)
    assert subject_client.get("/dashboard").status_code == 200
    client = clients["coordinator"]
    path = f"/coordinator/people/{world.subject.id}/erase"
    response = client.post(path, data={"csrf_token": csrf_token(client, path), "confirm": "y"})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/coordinator/people/{world.subject.id}"
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Erased person" in html and "was erased on" in html
    assert "Erase their personal data" not in html
    # Their session has ended, and they cannot sign in again with their old details.
    assert subject_client.get("/dashboard").status_code == 302
    assert sign_in(app.test_client(), SUBJECT_EMAIL).status_code == 200
    # The printed certificate code no longer verifies, and no page shows their name.
    verify = app.test_client().get(f"/verify?code={code}").get_data(as_text=True)
    assert "We could not find a certificate" in verify
    assert SUBJECT_NAME not in client.get(
        f"/coordinator/organisations/{world.lead_org.id}").get_data(as_text=True)


def test_erased_people_cannot_be_exported_or_erased_again(world: World, clients,
                                                          session) -> None:
    withdraw_as_champion(session, world)
    client = clients["coordinator"]
    path = f"/coordinator/people/{world.subject.id}/erase"
    client.post(path, data={"csrf_token": csrf_token(client, path), "confirm": "y"})
    assert "already been erased" in client.get(path).get_data(as_text=True)
    export_path = f"/coordinator/people/{world.subject.id}/export"
    response = client.post(export_path, data={"csrf_token": csrf_token(client, "/dashboard")})
    assert response.mimetype == "text/html"
    assert "nothing to download" in response.get_data(as_text=True)


def test_coordinators_cannot_erase_themselves(clients, coordinator, session) -> None:
    client = clients["coordinator"]
    path = f"/coordinator/people/{coordinator.id}/erase"
    assert "You cannot erase your own account" in client.get(path).get_data(as_text=True)
    response = client.post(path, data={"csrf_token": csrf_token(client, "/dashboard"),
                                       "confirm": "y"})
    assert response.status_code == 200
    session.expire_all()
    assert not coordinator.is_erased
    assert client.get("/dashboard").status_code == 200


def test_hr_leads_on_the_organisation_page_link_to_their_record(world: World,
                                                                 clients) -> None:
    html = clients["coordinator"].get(f"/coordinator/organisations/{world.lead_org.id}") \
        .get_data(as_text=True)
    assert f'href="/coordinator/people/{world.subject.id}"' in html


def test_privacy_notice_shows_the_configured_retention_periods(app_factory) -> None:
    app = app_factory(RETENTION={
        "join_draft": timedelta(hours=12), "unconfirmed_account": timedelta(days=45),
        "closed_invitation": timedelta(days=14), "email_body": timedelta(days=7),
        "email_record": timedelta(days=60), "abandoned_attempt": timedelta(days=21),
        "former_member": timedelta(days=730), "audit_event": timedelta(days=365)})
    html = app.test_client().get("/privacy").get_data(as_text=True)
    for text in ("after 12 hours", "after 45 days", "14 days after", "7 days after",
                 "after 60 days", "after 21 days", "24 months after", "after 12 months"):
        assert text in html, text
