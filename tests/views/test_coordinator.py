"""Coordinators: the applications queue, approve and decline with e-mail, status changes, audit."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.models import AuditEvent, Organisation, OrgRole, OutboxMessage, SchemeStatus, utcnow
from tests.conftest import csrf_token, visible_text
from tests.factories import make_application, make_member_organisation, make_user

S = SchemeStatus


@pytest.fixture
def coordinator_client(session, signed_in):
    return signed_in(make_user(session, is_coordinator=True, full_name="Dana Coordinator"))


def outbox(session) -> list[OutboxMessage]:
    session.expire_all()
    return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def post(client, path: str, data: dict | None = None, token_path: str = "/dashboard"):  # noqa: ANN201
    return client.post(path, data={"csrf_token": csrf_token(client, token_path), **(data or {})})


def test_queue_lists_confirmed_applications_oldest_first_with_age(coordinator_client,
                                                                  session) -> None:
    now = utcnow()
    make_application(session, name="Newest Bakery", submitted_at=now)
    make_application(session, name="Oldest Garage", submitted_at=now - timedelta(days=4))
    make_application(session, name="Unconfirmed Florist", confirmed=False)
    make_member_organisation(session, name="Member Pharmacy")
    session.commit()
    html = coordinator_client.get("/coordinator/applications").get_data(as_text=True)
    assert html.index("Oldest Garage") < html.index("Newest Bakery")
    assert "4 days" in html and "Less than a day" in html
    assert "Unconfirmed Florist" not in html and "Member Pharmacy" not in html
    assert "2 waiting for a decision" in html


def test_possible_duplicates_are_flagged_in_the_queue_and_on_the_page(coordinator_client,
                                                                      session) -> None:
    existing = make_member_organisation(session, name="Halton Haulage Ltd")
    duplicate, _ = make_application(session, name="HALTON HAULAGE LIMITED")
    session.commit()
    html = coordinator_client.get("/coordinator/applications").get_data(as_text=True)
    assert "Possible duplicate" in html
    page = coordinator_client.get(f"/coordinator/organisations/{duplicate.id}") \
        .get_data(as_text=True)
    assert "This may be a duplicate" in page
    assert f'href="/coordinator/organisations/{existing.id}"' in page


def test_application_page_shows_details_sites_commitment_and_applicant(coordinator_client,
                                                                       session) -> None:
    organisation, applicant = make_application(session, name="Sefton Sawmills",
                                               registered_number="01234567")
    session.commit()
    html = coordinator_client.get(f"/coordinator/organisations/{organisation.id}") \
        .get_data(as_text=True)
    for text in ("Sefton Sawmills", "01234567", "Private sector", "Head office", "Liverpool",
                 "Alex Signer, Director", applicant.email, "Approve application",
                 "Decline application"):
        assert text in html, text


def test_approving_emails_the_applicant_and_leaves_the_queue(coordinator_client, session) -> None:
    organisation, applicant = make_application(session)
    session.commit()
    response = post(coordinator_client, f"/coordinator/organisations/{organisation.id}/approve")
    assert response.status_code == 303
    assert response.headers["Location"] == "/coordinator/applications"
    session.expire_all()
    organisation = session.get(Organisation, organisation.id)
    assert organisation.scheme_status == S.APPROVED and organisation.renewal_due_on is not None
    [message] = outbox(session)
    assert message.to_address == applicant.email
    assert message.subject == "Your application – Workplace Champions"
    assert "is now a member" in message.body_text and "https://portal.test/sign-in" in \
        message.body_text
    html = coordinator_client.get("/coordinator/applications").get_data(as_text=True)
    assert "no applications waiting" in html


def test_approving_twice_sends_one_email(coordinator_client, session) -> None:
    organisation, _ = make_application(session)
    session.commit()
    post(coordinator_client, f"/coordinator/organisations/{organisation.id}/approve")
    again = post(coordinator_client, f"/coordinator/organisations/{organisation.id}/approve")
    assert again.status_code == 303
    assert len(outbox(session)) == 1


def test_unconfirmed_applications_cannot_be_approved(coordinator_client, session) -> None:
    organisation, _ = make_application(session, confirmed=False)
    session.commit()
    page = coordinator_client.get(f"/coordinator/organisations/{organisation.id}")
    assert "has not confirmed their email address" in page.get_data(as_text=True)
    assert "Approve application" not in page.get_data(as_text=True)
    post(coordinator_client, f"/coordinator/organisations/{organisation.id}/approve")
    session.expire_all()
    assert session.get(Organisation, organisation.id).scheme_status == S.APPLIED
    assert outbox(session) == []


def test_declining_needs_a_reason_and_emails_it(coordinator_client, session) -> None:
    organisation, applicant = make_application(session)
    session.commit()
    path = f"/coordinator/organisations/{organisation.id}/decline"
    missing = post(coordinator_client, path, {}, token_path=path)
    assert missing.status_code == 200 and "Select a reason" in missing.get_data(as_text=True)
    response = post(coordinator_client, path, {"reason": "outside_area",
                                               "message": "We cover Merseyside only."},
                    token_path=path)
    assert response.status_code == 303
    session.expire_all()
    organisation = session.get(Organisation, organisation.id)
    assert organisation.scheme_status == S.DECLINED and organisation.status_reason == "outside_area"
    [message] = outbox(session)
    assert message.to_address == applicant.email
    assert "outside the scheme’s area" in message.body_text
    assert "We cover Merseyside only." in message.body_text


def test_decline_explanation_is_limited_in_length(coordinator_client, session) -> None:
    organisation, _ = make_application(session)
    session.commit()
    path = f"/coordinator/organisations/{organisation.id}/decline"
    response = post(coordinator_client, path, {"reason": "other", "message": "x" * 501},
                    token_path=path)
    assert "500 characters or fewer" in response.get_data(as_text=True)
    assert outbox(session) == []


@pytest.mark.parametrize(("action", "reason", "status"), [
    ("suspend", "commitment_not_kept", S.SUSPENDED),
    ("withdraw", "organisation_asked", S.WITHDRAWN),
])
def test_suspend_and_withdraw_email_the_hr_leads(coordinator_client, session, action, reason,
                                                 status) -> None:
    organisation = make_member_organisation(session)
    hr_lead = make_user(session, organisation=organisation, role=OrgRole.HR_LEAD)
    make_user(session, organisation=organisation, role=OrgRole.CHAMPION)
    session.commit()
    path = f"/coordinator/organisations/{organisation.id}/{action}"
    assert post(coordinator_client, path, {"reason": reason}, token_path=path) \
        .status_code == 303
    session.expire_all()
    assert session.get(Organisation, organisation.id).scheme_status == status
    [message] = outbox(session)
    assert message.to_address == hr_lead.email
    assert message.subject == "Your membership – Workplace Champions"


def test_reinstating_a_suspended_membership(coordinator_client, session) -> None:
    organisation = make_member_organisation(session, scheme_status=S.SUSPENDED)
    make_user(session, organisation=organisation, role=OrgRole.HR_LEAD)
    session.commit()
    page = coordinator_client.get(f"/coordinator/organisations/{organisation.id}")
    assert "Reinstate membership" in page.get_data(as_text=True)
    post(coordinator_client, f"/coordinator/organisations/{organisation.id}/reinstate")
    session.expire_all()
    assert session.get(Organisation, organisation.id).scheme_status == S.APPROVED
    assert "reinstated" in outbox(session)[0].body_text


def test_audit_trail_lists_who_did_what_and_records_the_viewing(coordinator_client,
                                                                session) -> None:
    organisation, _ = make_application(session)
    session.commit()
    post(coordinator_client, f"/coordinator/organisations/{organisation.id}/approve")
    html = coordinator_client.get(f"/coordinator/organisations/{organisation.id}/audit") \
        .get_data(as_text=True)
    assert "Application approved" in html and "Dana Coordinator" in html
    viewed = session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "organisation.audit_viewed"))
    assert viewed == 1


def test_organisation_list_filters_by_status_and_name(coordinator_client, session) -> None:
    make_member_organisation(session, name="Knowsley Kitchens")
    make_member_organisation(session, name="Wirral Windows", scheme_status=S.SUSPENDED)
    session.commit()
    html = coordinator_client.get("/coordinator/organisations?status=suspended") \
        .get_data(as_text=True)
    assert "Wirral Windows" in html and "Knowsley Kitchens" not in html
    html = coordinator_client.get("/coordinator/organisations?search=kitchens&status=nonsense") \
        .get_data(as_text=True)
    assert "Knowsley Kitchens" in html and "Wirral Windows" not in html
    assert coordinator_client.get("/coordinator/organisations?page=x%00").status_code == 200


def test_organisation_list_pages_link_by_keyset_and_keep_the_search(coordinator_client,
                                                                     session) -> None:
    for number in range(120):
        make_member_organisation(session, name=f"Org {number:03d}",
                                 scheme_status=S.SUSPENDED if number % 2 else S.APPROVED)
    session.commit()
    path = "/coordinator/organisations?status=approved"
    first = coordinator_client.get(path).get_data(as_text=True)
    assert "60 organisations, page 1 of 2" in visible_text(first)
    # Next: after the last organisation shown, keeping the filters; the last page by number.
    last_shown = re.findall(r'href="/coordinator/organisations/(\d+)"', first)[-1]
    assert f"status=approved&amp;after={last_shown}&amp;page=2" not in first  # 2 is the last
    assert "status=approved&amp;page=2" in first
    second = coordinator_client.get(f"{path}&after={last_shown}&page=2").get_data(as_text=True)
    assert "page 2 of 2" in visible_text(second)
    assert "Org 100" in second and "Org 098" not in second and "Org 101" not in second
    first_shown = re.findall(r'href="/coordinator/organisations/(\d+)"', second)[0]
    back = coordinator_client.get(f"{path}&before={first_shown}").get_data(as_text=True)
    assert "page 1 of 2" in visible_text(back) and "Org 000" in back and "Org 100" not in back


@pytest.mark.parametrize("link", ["after=abc", "before=999999999", "after=-1", "after=1%00",
                                  "before=" + "9" * 40, "after=5&before=6&page=zz"])
def test_an_out_of_date_or_broken_page_link_gives_the_first_page(coordinator_client, session,
                                                                link) -> None:
    make_member_organisation(session, name="Knowsley Kitchens")
    session.commit()
    response = coordinator_client.get(f"/coordinator/organisations?{link}")
    assert response.status_code == 200
    text = visible_text(response.get_data(as_text=True))
    assert "Knowsley Kitchens" in text


@pytest.mark.parametrize("role", [OrgRole.HR_LEAD, OrgRole.CHAMPION])
def test_coordinator_pages_are_not_found_for_everybody_else(signed_in, session, role) -> None:
    organisation, _ = make_application(session)
    client = signed_in(make_user(session, organisation=organisation, role=role))
    for path in ("/coordinator/applications", "/coordinator/organisations",
                 f"/coordinator/organisations/{organisation.id}",
                 f"/coordinator/organisations/{organisation.id}/audit"):
        assert client.get(path).status_code == 404, path
    response = post(client, f"/coordinator/organisations/{organisation.id}/approve")
    assert response.status_code == 404
    session.expire_all()
    assert session.get(Organisation, organisation.id).scheme_status == S.APPLIED
