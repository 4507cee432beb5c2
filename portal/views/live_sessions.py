"""Live sessions: the list and each session's page, booking and cancelling, scheduling
(coordinators), changing a session's details, cancelling it and marking attendance (coordinators
and the session's trainer), and HR leads booking places for their champions."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from portal import clock
from portal.db import get_session
from portal.forms.live_sessions import (
    BookForChampionForm,
    CancelSessionForm,
    CapacityForm,
    ChangeSessionForm,
    ScheduleSessionForm,
)
from portal.forms.organisations import choices
from portal.models import (
    Attendance,
    BookingStatus,
    Borough,
    Course,
    LiveSession,
    Organisation,
    OrgRole,
    SessionMode,
    User,
    utcnow,
)
from portal.permissions import (
    coordinator_required,
    organisation_role_required,
    refuse,
    sign_in_required,
)
from portal.services import live_sessions, training
from portal.services.tiers import CHAMPION_AUDIENCES
from portal.views.training import is_course_for

bp = Blueprint("live_sessions", __name__)


def _session_or_404(live_session_id: int) -> LiveSession:
    found = get_session().get(LiveSession, live_session_id,
                              options=[joinedload(LiveSession.course)])
    if found is None:
        refuse(404, "no_such_live_session", target_type="live_session",
               target_id=live_session_id)
    return found


def _visible_session(live_session_id: int) -> LiveSession:
    """A session of a course this person may take, or one they manage; else 404."""
    found = _session_or_404(live_session_id)
    if not (is_course_for(current_user, found.course)
            or live_sessions.may_manage(current_user, found)):
        refuse(404, "live_session_not_for_role", target_type="live_session",
               target_id=live_session_id)
    return found


def _managed_session(live_session_id: int) -> LiveSession:
    found = _session_or_404(live_session_id)
    if not live_sessions.may_manage(current_user, found):
        refuse(404, "not_session_trainer", target_type="live_session", target_id=live_session_id)
    return found


@bp.route("/training/sessions")
@sign_in_required
def index() -> ResponseReturnValue:
    session, now = get_session(), utcnow()
    courses = training.courses_for(session, current_user)
    return render_template("live_sessions/index.html",
                           sessions=live_sessions.upcoming(session, now, courses=courses),
                           bookings=live_sessions.bookings_of(session, current_user),
                           manages=current_user.is_coordinator or session.scalar(
                               select(func.count()).where(
                                   LiveSession.trainer_id == current_user.id)))


@bp.route("/training/sessions/managed")
@sign_in_required
def managed() -> ResponseReturnValue:
    """The sessions this person runs: every one for coordinators, their own for trainers."""
    return render_template("live_sessions/managed.html",
                           sessions=live_sessions.managed_by(get_session(), current_user),
                           now=utcnow())


@bp.route("/training/sessions/new", methods=["GET", "POST"])
@coordinator_required
def schedule() -> ResponseReturnValue:
    session, now = get_session(), utcnow()
    courses = {str(c.id): c for c in session.scalars(
        select(Course).where(Course.retired_at.is_(None)).order_by(Course.title))}
    form = ScheduleSessionForm(now=now)
    form.course.choices = choices({key: course.title for key, course in courses.items()})
    if request.method == "POST":
        valid = form.validate()
        trainer = _trainer(form)
        if valid and not form.trainer_email.errors:
            details = _details(form, courses[form.course.data], int(form.capacity.data), trainer)
            live_session = live_sessions.schedule(session, details, actor=current_user)
            session.commit()
            flash("Session scheduled", "success")
            return redirect(url_for("live_sessions.attendance",
                                    live_session_id=live_session.id), code=303)
    return render_template("live_sessions/schedule.html", form=form), \
        400 if form.errors else 200


def _details(form: ScheduleSessionForm, course: Course, capacity: int,
             trainer: User | None) -> live_sessions.SessionDetails:
    return live_sessions.SessionDetails(
        course=course, mode=SessionMode(form.mode.data), starts_at=form.starts_at,
        ends_at=form.ends_at, capacity=capacity, venue=form.venue.data or "",
        borough=Borough(form.borough.data) if form.in_person else None,
        access_info=form.access_info.data or "", joining_link=form.joining_link.data or "",
        trainer=trainer)


def _trainer(form: ScheduleSessionForm) -> User | None:
    """The account named as trainer, adding an error to the form when there is none."""
    email = (form.trainer_email.data or "").lower()
    if not email:
        return None
    trainer = get_session().scalar(select(User).where(User.email == email,
                                                      User.erased_at.is_(None)))
    if trainer is None:
        form.trainer_email.errors = [*form.trainer_email.errors,
                                     "Enter the email address of someone with an account"]
    return trainer


def _closed(live_session: LiveSession) -> str:
    """Why a session's bookings, places and details can no longer change."""
    return ("This session has been cancelled" if live_session.is_cancelled
            else "This session has started")


