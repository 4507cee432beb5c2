"""Two-factor sign-in in a real browser: every page of it accessible (zero axe violations)."""

from __future__ import annotations

from playwright.sync_api import Page, expect
from sqlalchemy import select

from portal.models import OrgRole, User
from tests.browser.conftest import LiveServer, assert_accessible, pass_two_factor
from tests.browser.test_layout import make_person
from tests.factories import DEFAULT_PASSWORD, make_member_organisation, make_user
from tests.two_factor import next_code, wrong_code


def password_step(page: Page, server: LiveServer, email: str) -> None:
    page.goto(server.url + "/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def submit_code(page: Page, code: str, button: str = "Continue") -> None:
    page.get_by_label("Code from your authenticator app").fill(code)
    page.get_by_role("button", name=button).click()
    page.wait_for_load_state()


def key_of(server: LiveServer, email: str) -> str:
    with server.db() as session:
        return session.scalar(select(User.totp_secret).where(User.email == email))


def test_setting_up_and_signing_in_with_an_app_is_accessible(page: Page, live_server) -> None:
    email = make_person(live_server, is_coordinator=True, totp_secret=None,
                        totp_confirmed_at=None, exit_explained_at=None)
    password_step(page, live_server, email)
    assert page.url == live_server.url + "/sign-in/set-up-app"
    qr = page.get_by_role("img", name="QR code for your authenticator app")
    expect(qr).to_be_visible()
    assert qr.bounding_box()["width"] >= 150
    key = key_of(live_server, email)
    assert page.locator(".app-setup-key").inner_text().replace(" ", "") == key
    assert_accessible(page)
    submit_code(page, wrong_code(key), "Turn on two-factor sign-in")
    assert page.title().startswith("Error: ")
    assert_accessible(page)
    submit_code(page, next_code(live_server.app, email=email), "Turn on two-factor sign-in")
    expect(page.get_by_role("heading", name="Save your recovery codes")).to_be_visible()
    assert page.locator(".app-recovery-codes li").count() == 10
    assert_accessible(page)
    page.get_by_role("link", name="I have saved my recovery codes").click()
    page.wait_for_load_state()
    expect(
        page.get_by_role("heading", name="Before you start: leaving this site quickly"),
    ).to_be_visible()

    page.goto(live_server.url + "/account")
    assert_accessible(page)
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()

    password_step(page, live_server, email)
    assert page.url == live_server.url + "/sign-in/code"
    assert_accessible(page)
    page.get_by_role("link", name="I cannot use my authenticator app").click()
    page.wait_for_load_state()
    page.get_by_role("button", name="Continue").click()  # empty: the error must be accessible
    page.wait_for_load_state()
    assert page.title().startswith("Error: ")
    assert_accessible(page)
    page.get_by_role("link", name="Back").click()
    page.wait_for_load_state()
    submit_code(page, next_code(live_server.app, email=email))
    assert page.url.startswith(live_server.url + "/welcome?next=")


def test_coordinator_pages_for_recovery_codes_and_signing_out_are_accessible(
        page: Page, live_server) -> None:
    with live_server.db() as session:
        organisation = make_member_organisation(session)
        person = make_user(session, organisation=organisation, role=OrgRole.HR_LEAD)
        coordinator = make_user(session, is_coordinator=True)
        session.commit()
        org_id, person_name, email = organisation.id, person.full_name, coordinator.email
    password_step(page, live_server, email)
    pass_two_factor(page, live_server, email)
    page.goto(live_server.url + "/account/recovery-codes")
    assert_accessible(page)
    page.goto(f"{live_server.url}/coordinator/organisations/{org_id}")
    page.get_by_role("link", name=f"Sign out {person_name} everywhere").click()
    page.wait_for_load_state()
    expect(page.get_by_role("heading", name=f"Sign out {person_name} everywhere?")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Sign out everywhere").click()
    page.wait_for_load_state()
    expect(page.get_by_text("has been signed out on every device")).to_be_visible()
    assert_accessible(page)
