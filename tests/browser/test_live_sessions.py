"""Live sessions and certificates in a real browser: a coordinator schedules a session, a
champion books the only place, a second joins the waiting list, the first cancels and the second
is promoted; she passes the modules, and after the session the coordinator marks her attended,
which certifies her. A coordinator changes a session's details (an error first, then saved)
and cancels it, and its booked champion sees it cancelled. A holder renews in the window and
chooses the name the check shows; a coordinator revokes the certificate."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from dateutil.relativedelta import relativedelta
from playwright.sync_api import Page, expect
from sqlalchemy import select

from portal import clock
from portal.models import (
    BookingStatus,
    Borough,
    Certificate,
    Course,
    LiveSession,
    Module,
    OrgRole,
    OutboxMessage,
    SessionBooking,
    SessionMode,
    utcnow,
)
from portal.services import live_sessions
from tests.browser.conftest import LiveServer, assert_accessible
from tests.browser.test_layout import sign_in
from tests.browser.test_training import FIXTURES, take_module
from tests.factories import make_member_organisation, make_organisation, make_user, sync_courses
from tests.training_steps import load_basics, make_champion, pass_module


def setup(server: LiveServer) -> dict[str, object]:
    with server.db() as session:
        sync_courses(session, FIXTURES)
        course = session.scalar(select(Course).where(Course.key == "basics"))
        course.requires_live_session = True
        organisation = make_organisation(session)
        people = {
            "coordinator": make_user(session, is_coordinator=True).email,
            "ann": make_user(session, organisation=organisation, role=OrgRole.CHAMPION,
                             full_name="Ann Lee").email,
            "bo": make_user(session, organisation=organisation, role=OrgRole.CHAMPION,
                            full_name="Bo Chan").email,
        }
        modules = [m.id for m in session.scalars(select(Module).order_by(Module.position))]
        session.commit()
        return {**people, "modules": modules}


def switch_to(page: Page, server: LiveServer, email: str) -> None:
    page.context.clear_cookies()
    sign_in(page, server, email)


def open_session(page: Page, server: LiveServer) -> None:
    page.goto(server.url + "/training/sessions")
    assert_accessible(page)
    page.locator("table a.govuk-link").first.click()
    expect(page.get_by_role("heading", name="Live session")).to_be_visible()


def test_schedule_book_wait_cancel_promote_attend_and_certify(page: Page,
                                                              live_server: LiveServer) -> None:
    people = setup(live_server)
    sign_in(page, live_server, people["coordinator"])
    page.goto(live_server.url + "/training/sessions")
    assert_accessible(page)
    page.get_by_role("link", name="Schedule a session").click()
    assert_accessible(page)
    page.get_by_role("button", name="Schedule session").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    assert_accessible(page)

    day = clock.today() + timedelta(days=2)
    page.get_by_label("Basics course").check()
    page.get_by_label("In person", exact=True).check()
    page.get_by_label("Venue (in person)").fill("Central Library, Room 2")
    page.get_by_label("Borough (in person)").select_option("Liverpool")
    page.get_by_label("Access information (in person, optional)").fill("Step-free entrance")
    page.get_by_label("Day").fill(str(day.day))
    page.get_by_label("Month").fill(str(day.month))
    page.get_by_label("Year").fill(str(day.year))
    page.get_by_label("Start time").fill("10:00")
    page.get_by_label("End time").fill("13:00")
    page.get_by_label("Number of places").fill("1")
    page.get_by_role("button", name="Schedule session").click()
    expect(page.get_by_role("heading", name="Bookings and attendance")).to_be_visible()
    expect(page.get_by_text("Nobody yet")).to_be_visible()
    assert_accessible(page)

    switch_to(page, live_server, people["ann"])
    open_session(page, live_server)
    assert_accessible(page)
    page.get_by_role("button", name="Book a place").click()
    expect(page.get_by_role("heading", name="You have a place")).to_be_visible()
    assert_accessible(page)

    switch_to(page, live_server, people["bo"])
    open_session(page, live_server)
    expect(page.get_by_text("Full: waiting list open")).to_be_visible()
    page.get_by_role("button", name="Join the waiting list").click()
    expect(page.get_by_text("You are number 1 on the waiting list")).to_be_visible()
    assert_accessible(page)

    switch_to(page, live_server, people["ann"])
    open_session(page, live_server)
    page.get_by_role("button", name="Cancel your place").click()
    expect(page.get_by_text("Your place is cancelled")).to_be_visible()
    assert_accessible(page)

    switch_to(page, live_server, people["bo"])
    open_session(page, live_server)
    expect(page.get_by_role("heading", name="You have a place")).to_be_visible()
    with live_server.db() as session:
        subjects = session.scalars(select(OutboxMessage.subject).where(
            OutboxMessage.to_address == people["bo"], OutboxMessage.kind == "session_booked"))
        assert list(subjects) == ["Your place is confirmed – Workplace Champions"]
    for module_id in people["modules"]:
        take_module(page, live_server, module_id, right=True)
    with live_server.db() as session:
        assert session.scalar(select(Certificate)) is None  # the session is still to come
        starts = session.scalar(select(LiveSession.starts_at))

    with clock.travel(starts + timedelta(hours=1)):
        switch_to(page, live_server, people["coordinator"])
        page.goto(live_server.url + "/training/sessions/managed")
        assert_accessible(page)
        page.locator("table a.govuk-link").first.click()
        page.get_by_role("button", name="Save attendance").click()
        expect(page.get_by_text("Select whether Bo Chan attended").first).to_be_visible()
        assert_accessible(page)
        page.get_by_role("group", name="Bo Chan").get_by_label("Attended").check()
        page.get_by_role("button", name="Save attendance").click()
        expect(page.get_by_text("Attendance saved. Certificates issued: 1")).to_be_visible()
        assert_accessible(page)

        switch_to(page, live_server, people["bo"])
        page.goto(live_server.url + "/training")
        with live_server.db() as session:
            course_id = session.scalar(select(Course.id).where(Course.key == "basics"))
        page.goto(f"{live_server.url}/training/courses/{course_id}")
        page.get_by_role("link", name="View your certificate").click()
        expect(page.get_by_role("heading", name="Certificate of completion")).to_be_visible()


def test_renew_in_the_window_choose_the_name_shown_and_revoke(page: Page,
                                                              live_server: LiveServer) -> None:
    with live_server.db() as session:
        course, modules = load_basics(session)
        course.renewal_window_months, course.renewal_grace_months = 6, 3
        holder = make_champion(session, make_member_organisation(session, name="Sefton Foods"),
                               full_name="Ann Lee")
        earned = utcnow() - relativedelta(months=20)
        for module in modules.values():
            pass_module(session, holder, module, earned)
        coordinator = make_user(session, is_coordinator=True)
        session.commit()
        people = {"holder": holder.email, "coordinator": coordinator.email,
                  "course": course.id, "modules": [m.id for m in modules.values()]}
    sign_in(page, live_server, people["holder"])
    page.goto(f"{live_server.url}/training/courses/{people['course']}")
    expect(page.get_by_text("You can renew it until")).to_be_visible()
    assert_accessible(page)
    for module_id in people["modules"]:
        take_module(page, live_server, module_id, right=True)
    with live_server.db() as session:
        old, new = session.scalars(select(Certificate).order_by(Certificate.issued_at)).all()
        assert new.expires_at == old.expires_at + relativedelta(months=24)
        code = new.code
    page.goto(f"{live_server.url}/training/courses/{people['course']}")
    page.get_by_role("link", name="View your certificate").click()
    page.get_by_role("button", name="Show my full name on the check").click()
    expect(page.get_by_text("The check now shows your full name")).to_be_visible()
    assert_accessible(page)

    switch_to(page, live_server, people["coordinator"])
    page.goto(f"{live_server.url}/verify/{code}")
    expect(page.get_by_role("heading", name="This certificate is valid")).to_be_visible()
    expect(page.get_by_text("Ann Lee")).to_be_visible()
    expect(page.get_by_text("Sefton Foods")).to_be_visible()
    page.get_by_role("link", name="Revoke this certificate").click()
    assert_accessible(page)
    page.get_by_role("button", name="Revoke certificate").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Issued in error").check()
    page.get_by_role("button", name="Revoke certificate").click()
    expect(page.get_by_role("heading", name="This certificate has been revoked")).to_be_visible()
    assert_accessible(page)


def test_change_a_sessions_details_then_cancel_it(page: Page, live_server: LiveServer) -> None:
    with live_server.db() as session:
        course, _ = load_basics(session)
        coordinator = make_user(session, is_coordinator=True)
        ann = make_champion(session, make_member_organisation(session), full_name="Ann Lee")
        starts = datetime.combine(clock.today() + timedelta(days=4), time(10),
                                  tzinfo=clock.LONDON)  # a day's session, as the form makes
        live = live_sessions.schedule(session, live_sessions.SessionDetails(
            course=course, mode=SessionMode.IN_PERSON, starts_at=starts,
            ends_at=starts + timedelta(hours=3), capacity=5, venue="Central Library, Room 2",
            borough=Borough.LIVERPOOL), actor=coordinator)
        session.add(SessionBooking(session_id=live.id, user_id=ann.id,
                                   status=BookingStatus.BOOKED))
        live.booked_count = 1
        session.commit()
        people = {"coordinator": coordinator.email, "ann": ann.email, "session": live.id}
    sign_in(page, live_server, people["coordinator"])
    page.goto(f"{live_server.url}/training/sessions/{people['session']}/attendance")
    page.get_by_role("link", name="Change the session’s details").click()
    expect(page.get_by_label("Venue (in person)")).to_have_value("Central Library, Room 2")
    assert_accessible(page)
    page.get_by_label("Venue (in person)").fill("")
    page.get_by_label("Access information (in person, optional)").fill("Hearing loop")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(page.get_by_label("Access information (in person, optional)")).to_have_value(
        "Hearing loop")
    assert_accessible(page)
    page.get_by_label("Venue (in person)").fill("Town Hall, Room 1")
    page.get_by_label("Start time").fill("11:00")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("Session details saved")).to_be_visible()
    with live_server.db() as session:
        (told,) = session.scalars(select(OutboxMessage).where(
            OutboxMessage.to_address == people["ann"], OutboxMessage.kind == "session_changed"))
        assert told.subject == "A training session has changed – Workplace Champions"
        assert told.attachment_name == "invitation.ics" and "METHOD:REQUEST" in (
            told.attachment_text or "")

    page.get_by_role("link", name="Cancel this session").click()
    expect(page.get_by_text("Booked: 1. On the waiting list: 0.")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Yes, cancel this session").click()
    expect(page.get_by_text("Session cancelled. People emailed: 1")).to_be_visible()
    expect(page.get_by_text("This session was cancelled on")).to_be_visible()
    assert_accessible(page)

    switch_to(page, live_server, people["ann"])
    page.goto(f"{live_server.url}/training/sessions/{people['session']}")
    expect(page.get_by_text("This session has been cancelled")).to_be_visible()
    expect(page.get_by_role("button", name="Cancel your place")).to_have_count(0)
    assert_accessible(page)
