"""Live sessions: places, the waiting list in order, cancelling and promotion, attendance and
certification through modules plus a session (either order), the neutral .ics invitation,
capacity under 20 parallel bookings (PostgreSQL and SQLite), changing a session's details
(updated invitations) and cancelling a whole session, also while people are booking it."""

from __future__ import annotations

import re
import threading
from datetime import timedelta
from email.message import EmailMessage

import pytest
from flask import Flask
from icalendar import Calendar, Event
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal import clock
from portal.mail import Attachment, Claimed, build_message, claim_due_messages
from portal.models import (
    Attendance,
    AuditEvent,
    BookingStatus,
    Certificate,
    Course,
    LiveSession,
    OutboxMessage,
    SessionBooking,
    SessionMode,
    User,
    utcnow,
)
from portal.services import live_sessions, reminders
from tests.conftest import make_app
from tests.factories import make_member_organisation, make_user
from tests.training_steps import load_basics, make_champion, pass_module

SENSITIVE = re.compile(r"domestic|abuse|basics course", re.IGNORECASE)


@pytest.fixture
def ctx(app: Flask):
    """Booking queues e-mails, which render templates: inside the app, as a request is."""
    with app.app_context():
        yield


def new_session(session: Session, course: Course, *, capacity: int = 2,
                starts_in: timedelta = timedelta(days=7),
                mode: SessionMode = SessionMode.IN_PERSON) -> LiveSession:
    coordinator = make_user(session, is_coordinator=True)
    starts = (utcnow() + starts_in).replace(second=0, microsecond=0)
    details = live_sessions.SessionDetails(
        course=course, mode=mode, starts_at=starts, ends_at=starts + timedelta(hours=3),
        capacity=capacity, venue="Central Library, Room 2", access_info="Step-free entrance",
        joining_link="https://meet.example.org/abc" if mode is SessionMode.ONLINE else "")
    return live_sessions.schedule(session, details, actor=coordinator)


def people(session: Session, count: int) -> list[User]:
    organisation = make_member_organisation(session)
    return [make_champion(session, organisation) for _ in range(count)]


def statuses(session: Session, live_session: LiveSession) -> list[tuple[int, BookingStatus]]:
    session.expire_all()
    return [(b.user_id, b.status) for b in session.scalars(
        select(SessionBooking).where(SessionBooking.session_id == live_session.id)
        .order_by(SessionBooking.id))]


def mails(session: Session, kind: str, user: User | None = None) -> list[OutboxMessage]:
    query = select(OutboxMessage).where(OutboxMessage.kind == kind) if kind \
        else select(OutboxMessage)
    if user is not None:
        query = query.where(OutboxMessage.to_address == user.email)
    return list(session.scalars(query.order_by(OutboxMessage.id)))


def test_a_full_session_takes_a_waiting_list_promoted_in_order(session, ctx) -> None:
    course, _ = load_basics(session)
    live = new_session(session, course, capacity=2)
    a, b, c, d = people(session, 4)
    for person in (a, b, c, d):
        live_sessions.book(session, live, person, actor=person, now=utcnow())
    assert [s for _, s in statuses(session, live)] == ["booked", "booked", "waiting", "waiting"]
    assert live.booked_count == 2
    assert len(mails(session, "session_waiting")) == 2

    booking_a = live_sessions.active_booking(session, live, a)
    promoted = live_sessions.cancel(session, booking_a, actor=a, now=utcnow())
    assert [p.user_id for p in promoted] == [c.id]  # the first on the list, not the second
    assert dict(statuses(session, live)) == {a.id: "cancelled", b.id: "booked",
                                             c.id: "booked", d.id: "waiting"}
    assert live.booked_count == 2
    promotion = mails(session, "session_booked", c)
    assert len(promotion) == 1 and "A place has come free" in promotion[0].body_text
    assert live_sessions.cancel(session, booking_a, actor=a, now=utcnow()) == []  # twice: no-op

    waiting_d = live_sessions.active_booking(session, live, d)
    assert live_sessions.waiting_position(session, waiting_d) == 1
    assert live_sessions.cancel(session, waiting_d, actor=d, now=utcnow()) == []
    assert live.booked_count == 2


