"""Live sessions: scheduling, booking with a waiting list, cancelling, attendance.

Every change to a session's places starts by locking the session's row (`_lock`), so bookings,
cancellations and promotions from the waiting list happen one at a time per session and a
session never holds more people than its capacity, on PostgreSQL and on SQLite alike. Bookings
are inserted under that lock, so their ids are the order they were taken in: the waiting list is
in id order (two requests' clocks may disagree with the order they got the lock in).

A session's details (where, when, who runs it) can change, and the whole session can be called
off, until it starts. A called-off session is kept, marked cancelled, with its bookings
cancelled: attendance history and the audit trail still point at it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from icalendar import Calendar, Event, vCalAddress
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, joinedload

from portal import clock
from portal.mail import Attachment, queue_email
from portal.models import (
    Attendance,
    BookingStatus,
    Borough,
    Course,
    LiveSession,
    Membership,
    Organisation,
    OrgRole,
    SessionBooking,
    SessionMode,
    User,
)
from portal.services import training
from portal.services.audit import record_event
from portal.services.emails import absolute_url, subject
from portal.services.errors import PortalError
from portal.settings import settings_of

ACTIVE_STATUSES = (BookingStatus.BOOKED, BookingStatus.WAITING)
# The invitation's neutral wording: no course title, nothing about the subject of the training.
EVENT_TITLE = "Training session"
INVITATION_FILE_NAME = "invitation.ics"
# RFC 5546: a new entry, an update of it (same UID, higher SEQUENCE), or its removal.
Method = Literal["PUBLISH", "REQUEST", "CANCEL"]


class SessionClosedError(PortalError):
    """Bookings, places and details no longer change: the session has started or is cancelled."""


class SessionStartedError(SessionClosedError):
    """Places cannot change once the session has started."""


class SessionCancelledError(SessionClosedError):
    """The session has been called off."""


class SessionNotStartedError(PortalError):
    """Attendance is marked only once the session has started."""


class AlreadyBookedError(PortalError):
    """The person already holds a place or a waiting-list entry for this session."""


@dataclass(frozen=True)
class SessionDetails:
    """A session as the scheduling form validated it."""

    course: Course
    mode: SessionMode
    starts_at: datetime
    ends_at: datetime
    capacity: int
    venue: str = ""
    borough: Borough | None = None
    access_info: str = ""
    joining_link: str = ""
    trainer: User | None = None


# The fields a change of details may alter, and whom each change concerns.
WHEN = frozenset({"starts_at", "ends_at"})
PLACE = frozenset({"mode", "venue", "borough"})
# In the calendar invitation: a change sends booked people an updated one.
IN_INVITATION = WHEN | PLACE | {"joining_link"}
# What booked people are told of (the trainer is not shown to them); the waiting list hears only
# of a new date, time or place (they do not see the joining link or need the access details yet).
TOLD_BOOKED = IN_INVITATION | {"access_info"}
TOLD_WAITING = WHEN | PLACE
CHANGEABLE = (*sorted(TOLD_BOOKED), "trainer_id")


def _arrange(live_session: LiveSession, details: SessionDetails) -> None:
    """Where, when and who: in person sessions keep no joining link, online ones no venue."""
    in_person = details.mode is SessionMode.IN_PERSON
    live_session.mode = details.mode
    live_session.starts_at, live_session.ends_at = details.starts_at, details.ends_at
    live_session.venue = details.venue if in_person else ""
    live_session.borough = details.borough if in_person else None
    live_session.access_info = details.access_info if in_person else ""
    live_session.joining_link = "" if in_person else details.joining_link
    live_session.trainer_id = details.trainer.id if details.trainer else None


def schedule(session: Session, details: SessionDetails, *, actor: User) -> LiveSession:
    live_session = LiveSession(course_id=details.course.id, capacity=details.capacity,
                               created_by_id=actor.id)
    _arrange(live_session, details)
    session.add(live_session)
    session.flush()
    record_event(session, "live_session.scheduled", actor=actor, target=live_session,
                 details={"capacity": details.capacity, "mode": str(details.mode)})
    return live_session


def may_manage(user: User, live_session: LiveSession) -> bool:
    """Coordinators manage every session; a trainer only the sessions they were appointed to."""
    return user.is_coordinator or (live_session.trainer_id is not None
                                   and live_session.trainer_id == user.id)


def upcoming(session: Session, now: datetime, *, courses: Sequence[Course] | None = None
             ) -> list[LiveSession]:
    """Sessions not yet ended, soonest first, with their course: one query."""
    query = (select(LiveSession).options(joinedload(LiveSession.course))
             .where(LiveSession.ends_at > now, LiveSession.cancelled_at.is_(None))
             .order_by(LiveSession.starts_at, LiveSession.id))
    if courses is not None:
        query = query.where(LiveSession.course_id.in_([c.id for c in courses]))
    return list(session.scalars(query))


def managed_by(session: Session, user: User) -> list[LiveSession]:
    """Every session this person manages (all, for coordinators), latest first."""
    query = (select(LiveSession).options(joinedload(LiveSession.course))
             .order_by(LiveSession.starts_at.desc(), LiveSession.id.desc()))
    if not user.is_coordinator:
        query = query.where(LiveSession.trainer_id == user.id)
    return list(session.scalars(query))


def bookings_of(session: Session, user: User) -> dict[int, SessionBooking]:
    """The person's active place or waiting-list entry at each session, by session id."""
    return {b.session_id: b for b in session.scalars(select(SessionBooking).where(
        SessionBooking.user_id == user.id, SessionBooking.status.in_(ACTIVE_STATUSES)))}


