"""Coordinators: find a person, see their record, download their data, erase it.

Viewing, downloading and erasing are each recorded in the audit trail (LOG-06). Downloading and
erasing need the coordinator's password entered again in the last 15 minutes (P15).
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user

from portal.db import get_session
from portal.forms.organisations import ActionForm
from portal.forms.people import EraseForm, PersonSearchForm
from portal.models import User, utcnow
from portal.permissions import coordinator_required, recent_authentication_required
from portal.services import people
from portal.services.audit import record_event
from portal.services.subject_rights import erase_person, serving_champion_roles, subject_access_zip
from portal.views.helpers import attachment

bp = Blueprint("people", __name__, url_prefix="/coordinator/people")


def _person(user_id: int) -> User:
    person = get_session().get(User, user_id)
    if person is None:
        abort(404)
    return person


@bp.route("")
@coordinator_required
def search() -> ResponseReturnValue:
    """Find people by part of their e-mail address or name."""
    form = PersonSearchForm(request.args)
    form.validate()
    text = "" if form.q.errors else (form.q.data or "")
    return render_template("people/search.html", form=form, searched=bool(text),
                           results=people.find_people(get_session(), text),
                           limit=people.SEARCH_LIMIT)


@bp.route("/<int:user_id>")
@coordinator_required
def person(user_id: int) -> ResponseReturnValue:
    """One person's account and roles; looking is recorded (P4: individuals only when needed)."""
    session = get_session()
    record = people.person_record(session, user_id)
    if record is None:
        abort(404)
    record_event(session, "person.viewed", actor=current_user, target=record.person,
                 request_id=g.request_id)
    session.commit()
    return render_template("people/person.html", record=record, person=record.person)


@bp.route("/<int:user_id>/export", methods=["GET", "POST"])
@coordinator_required
@recent_authentication_required
def export(user_id: int) -> ResponseReturnValue:
    """Subject access: the person's data as JSON and CSV files in a zip (PRIV-02)."""
    person = _person(user_id)
    form = ActionForm()
    if person.is_erased:
        return render_template("people/export.html", person=person, form=form)
    if form.validate_on_submit():
        session = get_session()
        now = utcnow()
        data = subject_access_zip(session, person, now=now,
                                  scheme_name=current_app.config["SCHEME_NAME"],
                                  retention=current_app.config["RETENTION"])
        record_event(session, "person.exported", actor=current_user, target=person,
                     request_id=g.request_id)
        session.commit()
        return attachment(data, f"personal-data-{person.id}-{now:%Y-%m-%d}.zip",
                          "application/zip")
    return render_template("people/export.html", person=person, form=form)


@bp.route("/<int:user_id>/erase", methods=["GET", "POST"])
@coordinator_required
@recent_authentication_required
def erase(user_id: int) -> ResponseReturnValue:
    """Erasure: anonymise the person, keeping what the scheme's figures need (PRIV-03)."""
    person = _person(user_id)
    record = people.person_record(get_session(), user_id)
    form = EraseForm()
    serving = serving_champion_roles(get_session(), person)
    blocked = person.is_erased or person.id == current_user.id or bool(serving)
    if not blocked and form.validate_on_submit():
        session = get_session()
        erase_person(session, person, actor=current_user, now=utcnow())
        session.commit()
        flash("Their personal data has been erased", "success")
        return redirect(url_for(".person", user_id=person.id), code=303)
    return render_template("people/erase.html", person=person, record=record, form=form,
                           blocked=blocked, serving=serving)