def test_one_booking_per_person_and_none_once_started(session, ctx) -> None:
    course, _ = load_basics(session)
    live = new_session(session, course)
    (person,) = people(session, 1)
    live_sessions.book(session, live, person, actor=person, now=utcnow())
    with pytest.raises(live_sessions.AlreadyBookedError):
        live_sessions.book(session, live, person, actor=person, now=utcnow())
    later = live.starts_at + timedelta(minutes=1)
    with pytest.raises(live_sessions.SessionStartedError):
        live_sessions.cancel(session, live_sessions.active_booking(session, live, person),
                             actor=person, now=later)
    with pytest.raises(live_sessions.SessionStartedError):
        live_sessions.book(session, live, people(session, 1)[0], actor=person, now=later)


def test_confirmation_carries_a_neutral_ics_invitation(app: Flask, session, ctx) -> None:
    course, _ = load_basics(session)
    live = new_session(session, course, mode=SessionMode.ONLINE)
    (person,) = people(session, 1)
    live_sessions.book(session, live, person, actor=person, now=utcnow())
    session.commit()
    (claimed,) = claim_due_messages(session)
    message = build_message(claimed)
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_filename() == "invitation.ics"
    assert attachment.get_content_type() == "text/calendar"
    calendar = Calendar.from_ical(attachment.get_content())
    (event,) = calendar.walk("VEVENT")
    assert str(event["SUMMARY"]) == "Training session"
    assert event.decoded("DTSTART") == live.starts_at
    assert "https://meet.example.org/abc" in str(event["DESCRIPTION"])
    for text in (message["Subject"], attachment.get_filename(), str(event["SUMMARY"]),
                 attachment.get_content(), message.get_body().get_content()):
        assert not SENSITIVE.search(text), text
        assert course.title not in text


def test_certified_after_modules_then_session(session, ctx) -> None:
    course, modules = load_basics(session)
    course.requires_live_session = True
    live = new_session(session, course, starts_in=timedelta(days=-1))
    (person,) = people(session, 1)
    booking = SessionBooking(session_id=live.id, user_id=person.id, status=BookingStatus.BOOKED)
    session.add(booking)
    session.flush()
    for module in modules.values():
        pass_module(session, person, module)
    assert session.scalar(select(func.count()).select_from(Certificate)) == 0  # session to go
    certified = live_sessions.mark_attendance(session, live, {booking.id: Attendance.ATTENDED},
                                              actor=person, now=utcnow())
    assert certified == 1
    # Marking again issues nothing more.
    assert live_sessions.mark_attendance(session, live, {booking.id: Attendance.ATTENDED},
                                         actor=person, now=utcnow()) == 0
    assert session.scalar(select(func.count()).select_from(Certificate)) == 1


def test_certified_after_session_then_modules_and_left_early_does_not_count(session,
                                                                            ctx) -> None:
    course, modules = load_basics(session)
    course.requires_live_session = True
    live = new_session(session, course, starts_in=timedelta(days=-1))
    present, left = people(session, 2)
    bookings = {}
    for person in (present, left):
        bookings[person.id] = SessionBooking(session_id=live.id, user_id=person.id,
                                             status=BookingStatus.BOOKED)
        session.add(bookings[person.id])
    session.flush()
    with pytest.raises(live_sessions.SessionNotStartedError):
        live_sessions.mark_attendance(session, live, {}, actor=present,
                                      now=live.starts_at - timedelta(minutes=1))
    live_sessions.mark_attendance(session, live, {bookings[present.id].id: Attendance.ATTENDED,
                                                  bookings[left.id].id: Attendance.LEFT_EARLY},
                                  actor=present, now=utcnow())
    for person in (present, left):
        for module in modules.values():
            pass_module(session, person, module)
    holders = set(session.scalars(select(Certificate.user_id)))
    assert holders == {present.id}


