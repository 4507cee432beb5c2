"""The signposting card pages: who may see them, the PDF, and the HR lead's contact route."""

from __future__ import annotations

import io
from datetime import date

import pytest
from pypdf import PdfReader

from portal.models import AuditEvent, ElementStatus, OrgRole, PolicyElementRecord
from portal.services.policy_framework import policy_framework
from portal.services.signposting import NATIONAL_SERVICE_KEYS
from tests.conftest import csrf_token
from tests.factories import make_member_organisation, make_support_service, make_user


@pytest.fixture
def org(session):
    organisation = make_member_organisation(session, name="Halton <Homes> & Co")
    for key in NATIONAL_SERVICE_KEYS:
        make_support_service(session, key=key, name=f"Helpline {key}")
    for n in range(8):
        make_support_service(session, name=f"Liverpool service {n}", boroughs=["liverpool"],
                             hours="Monday to Friday, 9am to 5pm, and some evenings " * 3)
    for element in policy_framework().elements:
        session.add(PolicyElementRecord(organisation_id=organisation.id,
                                        element_key=element.key, status=ElementStatus.IN_PLACE,
                                        in_place_on=date(2026, 3, 1), review_on=date(2028, 3, 1)))
    session.commit()
    return organisation


def card_path(org) -> str:  # noqa: ANN001
    return f"/organisations/{org.id}/signposting-card"


@pytest.mark.parametrize("role", [OrgRole.HR_LEAD, OrgRole.CHAMPION])
def test_members_see_their_card(session, org, signed_in, role: OrgRole) -> None:
    client = signed_in(make_user(session, organisation=org, role=role))
    page = client.get(card_path(org))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<title>Signposting card – Workplace Champions</title>" in html
    assert "Halton &lt;Homes&gt; &amp; Co" in html
    assert "In an emergency, call 999" in html and "press 55" in html
    # The national set, then 5 local ones.
    assert html.count("class=\"portal-card__service\"") == 4 + 5
    for element in policy_framework().elements:
        assert element.staff_summary.replace("’", "&#39;")[:30] in html.replace("’", "&#39;")
    assert "1 March 2028" in html
    assert ("how staff can reach your champions</a>" in html) is (role == OrgRole.HR_LEAD)


def test_coordinators_see_any_card_and_other_employers_see_nothing(session, org,
                                                                   signed_in) -> None:
    coordinator = signed_in(make_user(session, is_coordinator=True))
    assert coordinator.get(card_path(org)).status_code == 200
    other = make_member_organisation(session)
    outsider = signed_in(make_user(session, organisation=other, role=OrgRole.HR_LEAD))
    assert outsider.get(card_path(org)).status_code == 404
    assert outsider.get(card_path(org) + "/pdf").status_code == 404
    assert outsider.get(card_path(org) + "/contact").status_code == 404


def test_the_pdf_is_one_neutral_page(session, org, signed_in) -> None:
    org.champion_contact = "champions@halton-homes.example"
    session.commit()
    client = signed_in(make_user(session, organisation=org, role=OrgRole.CHAMPION))
    response = client.get(card_path(org) + "/pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == 'attachment; filename="signposting-card.pdf"'
    pdf = PdfReader(io.BytesIO(response.data))
    # Everything on the card at its fullest (10 policy points, 9 services with long hours)
    # still fits on one sheet, under a neutral title.
    assert len(pdf.pages) == 1
    assert pdf.metadata.title == "Signposting card – Workplace Champions"


def test_hr_lead_sets_the_contact_route(session, org, signed_in) -> None:
    client = signed_in(make_user(session, organisation=org, role=OrgRole.HR_LEAD))
    path = card_path(org) + "/contact"
    assert "Add how staff can reach" in client.get(card_path(org)).get_data(as_text=True)
    response = client.post(path, data={"csrf_token": csrf_token(client, path),
                                       "champion_contact": "champions@halton-homes.example"})
    assert response.status_code == 303
    session.refresh(org)
    assert org.champion_contact == "champions@halton-homes.example"
    assert "champions@halton-homes.example" in client.get(card_path(org)).get_data(as_text=True)
    assert session.query(AuditEvent).filter_by(
        action="organisation.champion_contact_changed").count() == 1


@pytest.mark.parametrize(("typed", "message"), [
    ("Ring Sam on 07700 900123", "not a mobile number"),
    ("<b>champions</b>", "HTML is not allowed"),
    ("line one\nline two", "must be on one line"),
])
def test_bad_contact_routes_are_refused_and_kept_on_screen(session, org, signed_in, typed: str,
                                                           message: str) -> None:
    org.champion_contact = "champions@halton-homes.example"
    session.commit()
    client = signed_in(make_user(session, organisation=org, role=OrgRole.HR_LEAD))
    path = card_path(org) + "/contact"
    response = client.post(path, data={"csrf_token": csrf_token(client, path),
                                       "champion_contact": typed})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "There is a problem" in html and message in html
    assert "<b>champions</b>" not in html
    session.refresh(org)
    assert org.champion_contact == "champions@halton-homes.example"


def test_champions_cannot_change_the_contact_route(session, org, signed_in) -> None:
    client = signed_in(make_user(session, organisation=org, role=OrgRole.CHAMPION))
    assert client.get(card_path(org) + "/contact").status_code == 403


def test_an_empty_contact_route_with_none_saved_is_refused(session, org, signed_in) -> None:
    client = signed_in(make_user(session, organisation=org, role=OrgRole.HR_LEAD))
    path = card_path(org) + "/contact"
    response = client.post(path, data={"csrf_token": csrf_token(client, path),
                                       "champion_contact": "  "})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "There is a problem" in html and "Enter how staff can reach your champions" in html
    assert session.query(AuditEvent).filter_by(
        action="organisation.champion_contact_changed").count() == 0


def test_emptying_a_saved_contact_route_removes_it(session, org, signed_in) -> None:
    org.champion_contact = "champions@halton-homes.example"
    session.commit()
    client = signed_in(make_user(session, organisation=org, role=OrgRole.HR_LEAD))
    path = card_path(org) + "/contact"
    response = client.post(path, data={"csrf_token": csrf_token(client, path),
                                       "champion_contact": ""}, follow_redirects=True)
    assert "The contact route has been removed" in response.get_data(as_text=True)
    session.refresh(org)
    assert org.champion_contact is None