@bp.route("/training/sessions/<int:live_session_id>/change", methods=["GET", "POST"])
@sign_in_required
def change(live_session_id: int) -> ResponseReturnValue:
    """Where, when and who runs the session, before it starts; only coordinators appoint the
    trainer (a trainer could otherwise hand their session on)."""
    session, now = get_session(), utcnow()
    live_session = _managed_session(live_session_id)
    if not live_session.is_open(now):
        flash(f"{_closed(live_session)}, so its details can no longer change", "info")
        return redirect(url_for("live_sessions.attendance", live_session_id=live_session_id),
                        code=303)
    form = ChangeSessionForm(now=now, **_current_details(live_session))
    if not current_user.is_coordinator:
        del form.trainer_email
    if request.method == "POST":
        valid = form.validate()
        trainer = _trainer(form) if form.trainer_email else live_session.trainer
        if valid and not (form.trainer_email and form.trainer_email.errors):
            details = _details(form, live_session.course, live_session.capacity, trainer)
            try:
                changed = live_sessions.change_details(session, live_session, details,
                                                       actor=current_user, now=now)
            except live_sessions.SessionClosedError:
                session.rollback()
                flash(f"{_closed(live_session)}, so its details can no longer change", "info")
            else:
                session.commit()
                flash("Session details saved. We have emailed the people they concern"
                      if changed else "Nothing was changed", "success")
            return redirect(url_for("live_sessions.attendance",
                                    live_session_id=live_session_id), code=303)
    return render_template("live_sessions/change.html", form=form,
                           live_session=live_session), 400 if form.errors else 200


def _current_details(live_session: LiveSession) -> dict[str, object]:
    """The session as the change form shows it: dates and times in UK time."""
    starts, ends = (moment.astimezone(clock.LONDON)
                    for moment in (live_session.starts_at, live_session.ends_at))
    return {"mode": live_session.mode.value, "venue": live_session.venue,
            "borough": live_session.borough.value if live_session.borough else "",
            "access_info": live_session.access_info, "joining_link": live_session.joining_link,
            "day": starts.date(), "starts": starts.strftime("%H:%M"),
            "ends": ends.strftime("%H:%M"),
            "trainer_email": live_session.trainer.email if live_session.trainer else ""}


@bp.route("/training/sessions/<int:live_session_id>/cancel-session", methods=["GET", "POST"])
@sign_in_required
def cancel_session(live_session_id: int) -> ResponseReturnValue:
    """Call the whole session off, after a confirmation page saying whom it affects."""
    session, now = get_session(), utcnow()
    live_session = _managed_session(live_session_id)
    if not live_session.is_open(now):
        flash(f"{_closed(live_session)}, so it can no longer be cancelled", "info")
        return redirect(url_for("live_sessions.attendance", live_session_id=live_session_id),
                        code=303)
    form = CancelSessionForm()
    if form.validate_on_submit():
        try:
            told = live_sessions.cancel_session(session, live_session, actor=current_user,
                                                now=now)
        except live_sessions.SessionClosedError:
            session.rollback()
            flash(f"{_closed(live_session)}, so it can no longer be cancelled", "info")
        else:
            session.commit()
            flash(f"Session cancelled. People emailed: {told}", "success")
        return redirect(url_for("live_sessions.attendance", live_session_id=live_session_id),
                        code=303)
    roll = live_sessions.roll(session, live_session)
    booked = sum(1 for booking in roll if booking.status == BookingStatus.BOOKED)
    return render_template("live_sessions/cancel_session.html", form=form,
                           live_session=live_session, booked=booked,
                           waiting=len(roll) - booked), 400 if form.errors else 200


