"""The signposting card in a real browser: accessible on screen, alone on one A4 sheet in print."""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import Page, expect

from portal import clock
from portal.models import ElementStatus, OrgRole, PolicyElementRecord
from portal.services.policy_framework import policy_framework
from portal.services.signposting import NATIONAL_SERVICE_KEYS
from tests.browser.conftest import LiveServer, assert_accessible
from tests.browser.printing import assert_prints_alone
from tests.browser.test_layout import sign_in
from tests.factories import make_member_organisation, make_support_service, make_user


def full_card(server: LiveServer) -> tuple[int, str]:
    """An organisation whose card is as full as it gets, and its HR lead's e-mail address."""
    with server.db() as session:
        organisation = make_member_organisation(session, name="Halton Homes",
                                                champion_contact="champions@example.org")
        for key in NATIONAL_SERVICE_KEYS:
            make_support_service(session, key=key, name=f"Helpline {key}", open_24_hours=True)
        for n in range(6):
            make_support_service(session, name=f"Liverpool service {n}", boroughs=["liverpool"],
                                 hours="Monday to Friday, 9am to 5pm; Saturday 10am to 2pm")
        for element in policy_framework().elements:
            session.add(PolicyElementRecord(
                organisation_id=organisation.id, element_key=element.key,
                status=ElementStatus.IN_PLACE, in_place_on=clock.today() - timedelta(days=270),
                review_on=clock.today() + timedelta(days=450)))
        hr_lead = make_user(session, organisation=organisation, role=OrgRole.HR_LEAD)
        session.commit()
        return organisation.id, hr_lead.email


def test_the_card_is_accessible_and_prints_alone_on_one_sheet(page: Page,
                                                            live_server: LiveServer) -> None:
    org_id, email = full_card(live_server)
    sign_in(page, live_server, email)
    page.goto(f"{live_server.url}/organisations/{org_id}/signposting-card")
    expect(page.get_by_role("heading", name="Where to get help")).to_be_visible()
    expect(page.get_by_text("champions@example.org")).to_be_visible()
    assert_accessible(page)
    assert_prints_alone(page, "Print the card", "In an emergency, call 999")

    page.emulate_media(media="print")
    printed = page.pdf(format="A4", print_background=True)
    assert len(re.findall(rb"/Type\s*/Page\b", printed)) == 1


def test_the_card_works_without_javascript(browser, live_server: LiveServer) -> None:  # noqa: ANN001
    org_id, email = full_card(live_server)
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    sign_in(page, live_server, email)
    page.goto(f"{live_server.url}/organisations/{org_id}/signposting-card")
    # Printing from the button needs JavaScript, so without it there is no button; the PDF is
    # still there.
    expect(page.get_by_role("button", name="Print the card")).not_to_be_visible()
    expect(page.get_by_role("button", name="Download the card (PDF)")).to_be_visible()
    page.goto(f"{live_server.url}/organisations/{org_id}/signposting-card/contact")
    page.get_by_label("How can staff reach your Workplace Champions at work?").fill(
        "Call 07700 900123")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("not a mobile number").first).to_be_visible()
    page.get_by_label("How can staff reach your Workplace Champions at work?").fill(
        "Intranet: search Champions")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Intranet: search Champions")).to_be_visible()
    context.close()
