"""Live-session pages: who sees and manages which session, the joining link only for booked
people, every scheduling (and change of details) error at once with nothing lost, HR leads
booking for their own champions only, attendance pages that take no notes, and only
coordinators and the session's trainer changing or cancelling a session."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from bench.sqlcount import count_statements as statements_of
from portal import clock
from portal.models import (
    Attendance,
    BookingStatus,
    Course,
    LiveSession,
    OrgRole,
    OutboxMessage,
    SessionBooking,
    SessionMode,
    utcnow,
)
from tests.conftest import csrf_token, visible_text
from tests.factories import make_course, make_member_organisation, make_user
from tests.training_steps import load_basics, make_champion

LINK = "https://meet.example.org/secret-room"


def post(client, path: str, data: dict | None = None):  # noqa: ANN001, ANN201 - test helper
    return client.post(path, data={"csrf_token": csrf_token(client, "/dashboard"),
                                   **(data or {})})


def make_session(session, course: Course, *, starts_in: timedelta = timedelta(days=3),  # noqa: ANN001
                 capacity: int = 1, trainer=None) -> LiveSession:  # noqa: ANN001
    starts = (utcnow() + starts_in).replace(second=0, microsecond=0)
    live = LiveSession(course_id=course.id, mode=SessionMode.ONLINE, joining_link=LINK,
                       capacity=capacity, starts_at=starts, ends_at=starts + timedelta(hours=2),
                       trainer_id=trainer.id if trainer else None)
    session.add(live)
    session.flush()
    return live


@pytest.fixture
def basics(session):  # noqa: ANN001, ANN201
    return load_basics(session)[0]


@pytest.fixture
def org(session, basics):  # noqa: ANN001, ANN201
    return make_member_organisation(session)


def test_joining_link_only_for_booked_people(session, signed_in, basics, org) -> None:  # noqa: ANN001
    live = make_session(session, basics, capacity=1)
    first, second = make_champion(session, org), make_champion(session, org)
    a, b = signed_in(first), signed_in(second)
    page = f"/training/sessions/{live.id}"
    assert LINK not in a.get(page).get_data(as_text=True)
    assert post(a, f"{page}/book").status_code == 303
    assert LINK in a.get(page).get_data(as_text=True)
    post(b, f"{page}/book")
    text = visible_text(b.get(page).get_data(as_text=True))
    assert "You are number 1 on the waiting list" in text and LINK not in text
    post(a, f"{page}/cancel")  # the place goes to the waiting list, with the link
    assert LINK in b.get(page).get_data(as_text=True)


def test_sessions_of_other_audiences_and_attendance_are_out_of_reach(session, signed_in,  # noqa: ANN001
                                                                     basics, org) -> None:
    hr_course = make_course(session, audience="hr_lead")
    live = make_session(session, hr_course)
    champion = signed_in(make_champion(session, org))
    assert champion.get(f"/training/sessions/{live.id}").status_code == 404
    assert post(champion, f"/training/sessions/{live.id}/book").status_code == 404
    own = make_session(session, basics)
    session.commit()
    assert champion.get(f"/training/sessions/{own.id}/attendance").status_code == 404
    assert champion.get("/training/sessions/new").status_code == 404


def test_a_trainer_manages_only_their_own_sessions(session, signed_in, basics) -> None:  # noqa: ANN001
    trainer = make_user(session)
    mine = make_session(session, basics, trainer=trainer, starts_in=timedelta(hours=-1))
    other = make_session(session, basics, starts_in=timedelta(hours=-1))
    person = make_champion(session, make_member_organisation(session))
    booking = SessionBooking(session_id=mine.id, user_id=person.id, status=BookingStatus.BOOKED)
    session.add(booking)
    session.commit()
    client = signed_in(trainer)
    assert client.get(f"/training/sessions/{other.id}/attendance").status_code == 404
    page = f"/training/sessions/{mine.id}/attendance"
    assert person.full_name in client.get(page).get_data(as_text=True)
    missing = post(client, page, {})
    assert missing.status_code == 400
    assert f"Select whether {person.full_name} attended" in missing.get_data(as_text=True)
    assert post(client, page, {f"attendance-{booking.id}": "left_early"}).status_code == 303
    session.expire_all()
    assert session.get(SessionBooking, booking.id).attendance == Attendance.LEFT_EARLY


def test_scheduling_shows_every_error_at_once_and_keeps_what_was_typed(session, signed_in,  # noqa: ANN001
                                                                         basics) -> None:
    coordinator = signed_in(make_user(session, is_coordinator=True))
    yesterday = clock.today() - timedelta(days=1)
    response = post(coordinator, "/training/sessions/new", {
        "course": str(basics.id), "mode": "in_person", "venue": "", "borough": "",
        "day": [str(yesterday.day), str(yesterday.month), str(yesterday.year)],
        "starts": "10:00", "ends": "9:00",
        "capacity": "many", "trainer_email": "nobody@example.org", "access_info": "Ramp"})
    assert response.status_code == 400
    text = visible_text(response.get_data(as_text=True))
    for message in ("Enter the venue", "Select the borough", "The session must start in the "
                    "future", "The end time must be after the start time",
                    "The number of places must be a whole number from 1 to 500",
                    "Enter the email address of someone with an account"):
        assert message in text, message
    assert "Ramp" in response.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(LiveSession)) == 0


def test_scheduling_an_online_session(session, signed_in, basics) -> None:  # noqa: ANN001
    trainer = make_user(session, email="trainer@example.org")
    coordinator = signed_in(make_user(session, is_coordinator=True))
    day = clock.today() + timedelta(days=10)
    response = post(coordinator, "/training/sessions/new", {
        "course": str(basics.id), "mode": "online", "joining_link": LINK,
        "day": [str(day.day), str(day.month), str(day.year)],
        "starts": "09:30", "ends": "12:00", "capacity": "12",
        "trainer_email": "Trainer@Example.org"})
    assert response.status_code == 303
    live = session.scalar(select(LiveSession))
    assert (live.capacity, live.trainer_id, live.joining_link) == (12, trainer.id, LINK)
    assert live.starts_at.astimezone(clock.LONDON).strftime("%H:%M") == "09:30"


def test_hr_leads_book_only_their_own_champions(session, signed_in, basics, org) -> None:  # noqa: ANN001
    live = make_session(session, basics, capacity=5)
    own = make_champion(session, org, full_name="Ann Lee")
    elsewhere = make_champion(session, make_member_organisation(session))
    hr = signed_in(make_user(session, organisation=org, role=OrgRole.HR_LEAD))
    page = f"/organisations/{org.id}/sessions/{live.id}/book"
    assert "Ann Lee" in hr.get(page).get_data(as_text=True)
    refused = post(hr, page, {"champion": str(elsewhere.id)})
    assert refused.status_code == 400
    assert post(hr, page, {"champion": str(own.id)}).status_code == 303
    booked = session.scalars(select(SessionBooking.user_id)).all()
    assert booked == [own.id]
    other_org = make_member_organisation(session)
    assert hr.get(f"/organisations/{other_org.id}/sessions/{live.id}/book").status_code == 404
    cancel = f"/organisations/{org.id}/sessions/{live.id}/cancel"
    session.add(SessionBooking(session_id=live.id, user_id=elsewhere.id,
                               status=BookingStatus.BOOKED))
    session.commit()
    assert post(hr, cancel, {"champion": str(elsewhere.id)}).status_code == 404
    assert "Ann Lee: booked" in visible_text(hr.get(page).get_data(as_text=True))
    assert post(hr, cancel, {"champion": str(own.id)}).status_code == 303
    session.expire_all()
    statuses = dict(session.execute(select(SessionBooking.user_id, SessionBooking.status)).all())
    assert statuses == {own.id: BookingStatus.CANCELLED, elsewhere.id: BookingStatus.BOOKED}


def count_statements(app, client, path: str) -> int:  # noqa: ANN001
    with statements_of(app.extensions["portal.engine"]) as log:
        assert client.get(path).status_code == 200
    return log.count


def test_session_lists_cost_the_same_statements_however_many_sessions(app, session, signed_in,  # noqa: ANN001
                                                                      basics, org) -> None:
    champion = make_champion(session, org)
    coordinator = make_user(session, is_coordinator=True)
    make_session(session, basics, capacity=3)
    session.commit()
    clients = {"/training/sessions": signed_in(champion),
               "/training/sessions/managed": signed_in(coordinator)}
    few = {path: count_statements(app, client, path) for path, client in clients.items()}
    for number in range(15):
        live = make_session(session, basics, capacity=3)
        if number % 3 == 0:  # cancelled ones are listed (marked) to those who run them
            live.cancelled_at = utcnow()
        session.add(SessionBooking(session_id=live.id, user_id=champion.id,
                                   status=BookingStatus.BOOKED))
    session.commit()
    for path, client in clients.items():
        assert count_statements(app, client, path) == few[path], path
    attendance = f"/training/sessions/{live.id}/attendance"
    one = count_statements(app, clients["/training/sessions/managed"], attendance)
    for _ in range(10):
        session.add(SessionBooking(session_id=live.id, user_id=make_champion(session, org).id,
                                   status=BookingStatus.WAITING))
    session.commit()
    assert count_statements(app, clients["/training/sessions/managed"], attendance) == one


def test_more_places_go_to_the_waiting_list_in_order(session, signed_in, basics, org) -> None:  # noqa: ANN001
    live = make_session(session, basics, capacity=1)
    first, second, third = (make_champion(session, org) for _ in range(3))
    coordinator = signed_in(make_user(session, is_coordinator=True))
    for person in (first, second, third):
        post(signed_in(person), f"/training/sessions/{live.id}/book")
    page = f"/training/sessions/{live.id}/capacity"
    too_few = post(coordinator, page, {"capacity": "0"})
    assert too_few.status_code == 400
    assert "whole number from 1 to 500" in visible_text(too_few.get_data(as_text=True))
    assert post(coordinator, page, {"capacity": "2"}).status_code == 303
    session.expire_all()
    statuses = dict(session.execute(select(SessionBooking.user_id, SessionBooking.status)).all())
    assert statuses == {first.id: "booked", second.id: "booked", third.id: "waiting"}
    below = post(coordinator, page, {"capacity": "1"})
    assert below.status_code == 400
    assert "cannot be fewer than the 2 already booked" in below.get_data(as_text=True)


def change_form(day, **fields: str) -> dict:  # noqa: ANN001
    """A complete, valid change of details: an online session on `day`, 10:00 to 12:00."""
    return {"mode": "online", "joining_link": LINK, "venue": "", "borough": "",
            "access_info": "", "day": [str(day.day), str(day.month), str(day.year)],
            "starts": "10:00", "ends": "12:00", **fields}


def test_only_coordinators_and_the_sessions_trainer_change_or_cancel_it(session, signed_in,  # noqa: ANN001
                                                                        basics, org) -> None:
    trainer = make_user(session, email="trainer@example.org")
    live = make_session(session, basics, trainer=trainer)
    day = clock.today() + timedelta(days=3)  # 10:00 to 12:00 UK time, as change_form says
    live.starts_at = datetime.combine(day, time(10), tzinfo=clock.LONDON)
    live.ends_at = live.starts_at + timedelta(hours=2)
    other = make_session(session, basics)
    session.commit()
    outsiders = [signed_in(make_champion(session, org)),
                 signed_in(make_user(session, organisation=org, role=OrgRole.HR_LEAD))]
    for client in outsiders:
        for path in ("change", "cancel-session"):
            assert client.get(f"/training/sessions/{live.id}/{path}").status_code == 404
            assert post(client, f"/training/sessions/{live.id}/{path}").status_code == 404
    own = signed_in(trainer)
    assert own.get(f"/training/sessions/{other.id}/change").status_code == 404
    assert post(own, f"/training/sessions/{other.id}/cancel-session").status_code == 404
    page = own.get(f"/training/sessions/{live.id}/change").get_data(as_text=True)
    assert LINK in page  # filled in with the session as it is
    assert 'name="trainer_email"' not in page  # only coordinators appoint trainers
    coordinator = signed_in(make_user(session, is_coordinator=True))
    page = coordinator.get(f"/training/sessions/{live.id}/change").get_data(as_text=True)
    assert 'value="trainer@example.org"' in page
    as_it_is = change_form(day, trainer_email="trainer@example.org")
    unchanged = post(coordinator, f"/training/sessions/{live.id}/change", as_it_is)
    assert "Nothing was changed" in visible_text(
        coordinator.get(unchanged.location).get_data(as_text=True))
    session.expire_all()
    assert session.get(LiveSession, other.id).cancelled_at is None


def test_changing_details_shows_every_error_at_once_and_keeps_what_was_typed(
        session, signed_in, basics) -> None:  # noqa: ANN001
    live = make_session(session, basics)
    session.commit()
    before = (live.starts_at, live.joining_link)
    coordinator = signed_in(make_user(session, is_coordinator=True))
    yesterday = clock.today() - timedelta(days=1)
    response = post(coordinator, f"/training/sessions/{live.id}/change", change_form(
        yesterday, mode="in_person", venue="", access_info="Ramp at the side door",
        ends="09:00", trainer_email="nobody@example.org"))
    assert response.status_code == 400
    text = visible_text(response.get_data(as_text=True))
    for message in ("Enter the venue", "Select the borough",
                    "The session must start in the future",
                    "The end time must be after the start time",
                    "Enter the email address of someone with an account"):
        assert message in text, message
    assert "Ramp at the side door" in response.get_data(as_text=True)
    session.expire_all()
    assert (session.get(LiveSession, live.id).starts_at,
            session.get(LiveSession, live.id).joining_link) == before


def test_a_trainer_changes_their_session_and_booked_people_are_told(session, signed_in,  # noqa: ANN001
                                                                      basics, org) -> None:
    trainer = make_user(session)
    live = make_session(session, basics, trainer=trainer)
    person = make_champion(session, org)
    session.commit()
    post(signed_in(person), f"/training/sessions/{live.id}/book")
    day = clock.today() + timedelta(days=5)
    own = signed_in(trainer)
    response = post(own, f"/training/sessions/{live.id}/change", change_form(
        day, mode="in_person", joining_link="", venue="Town Hall", borough="wirral"))
    assert response.status_code == 303
    session.expire_all()
    changed = session.get(LiveSession, live.id)
    assert (changed.venue, changed.joining_link, changed.trainer_id) == ("Town Hall", "",
                                                                         trainer.id)
    assert changed.starts_at.astimezone(clock.LONDON).strftime("%H:%M") == "10:00"
    assert session.scalar(select(func.count()).where(
        OutboxMessage.kind == "session_changed", OutboxMessage.to_address == person.email)) == 1
    started = make_session(session, basics, trainer=trainer, starts_in=timedelta(hours=-1))
    session.commit()
    refused = own.get(f"/training/sessions/{started.id}/change", follow_redirects=True)
    assert "This session has started, so its details can no longer change" in visible_text(
        refused.get_data(as_text=True))


def test_cancelling_a_session_after_confirming(session, signed_in, basics, org) -> None:  # noqa: ANN001
    live = make_session(session, basics, capacity=1)
    booked, waiting = make_champion(session, org), make_champion(session, org)
    session.commit()
    for person in (booked, waiting):
        post(signed_in(person), f"/training/sessions/{live.id}/book")
    coordinator = signed_in(make_user(session, is_coordinator=True))
    page = f"/training/sessions/{live.id}/cancel-session"
    confirm = visible_text(coordinator.get(page).get_data(as_text=True))
    assert "Booked: 1. On the waiting list: 1." in confirm
    session.expire_all()
    assert session.get(LiveSession, live.id).cancelled_at is None  # asking changes nothing
    assert coordinator.post(page, data={}).status_code == 400  # no CSRF token: refused
    done = post(coordinator, page)
    assert done.status_code == 303
    text = visible_text(coordinator.get(done.location).get_data(as_text=True))
    assert "Session cancelled. People emailed: 2" in text
    assert "This session was cancelled on" in text
    assert "Change the session’s details" not in text
    session.expire_all()
    assert session.get(LiveSession, live.id).cancelled_at is not None
    statuses = set(session.scalars(select(SessionBooking.status)))
    assert statuses == {BookingStatus.CANCELLED}
    champion = signed_in(make_champion(session, org))
    assert "No sessions are scheduled" in visible_text(
        champion.get("/training/sessions").get_data(as_text=True))
    detail = visible_text(champion.get(f"/training/sessions/{live.id}").get_data(as_text=True))
    assert "This session has been cancelled, so it cannot be booked" in detail
    flashed = post(champion, f"/training/sessions/{live.id}/book")
    assert flashed.status_code == 303
    assert "This session has been cancelled, so it can no longer be booked" in visible_text(
        champion.get(flashed.location).get_data(as_text=True))
    assert session.scalar(select(func.count()).select_from(SessionBooking).where(
        SessionBooking.status != BookingStatus.CANCELLED)) == 0
    assert "Cancelled" in visible_text(
        coordinator.get("/training/sessions/managed").get_data(as_text=True))
    again = post(coordinator, page)  # a second time: nothing more happens
    assert again.status_code == 303
    assert session.scalar(select(func.count()).where(
        OutboxMessage.kind == "session_called_off")) == 2


def test_the_cancel_page_costs_the_same_statements_however_many_bookings(
        app, session, signed_in, basics, org) -> None:  # noqa: ANN001
    live = make_session(session, basics, capacity=3)
    coordinator = signed_in(make_user(session, is_coordinator=True))
    session.add(SessionBooking(session_id=live.id, user_id=make_champion(session, org).id,
                               status=BookingStatus.BOOKED))
    session.commit()
    page = f"/training/sessions/{live.id}/cancel-session"
    few = count_statements(app, coordinator, page)
    for status in [BookingStatus.BOOKED] * 2 + [BookingStatus.WAITING] * 10:
        session.add(SessionBooking(session_id=live.id, user_id=make_champion(session, org).id,
                                   status=status))
    session.commit()
    assert count_statements(app, coordinator, page) == few
