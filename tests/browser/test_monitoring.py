"""Monitoring in a real browser: the dashboard and its filters, the organisations list, the
downloads and password confirmation, and the public member list, each with zero axe violations
(acceptance 4)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from portal import clock
from portal.models import utcnow
from portal.services import monitoring
from portal.services.monitoring_filters import Filters
from tests.browser.conftest import LiveServer, assert_accessible
from tests.browser.test_layout import sign_in
from tests.factories import DEFAULT_PASSWORD
from tests.monitoring_data import NOW, build_fixed_data


@pytest.fixture(autouse=True)
def portal_on_the_data_sets_day() -> Iterator[None]:
    """The fixed data set's figures are worked out for its day: the portal (and its live server,
    a thread of this process) lives on that day, while the browser keeps real time."""
    with clock.travel(NOW):
        yield


def add_scheme(server: LiveServer) -> str:
    """The fixed data set of tests/monitoring_data; returns the coordinator's e-mail address."""
    with server.db() as session:
        return build_fixed_data(session).coordinator.email


def submit(page: Page, button: str) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name=button).click()


def follow(page: Page, link: str) -> None:
    with page.expect_navigation():
        page.locator("main").get_by_role("link", name=link, exact=True).click()


def glance(page: Page, label: str) -> str:
    row = page.locator(".govuk-summary-list__row", has=page.get_by_text(label, exact=True))
    return row.locator(".govuk-summary-list__value").inner_text().strip()


def test_dashboard_and_its_filters(page: Page, live_server: LiveServer) -> None:
    sign_in(page, live_server, add_scheme(live_server))
    page.wait_for_url(live_server.url + "/dashboard")
    follow(page, "Scheme dashboard")
    expect(page.get_by_role("heading", name="Scheme dashboard", level=1)).to_be_visible()
    assert glance(page, "Member organisations") == "3"
    # Counts of people are rounded by their records' random keys, and overdue training depends
    # on today's date: the page shows what the service works out now.
    with live_server.db() as session:
        headline = monitoring.dashboard(session, Filters(), utcnow()).headline
    assert headline.champions.value == 21
    assert glance(page, "Champions") == headline.champions.text
    assert glance(page, "Champions with overdue training") == headline.overdue.text
    chart = page.get_by_role("img", name="Champions by borough")
    assert chart.count() == 1
    assert "Knowsley, fewer than 5" in chart.locator("desc").text_content()
    assert_accessible(page)

    page.get_by_text("Filter the dashboard").click()
    page.get_by_label("Borough", exact=True).select_option("liverpool")
    page.get_by_label("Sector", exact=True).select_option("private")
    submit(page, "Apply filters")
    assert "borough=liverpool" in page.url and "sector=private" in page.url
    expect(page.get_by_text("Borough: Liverpool")).to_be_visible()
    assert glance(page, "Member organisations") == "1"
    assert glance(page, "Employees covered") == "30"
    assert_accessible(page)

    page.reload()  # a bookmarked or shared view shows the same figures
    assert glance(page, "Employees covered") == "30"

    page.goto(live_server.url + "/coordinator/dashboard?from-day=31&from-month=2&from-year=2026")
    assert page.title().startswith("Error: ")
    expect(page.get_by_role("link", name="Applied from must be a real date")).to_be_visible()
    assert_accessible(page)


def test_organisations_list_and_downloads(page: Page, live_server: LiveServer) -> None:
    sign_in(page, live_server, add_scheme(live_server))
    page.wait_for_url(live_server.url + "/dashboard")
    page.goto(live_server.url + "/coordinator/organisations")
    assert_accessible(page)
    page.get_by_label("Organisation name or number").fill("alder")
    page.get_by_label("Sort by").select_option("employees")
    submit(page, "Apply filters")
    assert "search=alder" in page.url
    expect(page.get_by_role("link", name="Alder Foods", exact=True)).to_be_visible()
    assert page.get_by_role("link", name="Birch Council").count() == 0
    assert_accessible(page)

    page.goto(live_server.url + "/coordinator/exports?sector=private")
    assert_accessible(page)
    follow(page, "Download the champions and their training (CSV)")
    expect(page.get_by_role("heading", name="Confirm your password")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Password", exact=True).fill("not my password at all")
    submit(page, "Confirm")
    assert page.title().startswith("Error: ")
    assert_accessible(page)
    page.get_by_label("Password", exact=True).fill(DEFAULT_PASSWORD)
    submit(page, "Confirm")
    assert page.url == live_server.url + "/coordinator/exports?sector=private"
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the champions and their training (CSV)") \
            .click()
    assert download.value.suggested_filename.startswith("workplace-champions-champions-")


def test_public_member_list(page: Page, live_server: LiveServer) -> None:
    add_scheme(live_server)
    page.goto(live_server.url + "/")
    follow(page, "member organisations")
    assert page.get_by_role("rowheader").all_inner_texts() == ["Alder Foods", "Birch Council"]
    assert_accessible(page)
    page.get_by_label("Organisation name").fill("birch")
    submit(page, "Search")
    assert page.get_by_role("rowheader").all_inner_texts() == ["Birch Council"]
    assert_accessible(page)

    follow(page, "check a membership")
    page.get_by_label("Organisation name, or Companies House or charity number") \
        .fill("Cedar Charity")
    submit(page, "Check membership")
    expect(
        page.get_by_role("heading", name="This organisation is a current member"),
    ).to_be_visible()
    assert_accessible(page)
