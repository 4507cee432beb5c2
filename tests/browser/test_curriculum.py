"""The real curriculum in a browser: every module's quiz can be failed and passed, and each
course ends in a certificate (curriculum issue, acceptance 2)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from portal.models import Certificate, Course, OrgRole
from tests.browser.conftest import LiveServer, assert_accessible
from tests.browser.test_layout import sign_in
from tests.browser.test_training import answer_quiz
from tests.factories import make_organisation, make_user, sync_courses

COURSES = Path(__file__).resolve().parents[2] / "courses"


def person_with_role(server: LiveServer, role: OrgRole) -> str:
    with server.db() as session:
        user = make_user(session, organisation=make_organisation(session), role=role)
        session.commit()
        return user.email


@pytest.mark.slow
@pytest.mark.parametrize(("course_key", "role"), [("champion-essentials", OrgRole.CHAMPION),
                                                  ("hr-lead-essentials", OrgRole.HR_LEAD)])
def test_every_module_can_be_failed_then_passed(page: Page, live_server, course_key: str,
                                                role: OrgRole) -> None:
    with live_server.db() as session:
        sync_courses(session, COURSES)
        course = session.scalar(select(Course).where(Course.key == course_key))
        module_ids = [m.id for m in course.modules]
    sign_in(page, live_server, person_with_role(live_server, role))
    for module_id in module_ids:
        page.goto(f"{live_server.url}/training/modules/{module_id}")
        assert_accessible(page)
        page.get_by_role("button", name="Start the quiz").click()
        answer_quiz(page, live_server, right=False)
        expect(page.get_by_role("heading", name="You did not pass this time")).to_be_visible()
        page.get_by_role("button", name="Try the quiz again").click()
        answer_quiz(page, live_server, right=True)
        expect(page.get_by_text("You passed")).to_be_visible()
    expect(page.get_by_role("link", name="View and download your certificate")).to_be_visible()
    with live_server.db() as session:
        assert session.scalar(select(func.count()).select_from(Certificate)) == 1
