"""Each role's journey with the steps issue 19 added, in Chromium, with axe on every page."""

from __future__ import annotations

from playwright.sync_api import Page

from tests.browser.conftest import LiveServer, assert_accessible

FOOTER_PAGES = {"Contact": "Contact us", "Accessibility statement":
                "Accessibility statement for Workplace Champions", "Privacy": "Privacy notice",
                "Cookies": "Cookies"}


def test_the_footer_pages_are_linked_from_every_page_and_accessible(
        page: Page, live_server: LiveServer) -> None:
    for link, heading in FOOTER_PAGES.items():
        page.goto(live_server.url + "/")
        page.locator("footer").get_by_role("link", name=link, exact=True).click()
        assert page.get_by_role("heading", level=1, name=heading).is_visible()
        assert_accessible(page)