def active_booking(session: Session, live_session: LiveSession,
                   user: User) -> SessionBooking | None:
    return session.scalar(select(SessionBooking).where(
        SessionBooking.session_id == live_session.id, SessionBooking.user_id == user.id,
        SessionBooking.status.in_(ACTIVE_STATUSES)))


def bookings_for(session: Session, live_session: LiveSession,
                 people: Sequence[User]) -> list[SessionBooking]:
    """These people's active bookings at the session, places first, in booking order."""
    return [b for b in roll(session, live_session) if b.user_id in {p.id for p in people}]


def roll(session: Session, live_session: LiveSession) -> list[SessionBooking]:
    """Booked people then the waiting list, each in booking order, with their names."""
    order = {BookingStatus.BOOKED: 0, BookingStatus.WAITING: 1}
    found = session.scalars(
        select(SessionBooking).options(joinedload(SessionBooking.user))
        .where(SessionBooking.session_id == live_session.id,
               SessionBooking.status.in_(ACTIVE_STATUSES))
        .order_by(SessionBooking.id))
    return sorted(found, key=lambda b: order[b.status])


def waiting_position(session: Session, booking: SessionBooking) -> int:
    """1 for the first person on the waiting list."""
    return 1 + (session.scalar(
        select(func.count()).select_from(SessionBooking)
        .where(SessionBooking.session_id == booking.session_id,
               SessionBooking.status == BookingStatus.WAITING,
               SessionBooking.id < booking.id)) or 0)


def _lock(session: Session, live_session: LiveSession) -> None:
    """Take the session row's write lock and re-read it, before anything else in the transaction.

    An UPDATE rather than SELECT ... FOR UPDATE: PostgreSQL locks the row either way, and SQLite
    (which ignores FOR UPDATE) takes its database write lock, so on both every booking change to
    one session waits for the one before it and then sees its result.
    """
    session.execute(update(LiveSession).where(LiveSession.id == live_session.id)
                    .values(booked_count=LiveSession.booked_count)
                    .execution_options(synchronize_session=False))
    session.refresh(live_session)


