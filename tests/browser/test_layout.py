"""Every page built so far, in a real browser: accessible, and the quick exit works."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import (
    LiveServer,
    Served,
    assert_accessible,
    pass_two_factor,
    replayed_page_problems,
)
from tests.factories import DEFAULT_PASSWORD, make_user

PUBLIC_PAGES = ["/", "/safety", "/accessibility", "/privacy", "/sign-in", "/forgot-password",
                "/forgot-password/sent", "/no-such-page"]


def sign_in(page: Page, server: LiveServer, email: str) -> None:
    page.goto(server.url + "/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    pass_two_factor(page, server, email)


def make_person(server: LiveServer, **overrides: object) -> str:
    with server.db() as session:
        user = make_user(session, **overrides)
        session.commit()
        return user.email


def test_public_pages_have_no_accessibility_violations(page: Page, live_server) -> None:
    for path in PUBLIC_PAGES:
        page.goto(live_server.url + path)
        expect(page.locator(".govuk-exit-this-page"), path).to_be_visible()
        assert_accessible(page)


def test_signed_in_journey_has_no_accessibility_violations(page: Page, live_server) -> None:
    email = make_person(live_server, exit_explained_at=None)
    sign_in(page, live_server, email)
    expect(
        page.get_by_role("heading", name="Before you start: leaving this site quickly"),
    ).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Continue").click()
    assert page.url == live_server.url + "/dashboard"
    assert_accessible(page)
    for path in ("/account", "/account/password"):
        page.goto(live_server.url + path)
        assert_accessible(page)


def test_form_errors_are_accessible(page: Page, live_server) -> None:
    page.goto(live_server.url + "/sign-in")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert").or_(page.locator(".govuk-error-summary")).first) \
        .to_be_visible()
    assert page.title().startswith("Error: ")
    assert_accessible(page)
    page.goto(live_server.url + "/account/password")  # not signed in: sent to sign in
    assert "/sign-in" in page.url


def session_cookie(page: Page, server: LiveServer) -> dict:
    name = server.app.config["SESSION_COOKIE_NAME"]
    return next(c for c in page.context.cookies() if c["name"] == name)


def dashboard_status_with(server: LiveServer, cookie: dict) -> int:
    """What a second browser holding a copy of this cookie would get."""
    client = server.app.test_client()
    client.set_cookie(cookie["name"], cookie["value"], domain="127.0.0.1")
    return client.get("/dashboard", base_url=server.url).status_code


@pytest.mark.parametrize("how", ["button", "shift three times", "escape"])
def test_exit_this_page_leaves_and_kills_the_session(page: Page, live_server, how: str) -> None:
    """PRIV-09: button, Shift x3 and Escape all leave for EXIT_URL; the cookie dies."""
    sign_in(page, live_server, make_person(live_server))
    page.wait_for_url(live_server.url + "/dashboard")
    cookie = session_cookie(page, live_server)
    assert dashboard_status_with(live_server, cookie) == 200
    if how == "button":
        page.locator(".govuk-exit-this-page__button").click()
    elif how == "escape":
        page.keyboard.press("Escape")
    else:
        page.wait_for_function("document.body.classList.contains('govuk-frontend-supported')")
        for _ in range(3):
            page.keyboard.press("Shift")
    page.wait_for_url(live_server.exit_url)
    assert dashboard_status_with(live_server, cookie) == 302
    page.goto(live_server.url + "/dashboard")
    assert "/sign-in" in page.url


def test_exit_works_without_javascript(browser, live_server) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server.url + "/safety")
    page.locator(".govuk-exit-this-page__button").click()
    page.wait_for_url(live_server.exit_url)
    context.close()


@pytest.mark.parametrize("how", ["button", "shift three times", "escape"])
def test_back_after_exit_this_page_does_not_return_to_the_page(page: Page, live_server,
                                                               how: str) -> None:
    """Issue 18: leaving replaces the page in the history (location.replace), so Back does not
    show the search the person fled; it goes to whatever was open before the portal."""
    elsewhere = "data:text/html,<title>Elsewhere</title>"  # the site open before the portal
    page.goto(elsewhere)
    before = page.evaluate("history.length")
    searched = live_server.url + "/support?q=refuge"
    page.goto(searched)
    page.wait_for_function("document.body.classList.contains('govuk-frontend-supported')")
    if how == "button":
        page.locator(".govuk-exit-this-page__button").click()
    elif how == "escape":
        page.keyboard.press("Escape")
    else:
        for _ in range(3):
            page.keyboard.press("Shift")
    page.wait_for_url(live_server.exit_url)
    assert page.evaluate("history.length") == before + 1  # the exit page took the search's place
    page.go_back()
    page.wait_for_load_state()
    assert page.url == elsewhere
    assert page.url != searched


def test_govuk_frontend_is_marked_supported_before_any_module_runs(browser, live_server) -> None:
    """Issue 18 (layout shift): the inline script in <body> marks GOV.UK Frontend as supported
    before first paint, under the real CSP (its nonce), so GOV.UK's styles for enhanced
    components apply from the first paint. app.js is held back to show the class is not its."""
    context = browser.new_context()  # the CSP applies: no bypass
    page = context.new_page()
    refused = []
    page.on("console", lambda message: refused.append(message.text)
            if "Content Security Policy" in message.text else None)
    page.route("**/static/js/app.js", lambda route: route.abort())
    page.goto(live_server.url + "/support")
    classes = page.evaluate("document.body.className").split()
    assert {"js-enabled", "govuk-frontend-supported"} <= set(classes)
    assert refused == []
    context.close()


def test_pages_loaded_again_as_served_are_checked_by_both_engines_and_for_reflow(browser) -> None:
    """The end-of-session pass over every kind of page (conftest.replayed_page_problems) finds
    what each of its checks is for, and finds nothing on a sound page."""
    broken = Served("/probe", 200, """<!DOCTYPE html><html><head><title>Probe</title></head>
        <body><main><h1>Probe</h1><form><input type="text" name="unlabelled"></form>
        <img src="/static/nothing.png"><div style="width: 900px">wide</div></main></body></html>""")
    sound = Served("/sound", 200, """<!DOCTYPE html><html lang="en"><head><title>Sound</title>
        </head><body><main><h1>Sound</h1><p>Nothing wrong here.</p></main></body></html>""")
    problems = replayed_page_problems(browser, [broken, sound])
    assert all(problem.startswith("/probe (as served): ") for problem in problems)
    assert any("axe label" in problem for problem in problems)  # the input has no label
    assert any("axe html-has-lang" in problem for problem in problems)
    assert any("HTML_CodeSniffer" in problem and "H37" in problem for problem in problems)  # alt
    assert any("scrolls sideways at 320px" in problem for problem in problems)