def book_in_parallel(url: str, session_id: int, user_ids: list[int], *,
                     cancel_by: int | None = None) -> list[BaseException]:
    """Everyone books at once; with `cancel_by`, that coordinator cancels the session among
    them (halfway through the list)."""
    actors: list[int | None] = list(user_ids)
    if cancel_by is not None:
        actors.insert(len(actors) // 2, None)
    apps = [make_app(url) for _ in range(len(actors))]
    barrier = threading.Barrier(len(apps))
    errors: list[BaseException] = []

    def work(app: Flask, user_id: int | None) -> None:
        try:
            with app.app_context(), app.extensions["portal.sessionmaker"]() as db:
                live = db.get(LiveSession, session_id)
                person = db.get(User, cancel_by if user_id is None else user_id)
                db.rollback()  # start the booking's transaction afresh, as a request does
                barrier.wait()
                if user_id is None:
                    live_sessions.cancel_session(db, live, actor=person, now=utcnow())
                else:
                    live_sessions.book(db, live, person, actor=person, now=utcnow())
                db.commit()
        except BaseException as error:  # noqa: BLE001 - reported by the caller's assertion
            errors.append(error)

    threads = [threading.Thread(target=work, args=pair) for pair in zip(apps, actors,
                                                                        strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for app in apps:
        app.extensions["portal.engine"].dispose()
    return errors


def test_twenty_parallel_bookings_for_five_places(database_url: str, session, ctx) -> None:
    """Acceptance 2: exactly 5 places and 15 on the waiting list, in the order of booking."""
    course, _ = load_basics(session)
    live = new_session(session, course, capacity=5)
    ids = [p.id for p in people(session, 20)]
    session.commit()
    errors = book_in_parallel(database_url, live.id, ids)
    assert errors == []
    session.expire_all()
    counts = dict(session.execute(select(SessionBooking.status, func.count())
                                  .where(SessionBooking.session_id == live.id)
                                  .group_by(SessionBooking.status)).all())
    assert counts == {BookingStatus.BOOKED: 5, BookingStatus.WAITING: 15}
    assert session.get(LiveSession, live.id).booked_count == 5
    # The five places went to the five earliest bookings.
    rows = session.execute(select(SessionBooking.status).where(
        SessionBooking.session_id == live.id).order_by(SessionBooking.id)).scalars().all()
    assert rows[:5] == [BookingStatus.BOOKED] * 5


def test_a_booked_session_joins_the_daily_digest_once_in_neutral_words(session, ctx) -> None:
    course, _ = load_basics(session)
    live = new_session(session, course, capacity=1, starts_in=timedelta(days=2))
    booked, waiting = people(session, 2)
    for person in (booked, waiting):
        live_sessions.book(session, live, person, actor=person, now=utcnow())
    session.commit()
    today = clock.today()
    reminders.send_reminders(session, today=today)
    (digest,) = mails(session, "reminders", booked)
    assert "You have a place at a training session on" in digest.body_text
    assert f"/training/sessions/{live.id}" in digest.body_text
    assert not SENSITIVE.search(digest.subject + digest.body_text)
    assert course.title not in digest.body_text
    assert all("training session" not in m.body_text for m in mails(session, "reminders",
                                                                     waiting))
    reminders.send_reminders(session, today=today + timedelta(days=1))
    assert len(mails(session, "reminders", booked)) == 1  # once per booking


def new_mail(session: Session, user: User) -> list[tuple[EmailMessage, Event | None, str]]:
    """The e-mails to the person since the last look, built as the worker sends them, each
    checked to be neutral throughout: (message, its calendar event or None, the METHOD)."""
    session.flush()
    found = []
    for row in mails(session, "", user):
        message = build_message(Claimed(row.id, row.to_address, row.subject, row.body_text, 0,
                                        "test", attachment=Attachment(
                                            row.attachment_name, row.attachment_type or "",
                                            row.attachment_text or "")
                                        if row.attachment_name else None))
        texts = [message["Subject"], message.get_body().get_content()]
        event, method = None, ""
        for attachment in message.iter_attachments():
            calendar = Calendar.from_ical(attachment.get_content())
            (event,) = calendar.walk("VEVENT")
            method = str(calendar["METHOD"])
            texts += [attachment.get_filename(), str(event["SUMMARY"]), attachment.get_content()]
        for text in texts:
            assert not SENSITIVE.search(text), text
        found.append((message, event, method))
        session.delete(row)
    session.flush()
    return found


def details_of(live: LiveSession, **changes: object) -> live_sessions.SessionDetails:
    """The session's details as they are, but for the changes given."""
    current = {"course": live.course, "mode": live.mode, "starts_at": live.starts_at,
               "ends_at": live.ends_at, "capacity": live.capacity, "venue": live.venue,
               "borough": live.borough, "access_info": live.access_info,
               "joining_link": live.joining_link, "trainer": live.trainer}
    return live_sessions.SessionDetails(**{**current, **changes})  # type: ignore[arg-type]


def test_a_new_time_sends_booked_people_an_updated_invitation(session, ctx) -> None:
    course, _ = load_basics(session)
    live = new_session(session, course, capacity=1)
    booked, waiting = people(session, 2)
    for person in (booked, waiting):
        live_sessions.book(session, live, person, actor=person, now=utcnow())
    ((_, first, method),) = new_mail(session, booked)
    assert (method, int(first["SEQUENCE"])) == ("PUBLISH", 0)
    new_mail(session, waiting)
    coordinator = make_user(session, is_coordinator=True)
    later = live.starts_at + timedelta(days=1)

    changed = live_sessions.change_details(
        session, live, details_of(live, starts_at=later, ends_at=later + timedelta(hours=2)),
        actor=coordinator, now=utcnow())

    assert changed == ["ends_at", "starts_at"]
    ((message, update, method),) = new_mail(session, booked)
    assert message["Subject"].startswith("A training session has changed")
    assert method == "REQUEST"
    assert str(update["UID"]) == str(first["UID"])  # the same calendar entry, replaced
    assert int(update["SEQUENCE"]) == 1
    assert update.decoded("DTSTART") == later
    assert str(update["ATTENDEE"]) == f"mailto:{booked.email}"
    assert str(update["ORGANIZER"]).startswith("mailto:")  # whom calendars answer to
    assert "cancel your place" in message.get_body().get_content()
    ((told, no_invitation, _),) = new_mail(session, waiting)
    assert no_invitation is None  # no calendar entry to update
    assert "waiting list" in told.get_body().get_content()
    event = session.scalar(select(AuditEvent).where(
        AuditEvent.action == "live_session.details_changed"))
    assert event is not None and event.target_id == live.id


def test_only_the_people_a_change_concerns_hear_of_it(session, ctx) -> None:
    course, _ = load_basics(session)
    live = new_session(session, course, capacity=1)
    booked, waiting = people(session, 2)
    for person in (booked, waiting):
        live_sessions.book(session, live, person, actor=person, now=utcnow())
    for person in (booked, waiting):
        new_mail(session, person)
    coordinator = make_user(session, is_coordinator=True)
    trainer = make_user(session)

    # A new trainer: nobody booked is told (they are not shown the trainer).
    assert live_sessions.change_details(session, live, details_of(live, trainer=trainer),
                                        actor=coordinator, now=utcnow()) == ["trainer_id"]
    assert new_mail(session, booked) == [] == new_mail(session, waiting)
    # Nothing different: nothing happens.
    assert live_sessions.change_details(session, live, details_of(live), actor=coordinator,
                                        now=utcnow()) == []
    # New access information: booked people only, and their calendar entry stays as it is.
    assert live_sessions.change_details(
        session, live, details_of(live, access_info="Hearing loop in Room 2"),
        actor=coordinator, now=utcnow()) == ["access_info"]
    ((message, event, _),) = new_mail(session, booked)
    assert event is None and "Hearing loop in Room 2" in message.get_body().get_content()
    assert new_mail(session, waiting) == []
    assert live.invitation_sequence == 0
    # Online instead: the venue goes, and everyone hears of the new place.
    changed = live_sessions.change_details(
        session, live, details_of(live, mode=SessionMode.ONLINE,
                                  joining_link="https://meet.example.org/new"),
        actor=coordinator, now=utcnow())
    assert changed == ["access_info", "joining_link", "mode", "venue"]
    assert (live.venue, live.access_info) == ("", "")
    ((_, event, method),) = new_mail(session, booked)
    assert method == "REQUEST" and "https://meet.example.org/new" in str(event["DESCRIPTION"])
    assert len(new_mail(session, waiting)) == 1


def test_cancelling_a_session_cancels_every_booking_and_tells_everyone(session, ctx) -> None:
    course, _ = load_basics(session)
    live = new_session(session, course, capacity=1, starts_in=timedelta(days=2))
    booked, first, second = people(session, 3)
    for person in (booked, first, second):
        live_sessions.book(session, live, person, actor=person, now=utcnow())
    ((_, confirmation, _),) = new_mail(session, booked)
    for person in (first, second):
        new_mail(session, person)  # their places on the waiting list
    coordinator = make_user(session, is_coordinator=True)

    assert live_sessions.cancel_session(session, live, actor=coordinator, now=utcnow()) == 3

    assert [s for _, s in statuses(session, live)] == ["cancelled"] * 3
    live = session.get(LiveSession, live.id)
    assert live.is_cancelled and live.booked_count == 0
    ((message, withdrawal, method),) = new_mail(session, booked)
    assert message["Subject"].startswith("A training session is cancelled")
    assert method == "CANCEL" and str(withdrawal["STATUS"]) == "CANCELLED"
    assert str(withdrawal["UID"]) == str(confirmation["UID"])
    assert int(withdrawal["SEQUENCE"]) > int(confirmation["SEQUENCE"])
    for person in (first, second):
        ((told, event, _),) = new_mail(session, person)
        assert event is None and "waiting list is closed" in told.get_body().get_content()
    assert session.scalar(select(AuditEvent.details).where(
        AuditEvent.action == "live_session.cancelled")) == {"people_told": 3}
    # Kept, but not offered, not changeable, and not in anyone's digest.
    assert live not in live_sessions.upcoming(session, utcnow())
    assert live in live_sessions.managed_by(session, coordinator)
    for refused in (
            lambda: live_sessions.book(session, live, booked, actor=booked, now=utcnow()),
            lambda: live_sessions.change_capacity(session, live, 3, actor=coordinator,
                                                  now=utcnow()),
            lambda: live_sessions.change_details(session, live, details_of(live),
                                                 actor=coordinator, now=utcnow()),
            lambda: live_sessions.cancel_session(session, live, actor=coordinator,
                                                 now=utcnow())):
        with pytest.raises(live_sessions.SessionCancelledError):
            refused()
    reminders.send_reminders(session, today=clock.today())
    assert all("training session" not in m.body_text for m in mails(session, "reminders"))


def test_a_started_session_can_neither_change_nor_be_cancelled(session, ctx) -> None:
    course, _ = load_basics(session)
    live = new_session(session, course)
    coordinator = make_user(session, is_coordinator=True)
    started = live.starts_at + timedelta(minutes=1)
    with pytest.raises(live_sessions.SessionStartedError):
        live_sessions.change_details(session, live, details_of(live, venue="Elsewhere"),
                                     actor=coordinator, now=started)
    with pytest.raises(live_sessions.SessionStartedError):
        live_sessions.cancel_session(session, live, actor=coordinator, now=started)
    assert live.venue == "Central Library, Room 2" and not live.is_cancelled


def test_cancelling_while_people_book_leaves_no_active_booking(database_url: str, session,
                                                               ctx) -> None:
    """The cancellation takes the session's lock like bookings do: a booking either comes
    first (and is cancelled with the rest) or finds the session cancelled."""
    course, _ = load_basics(session)
    live = new_session(session, course, capacity=3)
    ids = [p.id for p in people(session, 8)]
    coordinator_id = make_user(session, is_coordinator=True).id
    session.commit()
    errors = book_in_parallel(database_url, live.id, ids, cancel_by=coordinator_id)
    assert {type(e) for e in errors} <= {live_sessions.SessionCancelledError}
    session.expire_all()
    assert session.get(LiveSession, live.id).booked_count == 0
    assert session.scalar(select(func.count()).select_from(SessionBooking).where(
        SessionBooking.session_id == live.id,
        SessionBooking.status.in_(live_sessions.ACTIVE_STATUSES))) == 0
    told = session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.kind == "session_called_off"))
    assert told == session.scalar(select(func.count()).select_from(SessionBooking).where(
        SessionBooking.session_id == live.id))
