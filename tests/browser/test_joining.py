"""Joining in a real browser: apply, confirm, approve, invite, accept; axe on every page."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect
from sqlalchemy import select

from portal.models import Membership, OrgRole, OutboxMessage
from tests.browser.conftest import LiveServer, assert_accessible, pass_two_factor
from tests.factories import (
    DEFAULT_PASSWORD,
    make_application,
    make_member_organisation,
    make_user,
)

APPLICANT = "hana.applicant@example.org"
APPLICANT_PASSWORD = "a long and unusual passphrase"
CHAMPION = "sam.patel@example.org"
CHAMPION_PASSWORD = "kettle orbit lantern meadow"


def latest_link(server: LiveServer, to: str, pattern: str) -> str:
    with server.db() as session:
        message = session.scalars(select(OutboxMessage).where(OutboxMessage.to_address == to)
                                  .order_by(OutboxMessage.id.desc())).first()
        return re.search(rf"{re.escape(server.url)}({pattern}\S+)", message.body_text).group(1)


def go(page: Page, server: LiveServer, path: str) -> None:
    page.goto(server.url + path)
    assert_accessible(page)


def click(page: Page, role: str, name: str) -> None:
    page.get_by_role(role, name=name).click()
    page.wait_for_load_state()
    assert_accessible(page)


def sign_in(page: Page, server: LiveServer, email: str, password: str) -> None:
    go(page, server, "/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    click(page, "button", "Sign in")
    pass_two_factor(page, server, email)


def sign_out(page: Page, server: LiveServer) -> None:
    go(page, server, "/dashboard")
    click(page, "button", "Sign out")


def apply(page: Page, server: LiveServer) -> None:
    go(page, server, "/")
    click(page, "link", "Apply to join the scheme")
    click(page, "link", "Your account")
    click(page, "button", "Continue")  # empty: the error summary must be accessible too
    assert page.title().startswith("Error: ")
    page.get_by_label("Your full name").fill("Hana Applicant")
    page.get_by_label("Your work email address").fill(APPLICANT)
    page.get_by_label("Create a password").fill(APPLICANT_PASSWORD)
    click(page, "button", "Continue")
    click(page, "link", "Organisation details")
    page.get_by_label("Organisation name").fill("Birkenhead Bicycles Ltd")
    page.get_by_label("Private sector").check()
    page.get_by_label("No").check()
    click(page, "button", "Continue")
    click(page, "link", "Sites")
    page.get_by_label("Site name").fill("Workshop")
    page.get_by_label("Wirral").check()
    page.get_by_label("How many staff work at this site?").fill("42")
    click(page, "button", "Add site")
    click(page, "link", "Continue")
    click(page, "link", "Scheme commitment")
    page.get_by_label("Full name of the person signing").fill("Sam Director")
    page.get_by_label("Their job title").fill("Managing director")
    page.get_by_label("I confirm that the organisation agrees").check()
    click(page, "button", "Continue")
    click(page, "link", "Check and send your application")
    click(page, "button", "Accept and send")
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()


def confirm_email(page: Page, server: LiveServer) -> None:
    go(page, server, latest_link(server, APPLICANT, "/confirm-email/"))
    click(page, "button", "Confirm email address")
    expect(
        page.get_by_text("We have sent your application to the scheme coordinators"),
    ).to_be_visible()


def approve(page: Page, server: LiveServer, coordinator: str) -> None:
    sign_in(page, server, coordinator, DEFAULT_PASSWORD)
    click(page, "link", "Applications waiting for a decision")
    click(page, "link", "Birkenhead Bicycles Ltd")
    click(page, "link", "Approve application")
    click(page, "button", "Approve application")
    expect(page.get_by_text("Application approved")).to_be_visible()
    go(page, server, "/coordinator/organisations")
    sign_out(page, server)


def invite_champion(page: Page, server: LiveServer) -> None:
    sign_in(page, server, APPLICANT, APPLICANT_PASSWORD)
    click(page, "button", "Continue")  # the first sign-in explains Exit this page
    click(page, "link", "Birkenhead Bicycles Ltd")
    click(page, "link", "See and invite champions")
    click(page, "link", "Invite a champion")
    page.get_by_label("Full name").fill("Sam Patel")
    page.get_by_label("Work email address").fill(CHAMPION)
    page.get_by_label("Workshop").check()
    click(page, "button", "Send invitation")
    expect(page.get_by_text("Invitation sent").first).to_be_visible()
    go(page, server, f"/organisations/{organisation_id(page)}/champions/upload")
    sign_out(page, server)


def organisation_id(page: Page) -> str:
    return re.search(r"/organisations/(\d+)/", page.url).group(1)


def accept_invitation(page: Page, server: LiveServer) -> None:
    go(page, server, latest_link(server, CHAMPION, "/accept-invitation/"))
    page.get_by_label("Create a password").fill(CHAMPION_PASSWORD)
    click(page, "button", "Create account")
    expect(page.get_by_text("Your account has been created and you are signed in")).to_be_visible()


def test_apply_confirm_approve_invite_accept_and_sign_in(page: Page, live_server) -> None:
    with live_server.db() as session:
        coordinator = make_user(session, is_coordinator=True).email
        session.commit()
    apply(page, live_server)
    confirm_email(page, live_server)
    approve(page, live_server, coordinator)
    invite_champion(page, live_server)
    accept_invitation(page, live_server)  # signed in at once: no second sign-in
    click(page, "button", "Continue")
    assert page.url == live_server.url + "/dashboard"
    expect(
        page.get_by_text("Birkenhead Bicycles Ltd: Workplace Champion, Workshop"),
    ).to_be_visible()


def seeded_pages(server: LiveServer) -> tuple[dict[str, str], list[str]]:
    """People and every other page of joining, for an accessibility sweep."""
    with server.db() as session:
        org = make_member_organisation(session, name="Sefton <Stores> & Co")
        hr = make_user(session, organisation=org, role=OrgRole.HR_LEAD)
        champion = make_user(session, organisation=org, role=OrgRole.CHAMPION)
        coordinator = make_user(session, is_coordinator=True)
        application, _ = make_application(session, name="Sefton Stores")
        session.flush()
        membership = session.scalar(select(Membership).where(Membership.user_id == champion.id))
        site = org.sites[0].id
        session.commit()
        ids = {"org": org.id, "site": site, "membership": membership.id, "app": application.id}
    hr_pages = [f"/organisations/{ids['org']}{suffix}" for suffix in (
        "", "/edit", "/sites/add", f"/sites/{site}/edit", "/renew", "/hr-leads/invite",
        "/champions", "/champions/invite", "/champions/upload",
        f"/champions/{ids['membership']}/withdraw")]
    coordinator_pages = [f"/coordinator/organisations/{ids['app']}{suffix}" for suffix in (
        "", "/decline", "/suspend", "/withdraw", "/audit")] + [
        "/coordinator/applications", "/coordinator/organisations",
        f"/coordinator/organisations/{ids['org']}/suspend"]
    return {"hr": hr.email, "coordinator": coordinator.email}, hr_pages + coordinator_pages


def test_every_other_page_of_joining_is_accessible(page: Page, live_server) -> None:
    people, pages = seeded_pages(live_server)
    for path in ("/join", "/join/sent", "/confirm-email/not-a-real-token",
                 "/accept-invitation/not-a-real-token"):
        go(page, live_server, path)
    sign_in(page, live_server, people["coordinator"], DEFAULT_PASSWORD)
    for path in pages:
        go(page, live_server, path)
    sign_out(page, live_server)
    sign_in(page, live_server, people["hr"], DEFAULT_PASSWORD)
    hr_pages = [path for path in pages if not path.startswith("/coordinator")]
    for path in hr_pages:
        go(page, live_server, path)
    go(page, live_server, hr_pages[-1])
    page.get_by_label("They have asked to step down").check()
    click(page, "button", "Withdraw champion")
    expect(page.get_by_role("link", name="Invite a replacement champion")).to_be_visible()
    go(page, live_server, next(path for path in hr_pages if path.endswith("/upload")))
    page.set_input_files("#file", files=[{"name": "champions.csv", "mimeType": "text/csv",
                                          "buffer": b"Full name,Work email,Site,Job title\r\n"
                                                    b"=Bad,nope,Nowhere,\r\n"}])
    click(page, "button", "Upload and send invitations")
    expect(page.get_by_text("Row 2: the full name must not start")).to_be_visible()
