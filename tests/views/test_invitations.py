"""Accepting invitations: new accounts, existing accounts, and every way a link can fail."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from portal.models import (
    Invitation,
    Membership,
    Organisation,
    OrgRole,
    SchemeStatus,
    User,
    WithdrawalReason,
    utcnow,
)
from tests.conftest import csrf_token, sign_in
from tests.factories import DEFAULT_PASSWORD, make_member_organisation, make_user
from tests.views.test_champions import emails, invite, link_in

PASSWORD = "plenty of words make it strong"


@pytest.fixture
def org(session):
    return make_member_organisation(session, name="Sefton Stores")


@pytest.fixture
def hr(session, org, signed_in):
    return signed_in(make_user(session, organisation=org, role=OrgRole.HR_LEAD))


@pytest.fixture
def link(hr, org, session) -> str:
    invite(hr, org, email="new.champion@example.org", full_name="New Champion")
    return link_in(emails(session)[0])


def create_account(client, link: str, **overrides):  # noqa: ANN001, ANN201 - test helper
    data = {"full_name": "New Champion", "password": PASSWORD, **overrides}
    return client.post(link, data={"csrf_token": csrf_token(client, "/sign-in"), **data})


def memberships(session, email: str) -> list[Membership]:
    session.expire_all()
    return list(session.scalars(select(Membership).join(User).where(User.email == email)
                                .order_by(Membership.id)))


def test_a_new_person_sets_a_password_and_is_signed_in_at_once(client, session, org,
                                                              link) -> None:
    page = client.get(link)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'value="New Champion"' in html
    assert "new.champion@example.org" in html
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert "no-store" in page.headers["Cache-Control"]
    response = create_account(client, link)
    # Signed in at once (no second sign-in), via the one-time explanation of Exit this page.
    assert response.status_code == 303
    assert response.headers["Location"] == "/welcome?next=/dashboard"
    assert "Sefton Stores: Workplace Champion" in client.get("/dashboard").get_data(as_text=True)
    client.post("/sign-out", data={"csrf_token": csrf_token(client, "/dashboard")})
    user = session.scalar(select(User).where(User.email == "new.champion@example.org"))
    assert user.email_verified_at is not None and user.password_hash.startswith("$argon2")
    [membership] = memberships(session, user.email)
    assert membership.role == OrgRole.CHAMPION and membership.organisation_id == org.id
    assert membership.site_id == org.sites[0].id and membership.job_title == "Driver"
    assert session.scalar(select(Invitation)).accepted_by_id == user.id
    assert sign_in(client, user.email, PASSWORD).status_code == 303
    assert "Sefton Stores: Workplace Champion" in client.get("/dashboard").get_data(as_text=True)


def test_weak_passwords_and_bad_names_are_refused(client, session, link) -> None:
    weak = create_account(client, link, password="password1234")
    assert weak.status_code == 200 and "harder to guess" in weak.get_data(as_text=True)
    bad = create_account(client, link, full_name="")
    assert "Enter your full name" in bad.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(User)) == 1  # only the HR lead
    assert session.scalar(select(Invitation)).accepted_at is None


def test_a_used_link_cannot_be_used_again(client, session, link) -> None:
    create_account(client, link)
    again = client.get(link)
    assert again.status_code == 400
    assert "already been accepted" in again.get_data(as_text=True)
    assert create_account(client.application.test_client(), link).status_code in (400,)


def test_an_expired_link_says_so(client, link) -> None:
    with time_machine.travel(utcnow() + timedelta(days=7, seconds=1)):
        response = client.get(link)
    assert response.status_code == 400 and "has expired" in response.get_data(as_text=True)


@pytest.mark.parametrize("token", ["nonsense", "x" * 43, "a" * 5000, "%00", "..%2F..%2Fetc"])
def test_unknown_links_do_not_work(client, token) -> None:
    response = client.get(f"/accept-invitation/{token}")
    assert response.status_code in (400, 404)
    if response.status_code == 400:
        assert "This link does not work" in response.get_data(as_text=True)


def test_a_suspended_organisation_cannot_take_on_champions(client, session, org, link) -> None:
    org = session.get(Organisation, org.id)
    org.scheme_status = SchemeStatus.SUSPENDED
    session.commit()
    response = client.get(link)
    assert response.status_code == 400
    assert "cannot be used at the moment" in response.get_data(as_text=True)
    assert create_account(client, link).status_code == 400
    assert session.scalar(select(func.count()).select_from(User)) == 1


def test_an_existing_account_signs_in_and_keeps_its_history(session, org, hr, client) -> None:
    """A champion moving from A to B keeps one account and the record of A."""
    old_org = make_member_organisation(session, name="Old Employer")
    person = make_user(session, organisation=old_org, role=OrgRole.CHAMPION,
                       email="mover@example.org")
    old = memberships(session, person.email)[0]
    old.withdrawn_at, old.withdrawal_reason = utcnow(), WithdrawalReason.LEFT
    session.commit()
    invite(hr, org, email="Mover@Example.org")
    link = link_in(emails(session)[0])
    page = client.get(link)
    assert "Sign in to accept your invitation" in page.get_data(as_text=True)
    response = sign_in(client, person.email, next_url=link)
    assert response.headers["Location"] == link
    accept_page = client.get(link).get_data(as_text=True)
    assert "Accept invitation" in accept_page
    response = client.post(link, data={"csrf_token": csrf_token(client, link)})
    assert response.status_code == 303 and response.headers["Location"] == "/dashboard"
    held = memberships(session, person.email)
    assert [(m.organisation_id, m.is_current) for m in held] == [(old_org.id, False),
                                                                 (org.id, True)]
    assert session.scalar(select(func.count()).select_from(User).where(
        User.email == person.email)) == 1


def test_someone_else_signed_in_cannot_accept(signed_in, session, link) -> None:
    other = signed_in(make_user(session, email="someone.else@example.org"))
    response = other.get(link)
    assert response.status_code == 403
    assert "different email address" in response.get_data(as_text=True)
    response = other.post(link, data={"csrf_token": csrf_token(other, "/dashboard")})
    assert response.status_code == 403
    assert session.scalar(select(Invitation)).accepted_at is None


def test_a_withdrawn_champion_invited_back_is_reinstated(session, org, hr, client) -> None:
    person = make_user(session, organisation=org, role=OrgRole.CHAMPION,
                       email="returner@example.org")
    [membership] = memberships(session, person.email)
    membership.withdrawn_at = utcnow()
    session.commit()
    invite(hr, org, email=person.email)
    link = link_in(emails(session)[0])
    sign_in(client, person.email, DEFAULT_PASSWORD)
    client.post(link, data={"csrf_token": csrf_token(client, link)})
    [membership] = memberships(session, person.email)
    assert membership.is_current and membership.withdrawal_reason is None


def test_an_hr_lead_invitation_gives_the_hr_lead_role(session, org, hr, client) -> None:
    path = f"/organisations/{org.id}/hr-leads/invite"
    hr.post(path, data={"csrf_token": csrf_token(hr, path), "full_name": "Second Lead",
                        "email": "second.lead@example.org"})
    link = link_in(emails(session)[0])
    create_account(client, link, full_name="Second Lead")
    # signed in by accepting: no second sign-in
    assert client.get(f"/organisations/{org.id}").status_code == 200


def test_extra_fields_are_ignored_when_accepting(client, session, org, link) -> None:
    other = make_member_organisation(session)
    session.commit()
    create_account(client, link, role="hr_lead", organisation_id=str(other.id),
                   is_coordinator="1", email="attacker@example.org", site_id="1")
    user = session.scalar(select(User).where(User.email == "new.champion@example.org"))
    assert not user.is_coordinator
    [membership] = memberships(session, user.email)
    assert membership.role == OrgRole.CHAMPION and membership.organisation_id == org.id
    assert session.scalar(select(User).where(User.email == "attacker@example.org")) is None