def _check_open(live_session: LiveSession, now: datetime) -> None:
    if live_session.is_cancelled:
        raise SessionCancelledError
    if live_session.has_started(now):
        raise SessionStartedError


def book(session: Session, live_session: LiveSession, person: User, *, actor: User,
         now: datetime) -> SessionBooking:
    """A place if one is left, else the end of the waiting list; the e-mail says which."""
    _lock(session, live_session)
    _check_open(live_session, now)
    if active_booking(session, live_session, person) is not None:
        raise AlreadyBookedError
    has_place = live_session.places_left > 0
    booking = SessionBooking(session_id=live_session.id, user_id=person.id, booked_by_id=actor.id,
                             status=BookingStatus.BOOKED if has_place else BookingStatus.WAITING,
                             created_at=now)
    if has_place:
        live_session.booked_count += 1
    session.add(booking)
    session.flush()
    if has_place:
        _send_confirmation(session, live_session, person, promoted=False)
    else:
        _send_waiting(session, live_session, person)
    if actor.id != person.id:
        record_event(session, "live_session.booked_for", actor=actor, target=booking,
                     details={"status": str(booking.status)})
    return booking


def cancel(session: Session, booking: SessionBooking, *, actor: User,
           now: datetime) -> list[SessionBooking]:
    """Cancel a place or a waiting-list entry; a freed place goes to the waiting list in order.
    Returns the bookings promoted (cancelling twice changes nothing)."""
    live_session = booking.live_session
    _lock(session, live_session)
    session.refresh(booking)
    if booking.status == BookingStatus.CANCELLED:
        return []
    if live_session.has_started(now):
        raise SessionStartedError
    held_place = booking.status == BookingStatus.BOOKED
    booking.status, booking.cancelled_at = BookingStatus.CANCELLED, now
    if actor.id != booking.user_id:
        record_event(session, "live_session.cancelled_for", actor=actor, target=booking)
    _send_cancelled(session, live_session, booking.user, held_place=held_place)
    if not held_place:
        session.flush()
        return []
    live_session.booked_count -= 1
    session.flush()
    return _promote(session, live_session, now)


class CapacityBelowBookedError(PortalError):
    """Fewer places than people already booked."""


def change_capacity(session: Session, live_session: LiveSession, capacity: int, *,
                    actor: User, now: datetime) -> list[SessionBooking]:
    """More or fewer places (never fewer than are booked); new places go to the waiting list."""
    _lock(session, live_session)
    _check_open(live_session, now)
    if capacity < live_session.booked_count:
        raise CapacityBelowBookedError
    record_event(session, "live_session.capacity_changed", actor=actor, target=live_session,
                 details={"from": live_session.capacity, "to": capacity})
    live_session.capacity = capacity
    session.flush()
    return _promote(session, live_session, now)


def change_details(session: Session, live_session: LiveSession, details: SessionDetails, *,
                   actor: User, now: datetime) -> list[str]:
    """Change where, when and who runs a session before it starts (not its course: schedule
    another session; nor its places: `change_capacity`). Booked people are told of a change
    that concerns them, with an updated invitation when it moves the calendar entry; the waiting
    list of a new date, time or place. Returns the names of the fields that changed."""
    _lock(session, live_session)
    _check_open(live_session, now)
    before = _changeable(live_session)
    _arrange(live_session, details)
    changed = {name for name, value in _changeable(live_session).items() if before[name] != value}
    if not changed:
        return []
    if changed & IN_INVITATION:
        live_session.invitation_sequence += 1
    session.flush()
    session.refresh(live_session, ["trainer"])
    record_event(session, "live_session.details_changed", actor=actor, target=live_session,
                 details={"changed": sorted(changed)})
    for booking in roll(session, live_session):
        booked = booking.status == BookingStatus.BOOKED
        if changed & (TOLD_BOOKED if booked else TOLD_WAITING):
            _send_changed(session, live_session, booking.user, booked=booked,
                          with_invitation=booked and bool(changed & IN_INVITATION))
    return sorted(changed)


