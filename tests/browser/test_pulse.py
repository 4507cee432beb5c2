"""The staff awareness pulse in a real browser: an HR lead opens one, 12 anonymous visitors answer
it (two without JavaScript), and the results appear at the 10th answer and not before. No
visitor's browser is given a cookie. axe on every page, the error states included."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from playwright.sync_api import Browser, Page, expect

from portal import clock
from portal.models import OrgRole
from portal.services.pulse import QUESTIONS
from tests.browser.conftest import PAGE_LOG, LiveServer, assert_accessible
from tests.browser.test_joining import click, go, sign_in
from tests.factories import DEFAULT_PASSWORD, make_member_organisation, make_site, make_user

AWARE = {"policy": "Yes", "champions": "Yes, I know who they are and how to reach them",
         "support": "Yes"}
UNAWARE = {"policy": "I do not know", "champions": "No", "support": "I am not sure"}


def seed(server: LiveServer) -> tuple[int, str]:
    with server.db() as session:
        organisation = make_member_organisation(session, name="Halton Homes")
        make_site(session, organisation, name="Runcorn depot")
        hr = make_user(session, organisation=organisation, role=OrgRole.HR_LEAD)
        session.commit()
        return organisation.id, hr.email


@contextmanager
def visitor(browser: Browser, *, javascript: bool = True) -> Iterator[Page]:
    """Someone new: a browser context of their own, with no cookies."""
    context = browser.new_context(bypass_csp=True, java_script_enabled=javascript)
    context.on("response", PAGE_LOG.keep)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        yield page
        assert context.cookies() == [], "the pulse pages must set no cookie"
    finally:
        context.close()


def answer(page: Page, link: str, answers: dict[str, str], *, check: bool) -> None:
    page.goto(link)
    if check:
        assert_accessible(page)
    assert page.title().startswith("Staff survey")
    for question in QUESTIONS:
        page.get_by_role("group", name=question.text).get_by_label(
            answers[question.key], exact=True).check()
    page.get_by_role("button", name="Send your answers").click()
    page.wait_for_load_state()
    expect(page.get_by_role("heading", name="Thank you")).to_be_visible()
    if check:
        assert_accessible(page)


def test_twelve_visitors_answer_and_results_appear_at_ten(page: Page, browser: Browser,
                                                         live_server) -> None:
    org_id, hr = seed(live_server)
    sign_in(page, live_server, hr, DEFAULT_PASSWORD)
    go(page, live_server, f"/organisations/{org_id}")
    click(page, "link", "Staff awareness pulse")
    click(page, "link", "Open a pulse")
    click(page, "button", "Open the pulse")  # nothing chosen: every error at once
    assert page.title().startswith("Error: ")
    expect(page.get_by_role("link", name="Select who the pulse is for")).to_be_visible()
    page.get_by_label("Everyone at Halton Homes").check()
    closes = clock.today() + timedelta(days=14)
    page.get_by_label("Day").fill(str(closes.day))
    page.get_by_label("Month").fill(str(closes.month))
    page.get_by_label("Year").fill(str(closes.year))
    click(page, "button", "Open the pulse")
    link = page.locator("#pulse-link").inner_text()
    results_page = page.url
    expect(page.get_by_text("Nobody has answered yet").first).to_be_visible()

    with visitor(browser) as first:  # sends the form empty first: the errors, accessibly
        first.goto(link)
        first.get_by_role("button", name="Send your answers").click()
        first.wait_for_load_state()
        assert first.title().startswith("Error: Staff survey")
        assert_accessible(first)
        answer(first, link, AWARE, check=True)

    for number in range(2, 13):
        with visitor(browser, javascript=number not in (4, 11)) as someone:
            answer(someone, link, UNAWARE if number % 4 == 0 else AWARE, check=number == 2)
        page.goto(results_page)
        if number < 10:
            expect(page.get_by_text("Fewer than 10 people have answered").first).to_be_visible()
            assert page.get_by_role("table").count() == 0
        else:
            expect(page.get_by_text("10 or more people have answered").first).to_be_visible()
            assert page.get_by_role("table").count() == len(QUESTIONS)
        if number in (9, 10):
            assert_accessible(page)
    # 12 answers, 3 unaware: 75% knew of the policy, 25% did not.
    policy = page.get_by_role("table", name=QUESTIONS[0].text)
    expect(policy.get_by_role("row", name="Yes 75%")).to_be_visible()
    expect(policy.get_by_role("row", name="I do not know 25%")).to_be_visible()
    click(page, "button", "Add the results as evidence")
    expect(
        page.get_by_text("The results have been added to the evidence for Staff told about "
                            "the policy"),
    ).to_be_visible()
