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
from sqlalchemy import select

from portal.db import get_session
from portal.forms.coordinator import (
    AuditFilterForm,
    DeclineForm,
    SuspendForm,
    WithdrawForm,
    parse_day,
)
from portal.forms.filters import page_number, parse_search
from portal.forms.organisations import ActionForm
from portal.forms.workbench import ApproveForm
from portal.models import (
    WITHDRAWAL_REASON_LABELS,
    AuditEvent,
    Membership,
    NoteKind,
    Organisation,
    SchemeStatus,
    Tier,
    User,
    utcnow,
)
from portal.permissions import coordinator_required
from portal.services import accounts, emails, notes, organisation_search, policy
from portal.services import organisations as orgs
from portal.services.audit import AuditFilters, audit_page, record_event
from portal.services.commitments import all_commitments
from portal.services.policy_framework import policy_framework
from portal.services.tiers import assess
from portal.views.monitoring import filter_choices

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
    "membership.ended": "Role ended",
    "support_service.added": "Support service added",
    "support_service.edited": "Support service changed",
    "support_service.checked": "Support service checked",
    "support_service.retired": "Support service removed from the directory",
    "support_directory.loaded": "Support directory loaded from its file",
    "sign_in": "Signed in",
    "sign_out": "Signed out",
    "password_changed": "Password changed",
    "password_reset_requested": "Password reset requested",
    "password_reset": "Password reset",
    "person.viewed": "Person’s record viewed",
    "person.exported": "Person’s data downloaded (subject access)",
    "person.erased": "Person’s data erased",
    "retention.applied": "Retention schedule applied",
    "audit.viewed": "Audit log viewed",
    "organisation.tier_changed": "Tier changed",
    "tiers.checked": "Every organisation’s tier re-checked",
    "policy.element_saved": "Policy element updated",
    "policy.element_verified": "Policy element verified",
    "policy.element_returned": "Policy element returned",
    "policy.document_rejected": "Policy document refused (virus found)",
    "assignment.created": "Training assigned",
    "assignment.cancelled": "Assignment cancelled",
    "person.signed_out_everywhere": "Person signed out on every device",
    "access.denied": "Access refused",
    "organisation.note_added": "Note added",
    "email.retried": "Email queued to be sent again",
    "report.subscribed": "Board report’s monthly email started",
    "report.unsubscribed": "Board report’s monthly email stopped",
}
# Reasons recorded by erasure and retention, alongside the organisations' and champions' reasons.
PRIVACY_REASONS = {"request": "On request", "retention": "Under the retention schedule",
                   "erasure": "The person’s data was erased"}
TARGET_LABELS = {"site": "Site", "invitation": "Invitation", "membership": "Membership",
                 "user": "Person", "organisationnote": "Note", "outboxmessage": "Email"}
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
    if isinstance(details.get("counts"), dict):
        parts.extend(f"{name.replace('_', ' ').capitalize()}: {count}"
                     for name, count in details["counts"].items())
    if event.action == "organisation.note_added" and details.get("kind") in set(NoteKind):
        parts.append(NoteKind(details["kind"]).label)
    if event.action == "organisation.tier_changed":
        parts.append(f"{_tier_label(details.get('from'))} to {_tier_label(details.get('to'))}")
    if "element" in details:
        element = policy_framework().get(details["element"])
        parts.append(element.title if element else details["element"])
    if event.target_type in TARGET_LABELS and event.target_id:
        parts.append(f"{TARGET_LABELS[event.target_type]} {event.target_id}")
    return "; ".join(parts)


def audit_reasons() -> dict[str, str]:
    return {**orgs.STATUS_REASONS, **WITHDRAWAL_REASON_LABELS, **PRIVACY_REASONS}


def _tier_label(value: str | None) -> str:
    return Tier(value).label if value in set(Tier) else "no tier"


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
    """Confirmed applications waiting for a decision, oldest first; `?waiting=14`: only those
    waiting more than 14 days (the home page's queue links here)."""
    raw = request.args.get("waiting", "")
    waiting = int(raw) if raw.isascii() and raw.isdigit() and 0 < int(raw) <= 3650 else None
    now = utcnow()
    return render_template("coordinator/applications.html", waiting=waiting, now=now,
                           queue=orgs.application_queue(get_session(), waiting_more_than=waiting,
                                                        now=now),
                           age_in_days=orgs.age_in_days)


