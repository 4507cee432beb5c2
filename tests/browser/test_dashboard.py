"""The HR lead's dashboard and assignment pages in a real browser, with axe on every page."""

from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import Page, expect
from sqlalchemy import select

from portal.models import (
    Assignment,
    AssignmentSource,
    ElementStatus,
    OrgRole,
    PolicyElementRecord,
    Tier,
    utcnow,
)
from tests.browser.conftest import LiveServer, assert_accessible
from tests.browser.test_layout import sign_in
from tests.factories import make_member_organisation, make_site, make_user
from tests.training_steps import load_basics, make_champion, pass_module


def setup_organisation(server: LiveServer) -> tuple[int, str, str]:
    with server.db() as session:
        _course, modules = load_basics(session)
        org = make_member_organisation(session, name="Mersey Ferries", tier=Tier.COMMITTED)
        make_site(session, org, name="Seacombe terminal", headcount=60)
        hr = make_user(session, organisation=org, role=OrgRole.HR_LEAD, full_name="Hannah Reid")
        trained = make_champion(session, org, full_name="Łucja Nowak-Öztürk")
        for module in modules.values():
            pass_module(session, trained, module)
        late = make_champion(session, org, full_name="Sam Patel")
        session.scalar(select(Assignment).where(Assignment.user_id == late.id)).due_on = \
            utcnow().date() - timedelta(days=3)
        make_champion(session, org, full_name="Jo Murphy")
        session.add(PolicyElementRecord(organisation_id=org.id, element_key="written_policy",
                                        status=ElementStatus.IN_PLACE))
        session.commit()
        return org.id, hr.email, late.email


def test_the_dashboard_and_assigning_training_are_accessible(page: Page, live_server) -> None:
    org_id, hr_email, late_email = setup_organisation(live_server)
    sign_in(page, live_server, hr_email)
    page.goto(f"{live_server.url}/organisations/{org_id}")
    page.wait_for_load_state()
    expect(page.get_by_role("heading", name="What needs doing now")).to_be_visible()
    expect(page.get_by_text("1 champion has overdue training")).to_be_visible()
    expect(page.get_by_role("table", name="Champions’ training")).to_be_visible()
    expect(page.get_by_role("table", name="Sites and coverage")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Assign training to champions").click()
    expect(page.get_by_role("heading", name="Assign training")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Assign training").click()  # nothing chosen
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    assert_accessible(page)

    page.get_by_label("Second module").check()
    page.get_by_label("Choose champions").check()
    page.get_by_label("Jo Murphy").check()
    due = utcnow().date() + timedelta(days=10)
    page.get_by_label("Day").fill(str(due.day))
    page.get_by_label("Month").fill(str(due.month))
    page.get_by_label("Year").fill(str(due.year))
    page.get_by_role("button", name="Assign training").click()
    expect(page.get_by_text("Training assigned to 1 champion")).to_be_visible()
    assert_accessible(page)

    with live_server.db() as session:
        mine = session.scalar(select(Assignment).where(
            Assignment.source == AssignmentSource.HR_LEAD))
    page.get_by_role("link", name="Cancel Second module for Jo Murphy").click()
    expect(page.get_by_role("heading", name="Cancel this assignment?")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Cancel the assignment").click()
    expect(page.get_by_text("Assignment cancelled")).to_be_visible()
    with live_server.db() as session:
        assert session.get(Assignment, mine.id).cancelled_at is not None

    page.context.clear_cookies()  # sign in afresh as the champion
    sign_in(page, live_server, late_email)
    page.goto(f"{live_server.url}/training")
    expect(page.get_by_role("table", name="Assigned to you")).to_be_visible()
    assert_accessible(page)
