"""Scheme coordinators: the applications queue, decisions, membership status and audit trails."""

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
from sqlalchemy import func, select

from portal.db import get_session
from portal.forms.coordinator import DeclineForm, SuspendForm, WithdrawForm
from portal.forms.organisations import ActionForm
from portal.models import (
    WITHDRAWAL_REASON_LABELS,
    AuditEvent,
    MembershipStatus,
    Organisation,
    User,
    utcnow,
)
from portal.permissions import coordinator_required
from portal.services import emails
from portal.services import organisations as orgs
from portal.services.audit import record_event
from portal.services.commitments import all_commitments

bp = Blueprint("coordinator", __name__, url_prefix="/coordinator")

AUDIT_PAGE_SIZE = 50
AUDIT_ACTIONS = {
    "organisation.applied": "Application started",
    "organisation.submitted": "Application received (email address confirmed)",
    "organisation.approved": "Application approved",
    "organisation.declined": "Application declined",
    "organisation.suspended": "Membership suspended",
    "organisation.reinstated": "Membership reinstated",
    "organisation.withdrawn": "Membership ended",
    "organisation.lapsed": "Membership lapsed",
    "organisation.renewed": "Membership renewed",
    "organisation.details_changed": "Details changed",
    "organisation.audit_viewed": "Audit trail viewed",
    "site.added": "Site added",
    "site.changed": "Site changed",
    "site.removed": "Site removed",
    "invitation.sent": "Invitation sent",
    "invitation.resent": "Invitation sent again",
    "invitation.revoked": "Invitation withdrawn",
    "invitation.accepted": "Invitation accepted",
    "invitations.uploaded": "Invitations uploaded from a file",
    "champion.withdrawn": "Champion withdrawn",
}
FIELD_LABELS = {"name": "name", "registered_number": "registered number", "sector": "sector",
                "listed_publicly": "public listing"}
ALREADY_CHANGED = "The organisation’s status has changed since you opened the page. Check it again."


@bp.app_template_filter("audit_action")
def audit_action(action: str) -> str:
    return AUDIT_ACTIONS.get(action, action)


@bp.app_template_filter("audit_details")
def audit_details(event: AuditEvent, reasons: dict[str, str]) -> str:
    """A short, human description of an event's details: reasons, roles, counts, fields."""
    details = event.details or {}
    parts = []
    if "reason" in details:
        parts.append(reasons.get(details["reason"], details["reason"]))
    if "role" in details:
        parts.append("HR lead" if details["role"] == "hr_lead" else "Champion")
    if "count" in details:
        parts.append(f"{details['count']} people")
    if "fields" in details:
        parts.append("Changed: " + ", ".join(FIELD_LABELS.get(f, f) for f in details["fields"]))
    if event.target_type in ("site", "invitation", "membership") and event.target_id:
        parts.append(f"{event.target_type.capitalize()} {event.target_id}")
    return "; ".join(parts)


def _organisation(org_id: int) -> Organisation:
    organisation = orgs.organisation_for_coordinator(get_session(), org_id)
    if organisation is None:
        abort(404)
    return organisation


def _page_number() -> int:
    page = request.args.get("page", "1")
    return int(page) if page.isascii() and page.isdigit() and 0 < int(page) < 100_000 else 1


@bp.route("/applications")
@coordinator_required
def applications() -> ResponseReturnValue:
    """Confirmed applications waiting for a decision, oldest first."""
    return render_template("coordinator/applications.html",
                           queue=orgs.application_queue(get_session()), now=utcnow(),
                           age_in_days=orgs.age_in_days)


@bp.route("/organisations")
@coordinator_required
def organisations() -> ResponseReturnValue:
    status = request.args.get("status", "")
    chosen = MembershipStatus(status) if status in set(MembershipStatus) else None
    search = request.args.get("search", "").strip()[:200]
    page = _page_number()
    rows, total = orgs.organisations_page(get_session(), status=chosen, search=search, page=page)
    return render_template("coordinator/organisations.html", rows=rows, total=total, page=page,
                           status=chosen, search=search, statuses=list(MembershipStatus))


@bp.route("/organisations/<int:org_id>")
@coordinator_required
def organisation(org_id: int) -> ResponseReturnValue:
    organisation = _organisation(org_id)
    session = get_session()
    return render_template(
        "coordinator/organisation.html", organisation=organisation, form=ActionForm(),
        hr_leads=orgs.hr_leads(session, organisation),
        duplicates=orgs.duplicates_of(session, organisation), commitments=all_commitments(),
        reason=orgs.STATUS_REASONS.get(organisation.status_reason or ""))