def _changeable(live_session: LiveSession) -> dict[str, object]:
    return {name: getattr(live_session, name) for name in CHANGEABLE}


def cancel_session(session: Session, live_session: LiveSession, *, actor: User,
                   now: datetime) -> int:
    """Call off a session before it starts: in one transaction under the session's lock, every
    place and waiting-list entry is cancelled and its holder told (booked people with an
    invitation that removes the calendar entry). The session is kept, marked cancelled.
    Returns how many people were told."""
    _lock(session, live_session)
    _check_open(live_session, now)
    everyone = roll(session, live_session)
    live_session.cancelled_at, live_session.booked_count = now, 0
    live_session.invitation_sequence += 1
    for booking in everyone:
        held_place = booking.status == BookingStatus.BOOKED
        booking.status, booking.cancelled_at = BookingStatus.CANCELLED, now
        _send_called_off(session, live_session, booking.user, held_place=held_place)
    session.flush()
    record_event(session, "live_session.cancelled", actor=actor, target=live_session,
                 details={"people_told": len(everyone)})
    return len(everyone)


def _promote(session: Session, live_session: LiveSession, now: datetime) -> list[SessionBooking]:
    """Give free places to the waiting list, first come first served (under the lock)."""
    if live_session.places_left <= 0:
        return []
    waiting = list(session.scalars(
        select(SessionBooking).options(joinedload(SessionBooking.user))
        .where(SessionBooking.session_id == live_session.id,
               SessionBooking.status == BookingStatus.WAITING)
        .order_by(SessionBooking.id).limit(live_session.places_left)))
    for booking in waiting:
        booking.status, booking.promoted_at = BookingStatus.BOOKED, now
        live_session.booked_count += 1
        _send_confirmation(session, live_session, booking.user, promoted=True)
    session.flush()
    return waiting


def mark_attendance(session: Session, live_session: LiveSession,
                    marks: Mapping[int, Attendance], *, actor: User, now: datetime) -> int:
    """Record attended / absent / left early for booked people (by booking id), and certify
    those for whom attending was the last step. Returns how many certificates were issued."""
    if not live_session.has_started(now):
        raise SessionNotStartedError
    booked = session.scalars(select(SessionBooking).where(
        SessionBooking.session_id == live_session.id,
        SessionBooking.status == BookingStatus.BOOKED,
        SessionBooking.id.in_(list(marks))))
    certified = 0
    for booking in booked:
        booking.attendance = marks[booking.id]
        booking.attendance_marked_at, booking.attendance_marked_by_id = now, actor.id
        session.flush()
        if booking.attendance == Attendance.ATTENDED and training.certify_after_attendance(
                session, booking.user_id, live_session.course, now) is not None:
            certified += 1
    record_event(session, "live_session.attendance_marked", actor=actor, target=live_session,
                 details={"marked": len(marks), "certified": certified})
    return certified


def champions_to_book(session: Session, organisation: Organisation) -> list[User]:
    """The organisation's current champions, by name: whom its HR lead may book places for."""
    return list(session.scalars(
        select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.organisation_id == organisation.id,
               Membership.role == OrgRole.CHAMPION, Membership.is_current)
        .order_by(User.full_name, User.id)))


# E-mails: neutral subjects and attachment, no course title anywhere in them.

