"""Policy adoption in a real browser: record an element with a document, verify it; axe on every
page, including the error states."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from portal.models import OrgRole
from tests.browser.conftest import LiveServer
from tests.browser.test_joining import click, go, sign_in, sign_out
from tests.factories import DEFAULT_PASSWORD, make_member_organisation, make_user, pdf_document

PDF = pdf_document()


def seed(server: LiveServer) -> tuple[int, str, str]:
    with server.db() as session:
        organisation = make_member_organisation(session, name="Halton Homes")
        hr = make_user(session, organisation=organisation, role=OrgRole.HR_LEAD)
        coordinator = make_user(session, is_coordinator=True)
        session.commit()
        return organisation.id, hr.email, coordinator.email


def test_record_upload_verify_and_return_with_zero_axe_violations(page: Page,
                                                                   live_server) -> None:
    org_id, hr, coordinator = seed(live_server)
    sign_in(page, live_server, hr, DEFAULT_PASSWORD)
    go(page, live_server, f"/organisations/{org_id}/policy")
    click(page, "link", "Read and download the model policy")
    click(page, "link", "Policy framework")
    click(page, "link", "Written policy approved by leadership")
    page.get_by_label("In place").check()
    click(page, "button", "Save")  # no date, no evidence: the error summary is checked too
    assert page.title().startswith("Error: ")
    page.get_by_label("Day").first.fill("3")
    page.get_by_label("Month").first.fill("2")
    page.get_by_label("Year").first.fill("2026")
    page.get_by_label("Evidence note").fill("Board minute 14/3 approved the policy.")
    page.set_input_files("#document", files=[{"name": "board-policy.pdf",
                                              "mimeType": "application/pdf", "buffer": PDF}])
    click(page, "button", "Save")
    expect(page.get_by_text("Written policy approved by leadership: saved")).to_be_visible()
    click(page, "link", "Written policy approved by leadership")
    expect(page.get_by_role("link", name="board-policy.pdf").first).to_be_visible()
    sign_out(page, live_server)

    sign_in(page, live_server, coordinator, DEFAULT_PASSWORD)
    go(page, live_server, "/coordinator/policy")
    click(page, "link", "Written policy approved by leadership for Halton Homes")
    click(page, "button", "Return to the organisation")  # no comment: an error
    assert page.title().startswith("Error: ")
    click(page, "button", "Verify")
    expect(page.get_by_text("Nothing is waiting to be verified")).to_be_visible()
    go(page, live_server, f"/coordinator/organisations/{org_id}")
    expect(page.get_by_text("1 of 10 elements in place, 1 verified")).to_be_visible()
