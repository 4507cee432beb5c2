"""The support directory in a real browser: search, filters, print, no JavaScript, coordinators."""

from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import LiveServer, assert_accessible
from tests.browser.test_layout import make_person, sign_in
from tests.factories import make_support_service


def add_services(server: LiveServer) -> None:
    """A fixed set of services for the expectations below."""
    with server.db() as session:
        make_support_service(session, name="National Helpline", summary="Support day or night.",
                             website="https://www.example.org/", open_24_hours=True,
                             hours="24 hours a day")
        make_support_service(session, name="Knowsley Outreach", summary="Advice in Knowsley.",
                             phone="0151 443 2610", boroughs=["knowsley"],
                             categories=["domestic-abuse", "men"])
        make_support_service(session, name="Wirral Honour Project",
                             summary="Forced marriage advice.", boroughs=["wirral"],
                             categories=["forced-marriage-honour"], email="help@example.org",
                             last_checked_at=date(2025, 1, 1))
        session.commit()


def submit(page: Page, button: str = "Search") -> None:
    with page.expect_navigation():
        page.get_by_role("button", name=button).click()


def follow(page: Page, link: str) -> None:
    with page.expect_navigation():
        page.get_by_role("link", name=link).click()


def card_titles(page: Page) -> list[str]:
    return [title.strip() for title in
            page.locator(".govuk-summary-card__title").all_inner_texts()]


def test_search_and_filters(page: Page, live_server: LiveServer) -> None:
    add_services(live_server)
    page.goto(live_server.url + "/support")
    expect(page.get_by_role("heading", name="In an emergency, call 999")).to_be_visible()
    assert card_titles(page) == ["Knowsley Outreach", "National Helpline",
                                 "Wirral Honour Project"]
    assert_accessible(page)

    page.get_by_label("Search words").fill("forced marriage")
    submit(page)
    assert card_titles(page) == ["Wirral Honour Project"]
    assert "q=forced+marriage" in page.url
    assert_accessible(page)

    page.get_by_label("Search words").fill("")
    page.get_by_label("Area").select_option("knowsley")
    page.get_by_label("Men", exact=True).check()
    submit(page)
    assert card_titles(page) == ["Knowsley Outreach"]
    expect(page.get_by_text("Area: Knowsley. National services are included.")).to_be_visible()
    expect(page.locator("a[href='tel:01514432610']")).to_be_visible()
    assert_accessible(page)

    page.get_by_label("Men", exact=True).uncheck()
    submit(page)
    assert card_titles(page) == ["Knowsley Outreach", "National Helpline"]

    page.get_by_label("Search words").fill("no such words at all")
    submit(page)
    expect(page.get_by_text("No services match")).to_be_visible()
    assert card_titles(page) == []
    assert_accessible(page)


def test_search_errors_are_accessible(page: Page, live_server: LiveServer) -> None:
    add_services(live_server)
    page.goto(live_server.url + "/support?q=" + "x" * 101 + "&borough=atlantis")
    assert page.title().startswith("Error: ")
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    assert_accessible(page)


def test_print_view_hides_the_controls_and_keeps_the_services(page: Page,
                                                              live_server: LiveServer) -> None:
    add_services(live_server)
    page.goto(live_server.url + "/support")
    page.emulate_media(media="print")
    expect(page.locator(".portal-support-filters")).not_to_be_visible()
    expect(page.locator(".govuk-exit-this-page")).not_to_be_visible()
    expect(page.locator(".govuk-service-navigation")).not_to_be_visible()
    expect(page.get_by_role("heading", name="In an emergency, call 999")).to_be_visible()
    assert card_titles(page) == ["Knowsley Outreach", "National Helpline",
                                 "Wirral Honour Project"]
    results = page.locator(".portal-support-results").bounding_box()
    main = page.locator("main").bounding_box()
    assert results and main and results["width"] > 0.95 * main["width"]
    # A web address prints as itself; any other outside link prints its address after it.
    expect(page.get_by_role("link", name="www.example.org")).to_be_visible()
    page.evaluate("""() => {
        const link = document.createElement("a");
        link.href = "https://www.example.org/advice";
        link.textContent = "advice";
        link.id = "printed-link";
        document.querySelector("main").append(link);
    }""")
    after = page.evaluate(
        "() => getComputedStyle(document.getElementById('printed-link'), '::after').content")
    assert "https://www.example.org/advice" in after
    address_after = page.evaluate(
        "() => getComputedStyle(document.querySelector('.portal-link--address'), '::after')"
        ".content")
    assert address_after in ("none", "normal")
    assert_accessible(page)


def test_the_directory_works_without_javascript(browser: Browser,
                                                live_server: LiveServer) -> None:
    add_services(live_server)
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server.url + "/support")
    page.get_by_label("Area").select_option("wirral")
    page.get_by_label("Forced marriage and ‘honour’-based abuse").check()
    submit(page)
    assert card_titles(page) == ["Wirral Honour Project"]
    assert "borough=wirral" in page.url and "category=forced-marriage-honour" in page.url
    context.close()


@pytest.mark.slow
def test_coordinators_keep_the_directory_current(page: Page, live_server: LiveServer) -> None:
    add_services(live_server)
    sign_in(page, live_server, make_person(live_server, is_coordinator=True))
    page.wait_for_url(live_server.url + "/dashboard")
    with page.expect_navigation():
        page.get_by_role("navigation", name="Menu").get_by_role(
            "link", name="Directory", exact=True).click()
    expect(page.get_by_role("heading", name="Support directory")).to_be_visible()
    assert_accessible(page)

    follow(page, "1 service has not been checked for 6 months")
    expect(page.get_by_role("cell", name="Wirral Honour Project", exact=True)).to_be_visible()
    assert_accessible(page)
    submit(page, "Mark as checked")
    expect(
        page.get_by_text("Wirral Honour Project has been marked as checked today"),
    ).to_be_visible()
    assert_accessible(page)

    page.goto(live_server.url + "/coordinator/support-services/new")
    page.get_by_label("Name", exact=True).fill("Sefton Line")
    page.get_by_label("Summary").fill("<b>Advice</b>")
    page.get_by_label("Website (optional)").fill("javascript:alert(1)")
    submit(page, "Save service")
    assert page.title().startswith("Error: ")
    expect(
        page.get_by_role("link", name="Enter a website address that starts with https://, "
                                         "like https://www.example.org"),
    ).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Summary").fill("Advice for Sefton.")
    page.get_by_label("Website (optional)").fill("https://www.example.org/sefton")
    page.get_by_label("Sefton").check()
    page.get_by_label("Domestic abuse").check()
    submit(page, "Save service")
    expect(page.get_by_text("Sefton Line has been added to the directory")).to_be_visible()

    follow(page, "Sefton Line")
    assert_accessible(page)
    follow(page, "Retire this service")
    assert_accessible(page)
    submit(page, "Retire service")
    expect(page.get_by_text("Sefton Line has been retired")).to_be_visible()
    page.goto(live_server.url + "/support?q=sefton")
    assert card_titles(page) == []