def invitation(session: Session, live_session: LiveSession, person: User, *,
               method: Method = "PUBLISH") -> str:
    """A person's calendar entry for the session (RFC 5545 and 5546), in neutral words: PUBLISH
    with a confirmed place, REQUEST when the date, time or place changes and CANCEL when the
    place or the session is cancelled. Calendars match them by UID and keep the highest
    SEQUENCE, so each update replaces the entry rather than adding one."""
    settings = settings_of(session)
    calendar = Calendar()
    calendar.add("prodid", "-//Workplace Champions portal//live sessions//EN")
    calendar.add("version", "2.0")
    calendar.add("method", method)
    event = Event()
    host = settings.base_url.split("://", 1)[-1].split("/", 1)[0]
    event.add("uid", f"live-session-{live_session.id}@{host}")
    event.add("sequence", live_session.invitation_sequence)
    event.add("dtstamp", clock.now())
    event.add("dtstart", live_session.starts_at)
    event.add("dtend", live_session.ends_at)
    event.add("summary", EVENT_TITLE)
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    if settings.sender_address:
        organiser = vCalAddress(f"mailto:{settings.sender_address}")
        organiser.params["cn"] = settings.scheme_name
        event.add("organizer", organiser)
    if method != "PUBLISH":  # RFC 5546: REQUEST and CANCEL name the attendee, PUBLISH does not
        event.add("attendee", vCalAddress(f"mailto:{person.email}"))
    page = absolute_url(session, "live_sessions.detail", live_session_id=live_session.id)
    if live_session.mode is SessionMode.IN_PERSON:
        event.add("location", live_session.venue)
        event.add("description", f"Details and access information: {page}")
    else:
        event.add("location", "Online")
        event.add("url", live_session.joining_link)
        event.add("description", f"Join online: {live_session.joining_link}\nDetails: {page}")
    calendar.add_component(event)
    return calendar.to_ical().decode()


def _invitation_file(session: Session, live_session: LiveSession, person: User,
                     method: Method) -> Attachment:
    return Attachment(INVITATION_FILE_NAME, "text/calendar",
                      invitation(session, live_session, person, method=method))


def _session_link(session: Session, live_session: LiveSession) -> str:
    return absolute_url(session, "live_sessions.detail", live_session_id=live_session.id)


def _send_confirmation(session: Session, live_session: LiveSession, person: User, *,
                       promoted: bool) -> None:
    queue_email(session, kind="session_booked", to=person.email,
                subject=subject(session, "Your place is confirmed"), template="session_booked",
                person=person, live_session=live_session, promoted=promoted,
                link=_session_link(session, live_session),
                attachment=_invitation_file(session, live_session, person, "PUBLISH"))


def _send_waiting(session: Session, live_session: LiveSession, person: User) -> None:
    queue_email(session, kind="session_waiting", to=person.email,
                subject=subject(session, "You are on the waiting list"),
                template="session_waiting", person=person, live_session=live_session,
                link=_session_link(session, live_session))


def _send_cancelled(session: Session, live_session: LiveSession, person: User, *,
                    held_place: bool) -> None:
    """A cancelled place also cancels the calendar entry its confirmation added."""
    withdrawal = _invitation_file(session, live_session, person, "CANCEL")
    queue_email(session, kind="session_cancelled", to=person.email,
                subject=subject(session, "Your booking is cancelled"),
                template="session_cancelled", person=person, live_session=live_session,
                held_place=held_place, attachment=withdrawal if held_place else None)


def _send_changed(session: Session, live_session: LiveSession, person: User, *, booked: bool,
                  with_invitation: bool) -> None:
    queue_email(session, kind="session_changed", to=person.email,
                subject=subject(session, "A training session has changed"),
                template="session_changed", person=person, live_session=live_session,
                booked=booked, with_invitation=with_invitation,
                link=_session_link(session, live_session),
                attachment=_invitation_file(session, live_session, person, "REQUEST")
                if with_invitation else None)


def _send_called_off(session: Session, live_session: LiveSession, person: User, *,
                     held_place: bool) -> None:
    """The whole session is off: booked people's calendar entries go too."""
    queue_email(session, kind="session_called_off", to=person.email,
                subject=subject(session, "A training session is cancelled"),
                template="session_called_off", person=person, live_session=live_session,
                held_place=held_place, link=absolute_url(session, "live_sessions.index"),
                attachment=_invitation_file(session, live_session, person, "CANCEL")
                if held_place else None)
