"""The coordinator's workbench: notes on organisations, the outbox, the catalogue's health."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from portal import clock
from portal.db import get_session
from portal.forms.filters import page_number
from portal.forms.organisations import ActionForm
from portal.forms.workbench import NOTE_REMINDER, NoteForm
from portal.models import NoteKind, Organisation, OutboxStatus
from portal.permissions import coordinator_required
from portal.services import delivery, notes
from portal.services import organisations as orgs
from portal.services.catalogue_health import catalogue_health

bp = Blueprint("workbench", __name__, url_prefix="/coordinator")


def _organisation(org_id: int) -> Organisation:
    organisation = orgs.organisation_for_coordinator(get_session(), org_id)
    if organisation is None:
        abort(404)
    return organisation


@bp.route("/organisations/<int:org_id>/notes", methods=["GET", "POST"])
@coordinator_required
def organisation_notes(org_id: int) -> ResponseReturnValue:
    """The log of contact with the organisation, newest first, and a form to add to it."""
    organisation = _organisation(org_id)
    session = get_session()
    form = NoteForm()
    if form.validate_on_submit():
        notes.add_note(session, organisation, kind=NoteKind(form.kind.data),
                       body=form.body.data, author=current_user, request_id=g.request_id)
        session.commit()
        flash("Note added.", "success")
        return redirect(url_for(".organisation_notes", org_id=org_id), code=303)
    return render_template("coordinator/notes.html", organisation=organisation, form=form,
                           notes=notes.notes_of(session, organisation), reminder=NOTE_REMINDER)


@bp.route("/outbox")
@coordinator_required
def outbox() -> ResponseReturnValue:
    """Emails queued, sent and failed, with the mail server's error; never their text."""
    raw = request.args.get("status", "")
    status = OutboxStatus(raw) if raw in set(OutboxStatus) else None
    page = page_number(request.args.get("page"))
    rows, total = delivery.outbox_page(get_session(), status, page)
    return render_template("coordinator/outbox.html", rows=rows, total=total, page=page,
                           page_size=delivery.PAGE_SIZE, status=status,
                           statuses=delivery.STATUS_LABELS, form=ActionForm())


@bp.route("/outbox/<int:message_id>/retry", methods=["POST"])
@coordinator_required
def retry_email(message_id: int) -> ResponseReturnValue:
    if ActionForm().validate_on_submit():
        session = get_session()
        try:
            delivery.retry(session, message_id, actor=current_user, now=clock.now(),
                           request_id=g.request_id)
        except delivery.CannotRetryError as error:
            session.rollback()
            flash(str(error))
        else:
            session.commit()
            flash("The email is queued to be sent again.", "success")
    return redirect(url_for(".outbox", status=OutboxStatus.FAILED.value), code=303)


@bp.route("/catalogue")
@coordinator_required
def catalogue() -> ResponseReturnValue:
    """Courses, modules and their versions, with how people fare on each (aggregates only)."""
    return render_template("coordinator/catalogue.html", courses=catalogue_health(get_session()))