@bp.route("/training/sessions/<int:live_session_id>")
@sign_in_required
def detail(live_session_id: int) -> ResponseReturnValue:
    session = get_session()
    live_session = _visible_session(live_session_id)
    booking = live_sessions.active_booking(session, live_session, current_user)
    position = live_sessions.waiting_position(session, booking) \
        if booking is not None and booking.status == BookingStatus.WAITING else None
    hr_organisations = [m.organisation for m in current_user.memberships
                        if m.is_current and m.role == OrgRole.HR_LEAD]
    return render_template("live_sessions/detail.html", live_session=live_session,
                           booking=booking, position=position, now=utcnow(),
                           may_book=is_course_for(current_user, live_session.course),
                           may_manage=live_sessions.may_manage(current_user, live_session),
                           hr_organisations=hr_organisations)


@bp.route("/training/sessions/<int:live_session_id>/book", methods=["POST"])
@sign_in_required
def book(live_session_id: int) -> ResponseReturnValue:
    session = get_session()
    live_session = _session_or_404(live_session_id)
    if not is_course_for(current_user, live_session.course):
        refuse(404, "live_session_not_for_role", target_type="live_session",
               target_id=live_session_id)
    try:
        booking = live_sessions.book(session, live_session, current_user, actor=current_user,
                                     now=utcnow())
    except live_sessions.AlreadyBookedError:
        flash("You already have a place or are on the waiting list", "info")
    except live_sessions.SessionClosedError:
        flash(f"{_closed(live_session)}, so it can no longer be booked", "info")
    else:
        session.commit()
        flash("Your place is booked. We have emailed you a calendar invitation"
              if booking.status == BookingStatus.BOOKED else
              "The session is full, so you are on the waiting list", "success")
    return redirect(url_for("live_sessions.detail", live_session_id=live_session_id), code=303)


@bp.route("/training/sessions/<int:live_session_id>/cancel", methods=["POST"])
@sign_in_required
def cancel(live_session_id: int) -> ResponseReturnValue:
    session = get_session()
    live_session = _visible_session(live_session_id)
    booking = live_sessions.active_booking(session, live_session, current_user)
    if booking is None:
        return redirect(url_for("live_sessions.detail", live_session_id=live_session_id),
                        code=303)
    was_booked = booking.status == BookingStatus.BOOKED
    try:
        live_sessions.cancel(session, booking, actor=current_user, now=utcnow())
    except live_sessions.SessionClosedError:
        flash(f"{_closed(live_session)}, so the booking can no longer be cancelled", "info")
    else:
        session.commit()
        flash("Your place is cancelled" if was_booked else "You have left the waiting list",
              "success")
    return redirect(url_for("live_sessions.detail", live_session_id=live_session_id), code=303)


@bp.route("/training/sessions/<int:live_session_id>/attendance", methods=["GET", "POST"])
@sign_in_required
def attendance(live_session_id: int) -> ResponseReturnValue:
    """Who is booked and waiting; after the start, attended / absent / left early for each."""
    session, now = get_session(), utcnow()
    live_session = _managed_session(live_session_id)
    roll = live_sessions.roll(session, live_session)
    errors: dict[int, str] = {}
    if request.method == "POST":
        if not live_session.has_started(now):
            abort(400)
        marks, errors = _marks(roll)
        if not errors:
            certified = live_sessions.mark_attendance(session, live_session, marks,
                                                      actor=current_user, now=now)
            session.commit()
            flash(f"Attendance saved. Certificates issued: {certified}", "success")
            return redirect(url_for("live_sessions.attendance",
                                    live_session_id=live_session_id), code=303)
    return render_template("live_sessions/attendance.html", live_session=live_session,
                           roll=roll, now=now, errors=errors, items=_radio_items(roll),
                           capacity_form=CapacityForm(formdata=None,
                                                      capacity=str(live_session.capacity)),
                           error_list=[{"text": text, "href": f"#attendance-{booking_id}"}
                                       for booking_id, text in errors.items()]), \
        400 if errors else 200


@bp.route("/training/sessions/<int:live_session_id>/capacity", methods=["POST"])
@sign_in_required
def capacity(live_session_id: int) -> ResponseReturnValue:
    """The number of places: more places go at once to the waiting list, in order."""
    session, now = get_session(), utcnow()
    live_session = _managed_session(live_session_id)
    form = CapacityForm()
    if form.validate_on_submit():
        try:
            promoted = live_sessions.change_capacity(session, live_session,
                                                     int(form.capacity.data), actor=current_user,
                                                     now=now)
        except live_sessions.CapacityBelowBookedError:
            form.capacity.errors = [f"The number of places cannot be fewer than the "
                                    f"{live_session.booked_count} already booked"]
        except live_sessions.SessionClosedError:
            form.capacity.errors = [f"{_closed(live_session)}, so its places cannot change"]
        else:
            session.commit()
            flash(f"Places changed. Moved from the waiting list: {len(promoted)}", "success")
            return redirect(url_for("live_sessions.attendance",
                                    live_session_id=live_session_id), code=303)
    roll = live_sessions.roll(session, live_session)
    return render_template("live_sessions/attendance.html", live_session=live_session,
                           roll=roll, now=now, errors={}, items=_radio_items(roll),
                           capacity_form=form, error_list=[]), 400


