"""HR leads invite champions and HR leads; invitations are listed, resent and withdrawn."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from portal.models import (
    AuditEvent,
    Invitation,
    OrgRole,
    OutboxMessage,
    SchemeStatus,
    utcnow,
)
from portal.services.invitations import hash_token
from tests.conftest import csrf_token
from tests.factories import make_member_organisation, make_site, make_user

INVITE = {"full_name": "Sam Patel", "email": "Sam.Patel@Example.org", "job_title": "Driver"}


@pytest.fixture
def org(session):
    return make_member_organisation(session, name="Mersey Movers")


@pytest.fixture
def hr(session, org, signed_in):
    return signed_in(make_user(session, organisation=org, role=OrgRole.HR_LEAD))


def invite(client, org, **overrides):  # noqa: ANN001, ANN201 - test helper
    path = f"/organisations/{org.id}/champions/invite"
    data = {**INVITE, "site": str(org.sites[0].id), **overrides}
    return client.post(path, data={"csrf_token": csrf_token(client, "/dashboard"), **data})


def tagged(html: str, text: str) -> bool:
    return re.search(rf">\s*{text}\s*<", html) is not None


def post(client, path: str, data: dict | None = None):  # noqa: ANN001, ANN201 - test helper
    return client.post(path, data={"csrf_token": csrf_token(client, "/dashboard"),
                                   **(data or {})})


def emails(session) -> list[OutboxMessage]:
    session.expire_all()
    return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def link_in(message: OutboxMessage) -> str:
    return re.search(r"https://portal\.test(/accept-invitation/\S+)", message.body_text).group(1)


def count(session, model) -> int:  # noqa: ANN001
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model))


def test_inviting_a_champion_stores_a_hash_and_emails_a_neutral_link(hr, session, org) -> None:
    response = invite(hr, org, )
    assert response.status_code == 303
    assert response.headers["Location"] == f"/organisations/{org.id}/champions"
    invitation = session.scalar(select(Invitation))
    assert invitation.email == "sam.patel@example.org" and invitation.role == OrgRole.CHAMPION
    assert invitation.site_id == org.sites[0].id and invitation.job_title == "Driver"
    assert abs(invitation.expires_at - utcnow() - timedelta(days=7)) < timedelta(minutes=1)
    [message] = emails(session)
    assert message.subject == "You have been invited – Workplace Champions"
    assert message.to_address == "sam.patel@example.org"
    token = link_in(message).rsplit("/", 1)[1]
    assert len(token) >= 43 and invitation.token_hash == hash_token(token) != token
    assert "abuse" not in message.body_text.lower() and "Mersey Movers" in message.body_text
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "invitation.sent"))
    assert event.details == {"role": "champion"} and event.target_id == invitation.id
    assert "sam" not in str(event.details).lower()


def test_invitation_links_come_from_base_url_not_the_request(hr, session, org) -> None:
    path = f"/organisations/{org.id}/champions/invite"
    hr.post(path, data={"csrf_token": csrf_token(hr, path), **INVITE,
                        "site": str(org.sites[0].id)},
            headers={"X-Forwarded-Host": "evil.example", "Forwarded": "host=evil.example"})
    assert "evil.example" not in emails(session)[0].body_text


@pytest.mark.parametrize(("overrides", "message"), [
    ({"email": "not an email"}, "Enter an email address in the correct format"),
    ({"email": "sam@example.org\r\nBcc: x@example.org"}, "Enter an email address"),
    ({"email": ""}, "Enter the champion’s work email address"),
    ({"full_name": ""}, "Enter the champion’s full name"),
    ({"full_name": "Sam\nPatel"}, "must be on one line"),
    ({"site": ""}, "Select the champion’s site"),
    ({"site": "999999"}, "Not a valid choice"),
    ({"job_title": "x" * 101}, "100 characters or fewer"),
])
def test_bad_invitations_are_refused_with_a_reason(hr, session, org, overrides, message) -> None:
    response = invite(hr, org, **overrides)
    assert response.status_code == 200 and message in response.get_data(as_text=True)
    assert count(session, Invitation) == 0 and emails(session) == []


def test_a_site_of_another_organisation_cannot_be_chosen(hr, session, org) -> None:
    other_site = make_site(session, make_member_organisation(session))
    session.commit()
    response = invite(hr, org, site=str(other_site.id))
    assert "Not a valid choice" in response.get_data(as_text=True)
    assert count(session, Invitation) == 0


def test_inviting_the_same_person_twice_is_refused(hr, session, org) -> None:
    invite(hr, org)
    again = invite(hr, org, email="SAM.PATEL@example.ORG")
    assert "You have already invited this person" in again.get_data(as_text=True)
    assert count(session, Invitation) == 1 and len(emails(session)) == 1


def test_inviting_a_current_member_is_refused(hr, session, org) -> None:
    make_user(session, organisation=org, role=OrgRole.CHAMPION, email="sam.patel@example.org")
    session.commit()
    response = invite(hr, org)
    assert "already has a role in your organisation" in response.get_data(as_text=True)


@pytest.mark.parametrize("status", [SchemeStatus.SUSPENDED, SchemeStatus.APPLIED,
                                    SchemeStatus.LAPSED])
def test_only_active_members_can_invite(signed_in, session, status) -> None:
    org = make_member_organisation(session, scheme_status=status)
    client = signed_in(make_user(session, organisation=org, role=OrgRole.HR_LEAD))
    page = client.get(f"/organisations/{org.id}/champions/invite").get_data(as_text=True)
    assert "once the organisation’s membership is approved" in page
    response = invite(client, org)
    assert "once the organisation’s membership is approved" in response.get_data(as_text=True)
    assert count(session, Invitation) == 0


def test_extra_fields_cannot_change_role_organisation_or_status(hr, session, org) -> None:
    other = make_member_organisation(session)
    session.commit()
    invite(hr, org, role="hr_lead", organisation_id=str(other.id), status="accepted",
           accepted_at="2020-01-01", is_coordinator="1", token_hash="x")
    invitation = session.scalar(select(Invitation))
    assert invitation.role == OrgRole.CHAMPION and invitation.organisation_id == org.id
    assert invitation.accepted_at is None and invitation.token_hash != "x"


def test_names_are_escaped_on_the_list_and_plain_in_the_email(hr, session, org) -> None:
    name = '<script>alert(1)</script> =SUM(A1)'
    invite(hr, org, full_name=name, job_title="<b>Boss</b>")
    html = hr.get(f"/organisations/{org.id}/champions").get_data(as_text=True)
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>Boss" not in html
    assert name in emails(session)[0].body_text


def test_invitations_are_listed_as_pending_expired_or_accepted(hr, session, org) -> None:
    for number in range(3):
        invite(hr, org, email=f"person{number}@example.org", full_name=f"Invitee {number}")
    invitations = session.scalars(select(Invitation).order_by(Invitation.id)).all()
    invitations[1].expires_at = utcnow() - timedelta(minutes=1)
    invitations[2].accepted_at = utcnow()
    session.commit()
    html = hr.get(f"/organisations/{org.id}/champions").get_data(as_text=True)
    assert tagged(html, "Pending") and tagged(html, "Expired") and tagged(html, "Accepted")
    assert html.count("Send again") == 2


def test_resending_makes_a_new_link_and_kills_the_old_one(hr, client, session, org) -> None:
    invite(hr, org)
    invitation = session.scalar(select(Invitation))
    old_link = link_in(emails(session)[0])
    response = post(hr, f"/organisations/{org.id}/invitations/{invitation.id}/resend")
    assert response.status_code == 303
    new_link = link_in(emails(session)[1])
    assert new_link != old_link
    assert client.get(old_link).status_code == 400
    assert client.get(new_link).status_code == 200


def test_resending_revives_an_expired_invitation(hr, client, session, org) -> None:
    invite(hr, org)
    with time_machine.travel(utcnow() + timedelta(days=7, minutes=1)):
        assert "has expired" in client.get(link_in(emails(session)[0])).get_data(as_text=True)
    invitation = session.scalar(select(Invitation))
    invitation.expires_at = utcnow() - timedelta(minutes=1)
    session.commit()
    post(hr, f"/organisations/{org.id}/invitations/{invitation.id}/resend")
    assert client.get(link_in(emails(session)[1])).status_code == 200


def test_an_invitation_can_be_resent_three_times_a_day(hr, session, org) -> None:
    invite(hr, org)
    invitation = session.scalar(select(Invitation))
    path = f"/organisations/{org.id}/invitations/{invitation.id}/resend"
    for _ in range(3):
        post(hr, path)
    response = post(hr, path)
    assert response.status_code == 303
    assert "3 times a day" in hr.get(response.headers["Location"]).get_data(as_text=True)
    assert len(emails(session)) == 4
    invitation.resend_day = utcnow().date() - timedelta(days=1)  # as if tomorrow had come
    session.commit()
    post(hr, path)
    assert len(emails(session)) == 5


def test_revoking_kills_the_link(hr, client, session, org) -> None:
    invite(hr, org)
    invitation = session.scalar(select(Invitation))
    response = post(hr, f"/organisations/{org.id}/invitations/{invitation.id}/revoke")
    assert response.status_code == 303
    page = client.get(link_in(emails(session)[0]))
    assert page.status_code == 400 and "This invitation has been withdrawn" in \
        page.get_data(as_text=True)
    again = post(hr, f"/organisations/{org.id}/invitations/{invitation.id}/revoke")
    assert "already been accepted or withdrawn" in hr.get(again.headers["Location"]) \
        .get_data(as_text=True)
    resend = post(hr, f"/organisations/{org.id}/invitations/{invitation.id}/resend")
    assert resend.status_code == 303 and len(emails(session)) == 1
    assert "Invitee" not in hr.get(f"/organisations/{org.id}/champions").get_data(as_text=True)
    # a revoked invitation no longer blocks a new one for the same person
    assert invite(hr, org).status_code == 303


def test_hr_leads_invite_hr_leads(hr, session, org) -> None:
    path = f"/organisations/{org.id}/hr-leads/invite"
    response = hr.post(path, data={"csrf_token": csrf_token(hr, path), "full_name": "Jo Lead",
                                   "email": "jo@example.org", "role": "champion",
                                   "site": str(org.sites[0].id)})
    assert response.status_code == 303
    invitation = session.scalar(select(Invitation))
    assert invitation.role == OrgRole.HR_LEAD and invitation.site_id is None
    assert "one of its HR leads" in emails(session)[0].body_text
    html = hr.get(f"/organisations/{org.id}").get_data(as_text=True)
    assert "Jo Lead" in html and "Send again" in html


def test_overview_shows_the_organisation_to_its_hr_lead(hr, session, org) -> None:
    html = hr.get(f"/organisations/{org.id}").get_data(as_text=True)
    for text in ("Mersey Movers", "Approved", "Head office", "See and invite champions",
                 "Invite another HR lead"):
        assert text in html, text
    dashboard = hr.get("/dashboard").get_data(as_text=True)
    assert f'href="/organisations/{org.id}"' in dashboard