@bp.route("/organisations")
@coordinator_required
def organisations() -> ResponseReturnValue:
    """Search, filter, sort and page through every organisation; three statements a page.

    Pages are found by keyset: `?after=<id>` (the page after that organisation), `?before=<id>`
    (the page before it), each with the `page` number to show, or `?page=<number>` alone (the
    first and last pages, or a number typed in).
    """
    search, parsed = parse_search(request.args)
    page = page_number(request.args.get("page")) if request.args.get("page") else None
    results = organisation_search.organisations_page(
        get_session(), search, page, after=_cursor("after"), before=_cursor("before"))
    args = search.query_args()
    return render_template("coordinator/organisations.html", results=results, search=search,
                           parsed=parsed, form=parsed, choices=filter_choices(), args=args,
                           pagination=_organisations_pagination(results, args))


def _cursor(name: str) -> int | None:
    """An organisation id from a page link; anything else is 0, which no organisation has, so
    the list says the link is out of date and shows the first page."""
    value = request.args.get(name)
    if value is None:
        return None
    return int(value) if value.isascii() and value.isdigit() and len(value) < 10 else 0


def _organisations_pagination(results: organisation_search.Page,
                              args: dict[str, str]) -> dict | None:
    """GOV.UK pagination: the first and last pages by number, the pages either side of this
    one by keyset (from its first and last rows)."""
    if results.pages < 2 or not results.rows:
        return None
    page, pages = results.page, results.pages

    def link(**where: int) -> str:
        return url_for(".organisations", **args, **where)

    links = {1: link(), pages: link(page=pages)}
    if page > 2:
        links[page - 1] = link(before=results.rows[0].id, page=page - 1)
    if page < pages - 1:
        links[page + 1] = link(after=results.rows[-1].id, page=page + 1)
    items: list[dict] = []
    previous = 0
    for number in sorted(set(links) | {page}):
        if number - previous > 1:
            items.append({"ellipsis": True})
        items.append({"number": f"{number:,}", "current": number == page,
                      "href": links.get(number, "#")})
        previous = number
    pagination: dict = {"items": items, "landmarkLabel": "Pages of organisations"}
    if page > 1:
        pagination["previous"] = {"href": links[page - 1]}
    if page < pages:
        pagination["next"] = {"href": links[page + 1]}
    return pagination


@bp.route("/organisations/<int:org_id>")
@coordinator_required
def organisation(org_id: int) -> ResponseReturnValue:
    organisation = _organisation(org_id)
    session = get_session()
    return render_template(
        "coordinator/organisation.html", organisation=organisation, form=ActionForm(),
        hr_leads=orgs.hr_leads(session, organisation),
        duplicates=orgs.duplicates_of(session, organisation), commitments=all_commitments(),
        reason=orgs.STATUS_REASONS.get(organisation.status_reason or ""),
        policy_summary=policy.policy_summary(session, organisation),
        tier_assessment=assess(session, organisation, utcnow()))


@bp.route("/organisations/<int:org_id>/approve", methods=["GET", "POST"])
@coordinator_required
def approve(org_id: int) -> ResponseReturnValue:
    """Approving with care: a page to confirm on, with an optional note for the log."""
    organisation = _organisation(org_id)
    form = ApproveForm()
    if form.validate_on_submit():
        session = get_session()
        try:
            orgs.approve_application(session, organisation, actor=current_user,
                                     renewal_months=current_app.config["RENEWAL_MONTHS"])
        except orgs.StatusChangeError:
            session.rollback()
            flash(ALREADY_CHANGED)
            return redirect(url_for(".organisation", org_id=org_id), code=303)
        if form.note.data and form.note.data.strip():
            notes.add_note(session, organisation, kind=NoteKind.DECISION, body=form.note.data,
                           author=current_user, request_id=g.request_id)
        emails.send_decision(session, organisation)
        session.commit()
        flash("Application approved. We have emailed the applicant.", "success")
        return redirect(url_for(".applications"), code=303)
    if organisation.scheme_status != SchemeStatus.APPLIED \
            or organisation.is_waiting_for_confirmation:
        return redirect(url_for(".organisation", org_id=org_id), code=303)
    return render_template("coordinator/approve.html", organisation=organisation, form=form,
                           duplicates=orgs.duplicates_of(get_session(), organisation))


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
    return _change_status(_organisation(org_id), orgs.suspend_organisation, SuspendForm(),
                          "coordinator/suspend.html", "Membership suspended. We have emailed "
                          "the HR leads.")