def _radio_items(roll: list) -> dict[int, list[dict]]:
    """Each booked person's three choices, the one sent (or saved before) checked."""
    items = {}
    for booking in roll:
        saved = booking.attendance.value if booking.attendance else ""
        chosen = request.form.get(f"attendance-{booking.id}", saved)
        items[booking.id] = [{"value": a.value, "text": a.label, "checked": chosen == a.value}
                             for a in Attendance]
    return items


def _marks(roll: list) -> tuple[dict[int, Attendance], dict[int, str]]:
    marks, errors = {}, {}
    for booking in roll:
        if booking.status != BookingStatus.BOOKED:
            continue
        value = request.form.get(f"attendance-{booking.id}", "")
        try:
            marks[booking.id] = Attendance(value)
        except ValueError:
            errors[booking.id] = f"Select whether {booking.user.full_name} attended"
    return marks, errors


@bp.route("/organisations/<int:org_id>/sessions/<int:live_session_id>/book",
          methods=["GET", "POST"])
@organisation_role_required(OrgRole.HR_LEAD)
def book_for(organisation: Organisation, live_session_id: int) -> ResponseReturnValue:
    """An HR lead books a place (or a waiting-list entry) for one of their champions."""
    session = get_session()
    live_session = _session_or_404(live_session_id)
    if live_session.course.audience not in CHAMPION_AUDIENCES:
        refuse(404, "live_session_not_for_champions", organisation=organisation,
               target_type="live_session", target_id=live_session_id)
    champions = {str(c.id): c for c in live_sessions.champions_to_book(session, organisation)}
    form = BookForChampionForm()
    form.champion.choices = choices({key: person.full_name for key, person in champions.items()})
    if form.validate_on_submit():
        try:
            booking = live_sessions.book(session, live_session, champions[form.champion.data],
                                         actor=current_user, now=utcnow())
        except live_sessions.AlreadyBookedError:
            form.champion.errors = ["This champion already has a place or is on the waiting "
                                    "list"]
        except live_sessions.SessionClosedError:
            form.champion.errors = [f"{_closed(live_session)}, so it can no longer be booked"]
        else:
            session.commit()
            flash("Place booked" if booking.status == BookingStatus.BOOKED
                  else "The session is full: the champion is on the waiting list", "success")
            return redirect(url_for("live_sessions.detail", live_session_id=live_session_id),
                            code=303)
    booked = live_sessions.bookings_for(session, live_session, list(champions.values()))
    return render_template("live_sessions/book_for.html", form=form, organisation=organisation,
                           live_session=live_session, booked=booked,
                           now=utcnow()), 400 if form.errors else 200


@bp.route("/organisations/<int:org_id>/sessions/<int:live_session_id>/cancel", methods=["POST"])
@organisation_role_required(OrgRole.HR_LEAD)
def cancel_for(organisation: Organisation, live_session_id: int) -> ResponseReturnValue:
    """An HR lead cancels a place (or waiting-list entry) of one of their champions."""
    session = get_session()
    live_session = _session_or_404(live_session_id)
    champions = {str(c.id): c for c in live_sessions.champions_to_book(session, organisation)}
    person = champions.get(request.form.get("champion", ""))
    booking = live_sessions.active_booking(session, live_session, person) if person else None
    if booking is None:
        refuse(404, "not_own_champions_booking", organisation=organisation,
               target_type="live_session", target_id=live_session_id)
    try:
        live_sessions.cancel(session, booking, actor=current_user, now=utcnow())
    except live_sessions.SessionClosedError:
        flash(f"{_closed(live_session)}, so the booking can no longer be cancelled", "info")
    else:
        session.commit()
        flash(f"Cancelled the booking of {person.full_name}", "success")
    return redirect(url_for("live_sessions.book_for", org_id=organisation.id,
                            live_session_id=live_session_id), code=303)
