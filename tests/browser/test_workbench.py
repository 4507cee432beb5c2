"""The coordinator's workbench in a real browser: each work queue and its list, notes on an
organisation, the outbox's retry button and the catalogue's health page."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from portal.models import Module, ModuleVersion, Organisation
from tests.browser.conftest import LiveServer, assert_accessible
from tests.browser.test_layout import make_person, sign_in
from tests.factories import make_course, make_member_organisation
from tests.views.test_workbench import add_work, attempts

QUEUES = {
    "Applications to decide": "Applications",
    "Applications waiting more than 14 days": "Applications",
    "Policy evidence waiting for verification": "Policy evidence to verify",
    "Renewals due by": "Organisations",
    "Memberships lapsed since": "Organisations",
    "Policy reviews overdue": "Policy reviews overdue",
    "Emails that failed to send": "Email outbox",
    "Support services not checked for 6 months": "Services not checked for 6 months",
}


def as_coordinator(page: Page, server: LiveServer) -> None:
    sign_in(page, server, make_person(server, is_coordinator=True, full_name="Cora Ordinator"))
    page.wait_for_url(server.url + "/dashboard")


def test_each_work_queue_leads_to_its_list(page: Page, live_server: LiveServer) -> None:
    with live_server.db() as session:
        add_work(session)
    as_coordinator(page, live_server)
    queues = page.locator("#work-queues + dl")
    assert queues.locator(".govuk-summary-list__row").count() == len(QUEUES)
    assert_accessible(page)
    for label, heading in QUEUES.items():
        row = queues.locator(".govuk-summary-list__row", has_text=label)
        count = row.locator("dd").inner_text().split()[0]
        assert count == ("2" if label == "Applications to decide" else "1"), label
        with page.expect_navigation():
            row.get_by_role("link").click()
        expect(page.get_by_role("heading", level=1, name=heading), label).to_be_visible()
        assert_accessible(page)
        page.go_back()


def test_notes_on_an_organisation(page: Page, live_server: LiveServer) -> None:
    with live_server.db() as session:
        organisation_id = make_member_organisation(session, name="Knowsley Kilns").id
        session.commit()
    as_coordinator(page, live_server)
    page.goto(f"{live_server.url}/coordinator/organisations/{organisation_id}")
    with page.expect_navigation():
        page.get_by_role("link", name="Read and add notes about Knowsley Kilns").click()
    expect(page.get_by_text("Never write anything about any person’s situation")).to_be_visible()
    assert_accessible(page)
    with page.expect_navigation():
        page.get_by_role("button", name="Add note").click()
    assert page.title().startswith("Error: ")
    expect(page.get_by_role("link", name="Select what kind of contact it was")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Meeting").check()
    page.get_by_label("Note", exact=True).fill("Met the HR lead; agreed a poster campaign.")
    with page.expect_navigation():
        page.get_by_role("button", name="Add note").click()
    expect(page.get_by_text("Met the HR lead; agreed a poster campaign.")).to_be_visible()
    expect(page.get_by_text("by Cora Ordinator")).to_be_visible()
    assert_accessible(page)
    with live_server.db() as session:
        assert session.get(Organisation, organisation_id) is not None


def test_a_failed_email_is_sent_again_from_the_outbox(page: Page,
                                                     live_server: LiveServer) -> None:
    with live_server.db() as session:
        add_work(session)
    as_coordinator(page, live_server)
    page.goto(live_server.url + "/coordinator/outbox?status=failed")
    expect(page.get_by_text("550 mailbox unavailable")).to_be_visible()
    assert page.get_by_text("Private text of the message").count() == 0
    assert_accessible(page)
    with page.expect_navigation():
        page.get_by_role("button", name="Send again to failed@example.org").click()
    expect(page.get_by_text("The email is queued to be sent again.")).to_be_visible()
    expect(page.get_by_text("There are no emails with this status.")).to_be_visible()
    assert_accessible(page)


def test_the_catalogues_health(page: Page, live_server: LiveServer) -> None:
    with live_server.db() as session:
        course = make_course(session, title="Champions’ essentials")
        module = Module(key="listening", course_id=course.id)
        session.add(module)
        session.flush()
        version = ModuleVersion(module_id=module.id, version=1, content_hash="c" * 64,
                                title="Listening well", body_html="", pass_mark=80,
                                questions=[])
        session.add(version)
        session.flush()
        module.current_version_id = version.id
        attempts(session, version, 6, tries=2)
        session.commit()
    as_coordinator(page, live_server)
    with page.expect_navigation():
        page.get_by_role("link", name="Catalogue health").click()
    table = page.get_by_role("table", name="Listening well")
    expect(table.get_by_text("cccccccccccc")).to_be_visible()
    expect(table.get_by_text("50%")).to_be_visible()
    assert_accessible(page)


def test_the_board_report(page: Page, live_server: LiveServer) -> None:
    from portal import clock
    from portal.services.board_report import last_complete_quarter
    from tests.views.test_board_report import scheme
    period = last_complete_quarter(clock.today())
    with live_server.db() as session:
        scheme(session, period, champions=7)
    as_coordinator(page, live_server)
    with page.expect_navigation():
        page.get_by_role("link", name="Board report").click()
    expect(
        page.get_by_role("heading", level=1, name=f"Board report: {period.label}"),
    ).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Period").select_option(period.year_earlier().key)
    with page.expect_navigation():
        page.get_by_role("button", name="Show report").click()
    expect(
        page.get_by_role("heading", level=1,
                            name=f"Board report: {period.year_earlier().label}"),
    ).to_be_visible()
    assert_accessible(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download this report (PDF)").click()
    assert download.value.suggested_filename == "board-report.pdf"