@bp.route("/organisations/<int:org_id>/withdraw", methods=["GET", "POST"])
@coordinator_required
def withdraw(org_id: int) -> ResponseReturnValue:
    return _change_status(_organisation(org_id), orgs.withdraw_organisation, WithdrawForm(),
                          "coordinator/withdraw.html", "Membership ended. We have emailed the "
                          "HR leads.")


@bp.route("/organisations/<int:org_id>/reinstate", methods=["POST"])
@coordinator_required
def reinstate(org_id: int) -> ResponseReturnValue:
    organisation = _organisation(org_id)
    if ActionForm().validate_on_submit():
        session = get_session()
        try:
            orgs.reinstate_organisation(session, organisation, actor=current_user,
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
    rows, total = audit_page(session, AuditFilters(organisation_id=organisation.id), page=page,
                             page_size=AUDIT_PAGE_SIZE)
    record_event(session, "organisation.audit_viewed", actor=current_user,
                 organisation=organisation, request_id=g.request_id)
    session.commit()
    return render_template("coordinator/audit.html", organisation=organisation, rows=rows,
                           page=page, total=total, page_size=AUDIT_PAGE_SIZE,
                           reasons=audit_reasons())


@bp.route("/audit")
@coordinator_required
def audit_log() -> ResponseReturnValue:
    """Every audit event, filtered by what happened, organisation, who and when (in the URL)."""
    session = get_session()
    form = AuditFilterForm(request.args)
    form.action.choices = [("", "Anything"), *AUDIT_ACTIONS.items()]
    form.organisation.choices = [("", "Any organisation"), *(
        (str(org_id), name) for org_id, name in session.execute(
            select(Organisation.id, Organisation.name).order_by(Organisation.name)))]
    form.validate()
    filters = _audit_filters(form)
    page = _page_number()
    rows, total = audit_page(session, filters, page=page, page_size=AUDIT_PAGE_SIZE)
    actor = session.get(User, filters.actor_id) if filters.actor_id is not None else None
    record_event(session, "audit.viewed", actor=current_user, request_id=g.request_id)
    session.commit()
    query = _filter_query(form)
    return render_template("coordinator/audit_log.html", form=form, rows=rows, page=page,
                           total=total, page_size=AUDIT_PAGE_SIZE, actor=actor, query=query,
                           without_actor={k: v for k, v in query.items() if k != "actor"},
                           reasons=audit_reasons())


def _valid(field: object) -> str | None:
    return None if field.errors or not field.data else field.data


def _audit_filters(form: AuditFilterForm) -> AuditFilters:
    """The filters as asked, leaving out any with an error (shown on the page)."""
    organisation, actor = _valid(form.organisation), _valid(form.actor)
    return AuditFilters(action=_valid(form.action),
                        organisation_id=int(organisation) if organisation else None,
                        actor_id=int(actor) if actor else None,
                        since=parse_day(_valid(form.since)), until=parse_day(_valid(form.until)))


def _filter_query(form: AuditFilterForm) -> dict[str, str]:
    """The valid filters, for pagination links that keep them."""
    names = ("action", "organisation", "actor", "since", "until")
    return {name: value for name in names if (value := _valid(form[name]))}


def _member(organisation: Organisation, user_id: int) -> User:
    """A person with a current role in this organisation, or 404."""
    person = get_session().scalar(
        select(User).join(Membership).where(Membership.organisation_id == organisation.id,
                                            Membership.is_current, User.id == user_id))
    if person is None:
        abort(404)
    return person


@bp.route("/organisations/<int:org_id>/people/<int:user_id>/sign-out-everywhere",
          methods=["GET", "POST"])
@coordinator_required
def sign_out_everywhere(org_id: int, user_id: int) -> ResponseReturnValue:
    """End every session a person has, on every device (SESS-09): their cookies stop working."""
    organisation = _organisation(org_id)
    person = _member(organisation, user_id)
    form = ActionForm()
    if form.validate_on_submit():
        session = get_session()
        accounts.end_all_sessions(person)
        record_event(session, "person.signed_out_everywhere", actor=current_user,
                     organisation=organisation, target=person, request_id=g.request_id)
        session.commit()
        flash(f"{person.full_name} has been signed out on every device.", "success")
        return redirect(url_for(".organisation", org_id=organisation.id), code=303)
    return render_template("coordinator/sign_out_everywhere.html", organisation=organisation,
                           person=person, form=form)