@bp.route("/organisations/<int:org_id>/approve", methods=["POST"])
@coordinator_required
def approve(org_id: int) -> ResponseReturnValue:
    organisation = _organisation(org_id)
    if ActionForm().validate_on_submit():
        session = get_session()
        try:
            orgs.approve_application(session, organisation, actor=current_user,
                                     renewal_months=current_app.config["RENEWAL_MONTHS"])
        except orgs.StatusChangeError:
            flash(ALREADY_CHANGED)
        else:
            emails.send_decision(session, organisation)
            session.commit()
            flash("Application approved. We have emailed the applicant.", "success")
            return redirect(url_for(".applications"), code=303)
    return redirect(url_for(".organisation", org_id=org_id), code=303)


@bp.route("/organisations/<int:org_id>/decline", methods=["GET", "POST"])
@coordinator_required
def decline(org_id: int) -> ResponseReturnValue:
    organisation = _organisation(org_id)
    form = DeclineForm()
    if form.validate_on_submit():
        session = get_session()
        try:
            orgs.decline_application(session, organisation, actor=current_user,
                                     reason=form.reason.data)
        except orgs.StatusChangeError:
            flash(ALREADY_CHANGED)
            return redirect(url_for(".organisation", org_id=org_id), code=303)
        emails.send_decision(session, organisation, message=form.message.data or None)
        session.commit()
        flash("Application declined. We have emailed the applicant.", "success")
        return redirect(url_for(".applications"), code=303)
    return render_template("coordinator/decline.html", organisation=organisation, form=form)


def _change_status(organisation: Organisation, change: object, form: object, template: str,
                   message: str) -> ResponseReturnValue:
    if form.validate_on_submit():
        session = get_session()
        try:
            change(session, organisation, actor=current_user, reason=form.reason.data)
        except orgs.StatusChangeError:
            flash(ALREADY_CHANGED)
            return redirect(url_for(".organisation", org_id=organisation.id), code=303)
        emails.send_status_change(session, organisation)
        session.commit()
        flash(message, "success")
        return redirect(url_for(".organisation", org_id=organisation.id), code=303)
    return render_template(template, organisation=organisation, form=form)


@bp.route("/organisations/<int:org_id>/suspend", methods=["GET", "POST"])
@coordinator_required
def suspend(org_id: int) -> ResponseReturnValue:
    return _change_status(_organisation(org_id), orgs.suspend_membership, SuspendForm(),
                          "coordinator/suspend.html", "Membership suspended. We have emailed "
                          "the HR leads.")


@bp.route("/organisations/<int:org_id>/withdraw", methods=["GET", "POST"])
@coordinator_required
def withdraw(org_id: int) -> ResponseReturnValue:
    return _change_status(_organisation(org_id), orgs.withdraw_membership, WithdrawForm(),
                          "coordinator/withdraw.html", "Membership ended. We have emailed the "
                          "HR leads.")


@bp.route("/organisations/<int:org_id>/reinstate", methods=["POST"])
@coordinator_required
def reinstate(org_id: int) -> ResponseReturnValue:
    organisation = _organisation(org_id)
    if ActionForm().validate_on_submit():
        session = get_session()
        try:
            orgs.reinstate_membership(session, organisation, actor=current_user,
                                      renewal_months=current_app.config["RENEWAL_MONTHS"])
        except orgs.StatusChangeError:
            flash(ALREADY_CHANGED)
        else:
            emails.send_status_change(session, organisation)
            session.commit()
            flash("Membership reinstated. We have emailed the HR leads.", "success")
    return redirect(url_for(".organisation", org_id=org_id), code=303)


@bp.route("/organisations/<int:org_id>/audit")
@coordinator_required
def audit(org_id: int) -> ResponseReturnValue:
    """The organisation's audit trail, newest first; opening it is itself recorded."""
    organisation = _organisation(org_id)
    session = get_session()
    page = _page_number()
    total = session.scalar(select(func.count()).select_from(AuditEvent)
                           .where(AuditEvent.organisation_id == organisation.id))
    rows = session.execute(
        select(AuditEvent, User.full_name).outerjoin(User, User.id == AuditEvent.actor_id)
        .where(AuditEvent.organisation_id == organisation.id)
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
        .offset((page - 1) * AUDIT_PAGE_SIZE).limit(AUDIT_PAGE_SIZE)).all()
    record_event(session, "organisation.audit_viewed", actor=current_user,
                 organisation=organisation, request_id=g.request_id)
    session.commit()
    return render_template("coordinator/audit.html", organisation=organisation, rows=rows,
                           page=page, total=total, page_size=AUDIT_PAGE_SIZE,
                           reasons={**orgs.STATUS_REASONS, **WITHDRAWAL_REASON_LABELS})
