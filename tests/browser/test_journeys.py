"""Each role's journey with the steps issue 19 added, in Chromium, with axe on every page."""

from __future__ import annotations

import time
from datetime import timedelta
from urllib.parse import urlsplit

from playwright.sync_api import Page

from tests.browser.conftest import LiveServer, assert_accessible
from tests.browser.test_layout import sign_in
from tests.browser.test_training import answer_quiz, setup_champion
from tests.factories import DEFAULT_PASSWORD

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


def shorten_the_idle_limit(server: LiveServer, *, limit: int, warn: int) -> None:
    """The idle limit is read from configuration on every request, so a test can shorten it."""
    server.app.config["SESSION_IDLE_LIMIT"] = timedelta(seconds=limit)
    server.app.config["SESSION_TIMEOUT_WARNING"] = timedelta(seconds=warn)


def test_the_timeout_warning_appears_and_staying_signed_in_extends_the_session(
        page: Page, live_server: LiveServer) -> None:
    email, _ = setup_champion(live_server)
    sign_in(page, live_server, email)
    shorten_the_idle_limit(live_server, limit=20, warn=15)
    page.goto(live_server.url + "/training")
    signed_in_at = time.monotonic()
    dialog = page.get_by_role("dialog", name="You’re about to be signed out")
    dialog.wait_for(state="visible", timeout=12_000)
    assert "You will be signed out in" in page.locator("[data-timeout-announce]").inner_text()
    assert page.locator(".portal-timeout__countdown").inner_text().endswith("seconds")
    assert_accessible(page)

    page.get_by_role("button", name="Stay signed in").click()
    dialog.wait_for(state="hidden")
    # Past the moment the first session would have ended: still signed in.
    time.sleep(max(0.0, 22 - (time.monotonic() - signed_in_at)))
    page.goto(live_server.url + "/training")
    assert urlsplit(page.url).path == "/training"

    # Doing nothing: the warning comes back and the person is signed out at zero, told why,
    # and offered the way back to where they were.
    page.get_by_role("heading", name="You have been signed out").wait_for(timeout=25_000)
    assert urlsplit(page.url).path == "/session/ended"
    assert_accessible(page)
    page.goto(live_server.url + "/training")
    assert urlsplit(page.url).path == "/sign-in"


def test_quiz_answers_survive_being_signed_out(page: Page, live_server: LiveServer) -> None:
    email, modules = setup_champion(live_server)
    sign_in(page, live_server, email)
    page.goto(f"{live_server.url}/training/modules/{modules['first-module']}")
    page.get_by_role("button", name="Start the quiz").click()
    page.wait_for_url("**/training/attempts/*")
    quiz_path = urlsplit(page.url).path
    first = page.locator("input[name='question-1']").first
    first.check()
    chosen = first.get_attribute("value")

    shorten_the_idle_limit(live_server, limit=3, warn=2)
    page.reload()  # the page learns the (now short) time left when it loads
    page.get_by_role("heading", name="You have been signed out").wait_for(timeout=15_000)
    shorten_the_idle_limit(live_server, limit=1800, warn=120)
    page.get_by_role("button", name="Sign in again").click()
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"**{quiz_path}")
    assert page.locator(f"input[name='question-1'][value='{chosen}']").is_checked()


def test_a_champion_continues_moves_on_and_tries_again(page: Page,
                                                       live_server: LiveServer) -> None:
    email, modules = setup_champion(live_server)
    sign_in(page, live_server, email)
    page.goto(live_server.url + "/training")
    assert page.get_by_role("heading", name="Your next module").is_visible()
    page.get_by_role("button", name="Start First module").click()
    page.get_by_role("button", name="Start the quiz").click()
    page.goto(live_server.url + "/training")  # leave the quiz half done
    assert page.get_by_role("heading", name="Continue where you left off").is_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Continue First module").click()
    page.get_by_role("button", name="Continue the quiz").click()
    answer_quiz(page, live_server, right=False)
    assert page.get_by_role("heading", name="You did not pass this time").is_visible()
    try_again = page.get_by_role("button", name="Try the quiz again")
    answers = page.get_by_role("heading", name="Your answers")
    assert try_again.bounding_box()["y"] < answers.bounding_box()["y"]
    assert_accessible(page)
    try_again.click()
    answer_quiz(page, live_server, right=True)
    assert page.get_by_text("You passed").is_visible()
    page.get_by_role("button", name="Go to the next module").click()
    assert urlsplit(page.url).path == f"/training/modules/{modules['second-module']}"
