"""Each role's journey with the steps issue 19 added, in Chromium, with axe on every page."""

from __future__ import annotations

import time
from datetime import timedelta
from urllib.parse import urlsplit

from playwright.sync_api import Page, expect

from portal.models import Membership, OrgRole
from portal.services.champion_list import PAGE_SIZE
from tests.browser.conftest import LiveServer, assert_accessible
from tests.browser.test_layout import sign_in
from tests.browser.test_training import FIXTURES as TRAINING_FIXTURES
from tests.browser.test_training import answer_quiz, setup_champion
from tests.factories import (
    DEFAULT_PASSWORD,
    make_application,
    make_member_organisation,
    make_site,
    make_user,
    sync_courses,
)

FOOTER_PAGES = {"Contact": "Contact us", "Accessibility statement":
                "Accessibility statement for Workplace Champions", "Privacy": "Privacy notice",
                "Cookies": "Cookies"}


def test_the_footer_pages_are_linked_from_every_page_and_accessible(
        page: Page, live_server: LiveServer) -> None:
    for link, heading in FOOTER_PAGES.items():
        page.goto(live_server.url + "/")
        page.locator("footer").get_by_role("link", name=link, exact=True).click()
        expect(page.get_by_role("heading", level=1, name=heading)).to_be_visible()
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
    expect(page.get_by_role("heading", name="Your next module")).to_be_visible()
    page.get_by_role("button", name="Start First module").click()
    page.get_by_role("button", name="Start the quiz").click()
    page.goto(live_server.url + "/training")  # leave the quiz half done
    expect(page.get_by_role("heading", name="Continue where you left off")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Continue First module").click()
    page.get_by_role("button", name="Continue the quiz").click()
    answer_quiz(page, live_server, right=False)
    expect(page.get_by_role("heading", name="You did not pass this time")).to_be_visible()
    try_again = page.get_by_role("button", name="Try the quiz again")
    answers = page.get_by_role("heading", name="Your answers")
    assert try_again.bounding_box()["y"] < answers.bounding_box()["y"]
    assert_accessible(page)
    try_again.click()
    answer_quiz(page, live_server, right=True)
    expect(page.get_by_text("You passed")).to_be_visible()
    page.get_by_role("button", name="Go to the next module").click()
    assert urlsplit(page.url).path == f"/training/modules/{modules['second-module']}"


def setup_hr_lead(server: LiveServer, champions: int) -> tuple[str, int]:
    with server.db() as session:
        sync_courses(session, TRAINING_FIXTURES)
        organisation = make_member_organisation(session, name="Mersey Makers")
        depot = make_site(session, organisation, name="Depot")
        hr = make_user(session, organisation=organisation, role=OrgRole.HR_LEAD)
        for number in range(champions):
            user = make_user(session, full_name=f"Champion {number:04d}")
            session.add(Membership(user=user, organisation=organisation, role=OrgRole.CHAMPION,
                                   site=depot if number % 2 else None))
        session.commit()
        return hr.email, organisation.id


def test_an_hr_lead_follows_first_steps_and_finds_champions(page: Page,
                                                            live_server: LiveServer) -> None:
    email, org_id = setup_hr_lead(live_server, PAGE_SIZE + 12)
    sign_in(page, live_server, email)
    page.goto(live_server.url + "/dashboard")
    steps = page.locator(f"#first-steps-{org_id}")
    expect(steps.get_by_role("heading", name="First steps for Mersey Makers")).to_be_visible()
    assert "You have done 2 of 4" in steps.inner_text()  # sites, and champions already
    assert_accessible(page)

    steps.get_by_role("link", name="Set up your signposting card").click()
    page.get_by_label("How can staff reach your Workplace Champions at work?").fill(
        "champions@mersey-makers.example")
    page.get_by_role("button", name="Save").click()
    page.goto(live_server.url + "/dashboard")
    assert "You have done 3 of 4" in page.locator(f"#first-steps-{org_id}").inner_text()

    page.get_by_role("navigation", name="Menu").get_by_role("link",
                                                            name="Your organisation").click()
    assert urlsplit(page.url).path == f"/organisations/{org_id}"
    # The dashboard's table is a page at a time, with the champion list's filters.
    assert f"Showing 1 to {PAGE_SIZE} of {PAGE_SIZE + 12}" in page.locator("#champions-count") \
        .inner_text()
    page.get_by_role("navigation", name="Pages of champions").get_by_role(
        "link", name="Next").click()
    assert f"Showing {PAGE_SIZE + 1} to {PAGE_SIZE + 12}" in page.locator(
        "#champions-count").inner_text()
    page.get_by_label("Search by name or email address").fill("x" * 101)
    page.get_by_label("Training status").select_option("Not started")
    page.get_by_role("button", name="Show champions").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    assert page.title().startswith("Error: ")
    assert f"{PAGE_SIZE + 12} champions matching" in page.locator("#champions-count").inner_text()
    assert_accessible(page)
    page.goto(f"{live_server.url}/organisations/{org_id}/champions")
    assert f"Showing 1 to {PAGE_SIZE} of {PAGE_SIZE + 12}" in page.locator("#champions-count") \
        .inner_text()
    assert_accessible(page)
    page.get_by_role("navigation", name="Pages of champions").get_by_role(
        "link", name="Next").click()
    assert f"Showing {PAGE_SIZE + 1} to {PAGE_SIZE + 12}" in page.locator(
        "#champions-count").inner_text()
    page.get_by_label("Search by name").fill("Champion 0007")
    page.get_by_role("button", name="Show champions").click()
    assert "1 champion matching" in page.locator("#champions-count").inner_text()
    expect(page.get_by_role("rowheader", name="Champion 0007")).to_be_visible()
    assert_accessible(page)


def test_the_assign_picker_searches_and_selects_all_shown(page: Page,
                                                          live_server: LiveServer) -> None:
    email, org_id = setup_hr_lead(live_server, 30)
    sign_in(page, live_server, email)
    page.goto(f"{live_server.url}/organisations/{org_id}/assignments/new")
    page.get_by_label("Search champions").fill("depot")
    page.get_by_role("button", name="Select all shown").click()
    status = page.locator("[data-picker-status]").inner_text()
    assert status == "15 of 30 champions shown, 15 selected"
    assert page.locator("input[name='who'][value='some']").is_checked()
    assert_accessible(page)
    page.get_by_role("button", name="Clear selection").click()
    assert page.locator("[data-picker-status]").inner_text().endswith("0 selected")


def test_the_coordinator_navigation_fits_on_one_row(page: Page, live_server: LiveServer) -> None:
    with live_server.db() as session:
        email = make_user(session, is_coordinator=True).email
        session.commit()
    page.set_viewport_size({"width": 1024, "height": 768})
    sign_in(page, live_server, email)
    page.goto(live_server.url + "/dashboard")
    tops = {round(box["y"]) for box in (
        link.bounding_box() for link in page.locator(".govuk-service-navigation__link").all())}
    assert len(tops) == 1, tops
    exit_button = page.locator(".govuk-exit-this-page").bounding_box()
    navigation = page.locator(".govuk-service-navigation").bounding_box()
    assert exit_button["y"] >= navigation["y"] + navigation["height"] + 15


def test_button_groups_line_up(page: Page, live_server: LiveServer) -> None:
    email, modules = setup_champion(live_server)
    sign_in(page, live_server, email)
    page.goto(f"{live_server.url}/training/modules/{modules['first-module']}")
    page.get_by_role("button", name="Start the quiz").click()
    answer_quiz(page, live_server, right=False)
    button = page.get_by_role("button", name="Try the quiz again").bounding_box()
    link = page.get_by_role("link", name="Read the module again").bounding_box()
    # Side by side on a wide screen, their middles level within a few pixels.
    middle = (button["y"] + button["height"] / 2, link["y"] + link["height"] / 2)
    assert abs(middle[0] - middle[1]) < 12, middle


def test_an_applicant_sees_where_the_application_stands_and_changes_their_name(
        page: Page, live_server: LiveServer) -> None:
    with live_server.db() as session:
        _, applicant = make_application(session, name="Bootle Bakes")
        email = applicant.email
        session.commit()
    sign_in(page, live_server, email)
    page.goto(live_server.url + "/dashboard")
    card = page.locator(".govuk-summary-card", has_text="Your application for Bootle Bakes")
    assert "Being checked" in card.inner_text()
    assert page.locator(".portal-first-steps").count() == 0  # not until it is approved
    assert_accessible(page)

    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Your account").click()
    page.get_by_role("link", name="Change name").click()
    page.get_by_label("Change your name").fill("Bea Baker")
    page.get_by_role("button", name="Save name").click()
    expect(page.get_by_text("Your name has been changed")).to_be_visible()
    expect(page.get_by_role("heading", name="Your account")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Change email address").click()
    assert_accessible(page)
