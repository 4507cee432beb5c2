"""Policy adoption: HR leads record each element and upload evidence; coordinators verify it.

URLs use the element key with hyphens (written-policy). Evidence files are served only here, as
attachments with a neutral name, to the organisation's HR leads and to coordinators.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from portal import clock
from portal.db import get_session
from portal.forms.policy import (
    BulkVerifyForm,
    ElementForm,
    ReturnForm,
    VerifyForm,
    submitted_version,
)
from portal.models import ElementStatus, Organisation, OrgRole, utcnow
from portal.permissions import coordinator_required, organisation_role_required
from portal.services import organisations as orgs
from portal.services import policy, uploads
from portal.services.audit import record_event
from portal.services.model_policy import (
    DOCX_CONTENT_TYPE,
    DOWNLOAD_NAME,
    current_model_policy,
    model_policy_docx,
)
from portal.services.tiers import assess
from portal.views.helpers import attachment

log = logging.getLogger(__name__)
bp = Blueprint("policy", __name__)

CONFLICT = ("Another person saved changes to this element while you were editing it. Your "
            "changes have not been saved. Check what they saved, then save your answers again.")
FILE_AGAIN = "Your file was not saved. Choose it again if you still want to upload it"
REVIEW_CONFLICT = ("The organisation changed this element after you opened it. Check the "
                   "latest evidence before you decide.")
EVIDENCE_NEEDED = "Add an evidence note or upload a document, so a coordinator can verify it"
EXTENSIONS = {kind.content_type: kind.extension for kind in uploads.KINDS.values()}


def slug_of(key: str) -> str:
    return key.replace("_", "-")


@bp.app_template_global("policy_slug")
def policy_slug(key: str) -> str:
    return slug_of(key)


def _state(organisation: Organisation, slug: str) -> policy.ElementState:
    if not slug.isascii() or "_" in slug:
        abort(404)
    state = policy.element_state(get_session(), organisation, slug.replace("-", "_"))
    if state is None:
        abort(404)
    return state


def _store() -> uploads.FileStore:
    return uploads.FileStore(current_app.config["UPLOAD_DIR"])


@bp.route("/organisations/<int:org_id>/policy")
@organisation_role_required(OrgRole.HR_LEAD)
def index(organisation: Organisation) -> ResponseReturnValue:
    """Every framework element with where the organisation is with it."""
    session = get_session()
    return render_template("policy/index.html", organisation=organisation,
                           states=policy.element_states(session, organisation),
                           tier_assessment=assess(session, organisation, utcnow()))


def _initial(state: policy.ElementState) -> dict:
    record = state.record
    if record is None:  # nothing preselected: saving with no choice made is refused
        return {"version": "0"}
    return {"status": record.status.value, "in_place_on": record.in_place_on,
            "review_on": record.review_on, "evidence_note": record.evidence_note or "",
            "version": str(record.version)}


@bp.route("/organisations/<int:org_id>/policy/<slug>", methods=["GET", "POST"])
@organisation_role_required(OrgRole.HR_LEAD)
def element(organisation: Organisation, slug: str) -> ResponseReturnValue:
    """One element: its guidance, the form, and its history."""
    state = _state(organisation, slug)
    form = ElementForm(data=_initial(state))
    if form.is_submitted():
        # Every field is checked in one pass, the file and the evidence rule included.
        valid = form.validate()
        upload = _checked_upload(form, organisation)
        _require_evidence(form, state, upload)
        if valid and not form.errors:
            return _save(organisation, state, form, upload)
        if upload is not None:
            form.document.errors.append(FILE_AGAIN)
    return _element_page(organisation, state, form)


def _element_page(organisation: Organisation, state: policy.ElementState, form: ElementForm, *,
                  conflict: bool = False, status: int = 200) -> ResponseReturnValue:
    session = get_session()
    events = policy.history(session, state.record)
    return render_template("policy/element.html", organisation=organisation, state=state,
                           form=form, events=events, conflict=conflict,
                           documents=policy.documents_by_id(session, events)), status


def _checked_upload(form: ElementForm, organisation: Organisation
                    ) -> uploads.CheckedUpload | None:
    """The uploaded file if there is one and it is acceptable; otherwise a field error."""
    file = form.document.data
    if file is None or not getattr(file, "filename", None):
        return None
    max_bytes = current_app.config["UPLOAD_MAX_BYTES"]
    try:
        checked = uploads.check_upload(file.stream.read(max_bytes + 1), file.filename,
                                       max_bytes=max_bytes)
        clean = uploads.scan(checked.data, current_app.config["CLAMD_ADDRESS"])
    except uploads.UploadRejected as problem:
        form.document.errors.append(problem.reason)
        return None
    except uploads.ScannerUnavailable as error:
        log.error("uploads.scanner_unavailable", extra={"error": str(error)})
        form.document.errors.append("We could not check the file for viruses. Try again later")
        return None
    if not clean:
        _record_infected(organisation)
        form.document.errors.append("The selected file contains a virus. It has not been "
                                    "saved")
        return None
    return checked


def _record_infected(organisation: Organisation) -> None:
    """An infected upload is never stored; the attempt itself is audited."""
    session = get_session()
    session.rollback()
    record_event(session, "policy.document_rejected", actor=current_user,
                 organisation=organisation, outcome="infected")
    session.commit()


def _require_evidence(form: ElementForm, state: policy.ElementState,
                      upload: uploads.CheckedUpload | None) -> None:
    if not form.is_in_place or form.evidence_note.data or upload is not None:
        return
    if form.document.errors or (state.record is not None and state.record.document_id):
        return
    form.evidence_note.errors.append(EVIDENCE_NEEDED)


def _answers(form: ElementForm) -> policy.ElementAnswers:
    return policy.ElementAnswers(status=ElementStatus(form.status.data),
                                 in_place_on=form.in_place_on.data,
                                 review_on=form.review_on.data,
                                 evidence_note=form.evidence_note.data or None)


def _save(organisation: Organisation, state: policy.ElementState, form: ElementForm,
          upload: uploads.CheckedUpload | None) -> ResponseReturnValue:
    """Save in one transaction; a file written for it is removed again if the commit fails."""
    session = get_session()
    store = _store()
    result = None
    try:
        result = policy.save_element(
            session, organisation, state.element.key, _answers(form),
            version=submitted_version(form.version), actor=current_user, now=utcnow(),
            upload=upload, store=store)
        session.commit()
    except (policy.StaleRecordError, StaleDataError, IntegrityError):
        _discard(result, store)
        return _conflict(organisation, state, form, upload)
    except OSError as error:  # the file could not be written (FILE-08)
        _discard(result, store)
        log.error("uploads.write_failed", extra={"error": str(error)})
        form.document.errors.append("We could not save the file. Try again later")
        return _element_page(organisation, state, form, status=503)
    except BaseException:
        _discard(result, store)
        raise
    flash(f"{state.element.title}: saved" if result.changed else "Nothing was changed",
          "success")
    return redirect(url_for(".index", org_id=organisation.id), code=303)


def _discard(result: policy.SaveResult | None, store: uploads.FileStore) -> None:
    get_session().rollback()
    if result is not None and result.stored_key is not None:
        store.delete(result.stored_key)


def _conflict(organisation: Organisation, state: policy.ElementState, form: ElementForm,
              upload: uploads.CheckedUpload | None) -> ResponseReturnValue:
    """Show the other person's saved answers, keep this person's input, and base a new save on
    the latest version."""
    latest = policy.element_state(get_session(), organisation, state.element.key)
    form.version.data = str(latest.version)
    if upload is not None:
        form.document.errors.append(FILE_AGAIN)
    return _element_page(organisation, latest, form, conflict=True, status=409)


@bp.route("/organisations/<int:org_id>/policy/documents/<int:document_id>")
@organisation_role_required(OrgRole.HR_LEAD)
def document(organisation: Organisation, document_id: int) -> ResponseReturnValue:
    """Download evidence: an attachment with a neutral name, never shown in the browser."""
    found = policy.document_in(get_session(), organisation, document_id)
    if found is None:
        abort(404)
    try:
        data = _store().read(found.storage_key)
    except (OSError, ValueError):
        log.error("uploads.missing_file", extra={"document_id": found.id})
        abort(404)
    extension = EXTENSIONS.get(found.content_type, "bin")
    return attachment(data, f"evidence-{found.id}.{extension}", found.content_type)


@bp.route("/organisations/<int:org_id>/model-policy")
@organisation_role_required(OrgRole.HR_LEAD)
def model_policy(organisation: Organisation) -> ResponseReturnValue:
    return render_template("policy/model.html", organisation=organisation,
                           policy=current_model_policy())


@bp.route("/organisations/<int:org_id>/model-policy/download")
@organisation_role_required(OrgRole.HR_LEAD)
def model_policy_download(organisation: Organisation) -> ResponseReturnValue:
    return attachment(model_policy_docx(), DOWNLOAD_NAME, DOCX_CONTENT_TYPE)


# Coordinators: the verification queue and the decision on one element.

def _page_number() -> int:
    page = request.args.get("page", "1")
    return int(page) if page.isascii() and page.isdigit() and 0 < int(page) < 100_000 else 1


@bp.route("/coordinator/policy")
@coordinator_required
def queue() -> ResponseReturnValue:
    """Elements waiting for verification across organisations, oldest first."""
    return _queue_page(BulkVerifyForm())


def _queue_page(form: BulkVerifyForm, *, conflict: bool = False) -> ResponseReturnValue:
    page = _page_number()
    rows, total = policy.awaiting_verification(get_session(), page=page)
    return render_template("policy/queue.html", rows=rows, total=total, page=page,
                           page_size=policy.QUEUE_PAGE_SIZE, now=utcnow(), form=form,
                           conflict=conflict), 409 if conflict else 200


@bp.route("/coordinator/policy/verify-selected", methods=["POST"])
@coordinator_required
def verify_selected() -> ResponseReturnValue:
    """Verify several elements from the queue at once, in one transaction."""
    form = BulkVerifyForm()
    if not form.validate_on_submit():
        return _queue_page(form)
    session = get_session()
    try:
        count = policy.verify_selected(session, form.selected(), actor=current_user,
                                       now=utcnow())
        session.commit()
    except (policy.StaleRecordError, StaleDataError):
        session.rollback()
        return _queue_page(BulkVerifyForm(formdata=None), conflict=True)
    flash(f"{count} {'element' if count == 1 else 'elements'} verified", "success")
    return redirect(url_for(".queue"), code=303)


@bp.route("/coordinator/policy/reviews-overdue")
@coordinator_required
def reviews_overdue() -> ResponseReturnValue:
    """Elements in place whose organisation's own review date has passed, most overdue first."""
    page = _page_number()
    rows, total = policy.reviews_overdue(get_session(), clock.today(), page=page)
    return render_template("policy/reviews_overdue.html", rows=rows, total=total, page=page,
                           page_size=policy.QUEUE_PAGE_SIZE)


def _coordinator_organisation(org_id: int) -> Organisation:
    organisation = orgs.organisation_for_coordinator(get_session(), org_id)
    if organisation is None:
        abort(404)
    return organisation


def _review_page(organisation: Organisation, state: policy.ElementState, *,
                 verify_form: VerifyForm | None = None, return_form: ReturnForm | None = None,
                 conflict: bool = False, status: int = 200) -> ResponseReturnValue:
    session = get_session()
    verify_form = verify_form or VerifyForm(prefix="verify")
    return_form = return_form or ReturnForm(prefix="return")
    verify_form.version.data = return_form.version.data = str(state.version)
    events = policy.history(session, state.record)
    return render_template("policy/review.html", organisation=organisation, state=state,
                           verify_form=verify_form, return_form=return_form, events=events,
                           form=return_form,  # base.html marks the title of a page with errors
                           documents=policy.documents_by_id(session, events),
                           conflict=conflict), status


@bp.route("/coordinator/organisations/<int:org_id>/policy/<slug>")
@coordinator_required
def review(org_id: int, slug: str) -> ResponseReturnValue:
    organisation = _coordinator_organisation(org_id)
    return _review_page(organisation, _state(organisation, slug))


@bp.route("/coordinator/organisations/<int:org_id>/policy/<slug>/verify", methods=["POST"])
@coordinator_required
def verify(org_id: int, slug: str) -> ResponseReturnValue:
    organisation = _coordinator_organisation(org_id)
    state = _state(organisation, slug)
    form = VerifyForm(prefix="verify")
    if not form.validate_on_submit() or state.record is None:
        return redirect(url_for(".review", org_id=org_id, slug=slug), code=303)
    return _decide(organisation, state, lambda session, record: policy.verify_element(
        session, record, version=submitted_version(form.version), actor=current_user,
        now=utcnow()), f"{state.element.title}: verified", verify_form=form)


@bp.route("/coordinator/organisations/<int:org_id>/policy/<slug>/return", methods=["POST"])
@coordinator_required
def return_element(org_id: int, slug: str) -> ResponseReturnValue:
    organisation = _coordinator_organisation(org_id)
    state = _state(organisation, slug)
    form = ReturnForm(prefix="return")
    if state.record is None:
        return redirect(url_for(".review", org_id=org_id, slug=slug), code=303)
    if not form.validate_on_submit():
        return _review_page(organisation, state, return_form=form)
    return _decide(organisation, state, lambda session, record: policy.return_element(
        session, record, version=submitted_version(form.version), comment=form.comment.data,
        actor=current_user, now=utcnow()),
        f"{state.element.title}: returned to the organisation", return_form=form)


def _decide(organisation: Organisation, state: policy.ElementState,
            decide: Callable[..., None], message: str, **forms: object) -> ResponseReturnValue:
    session = get_session()
    try:
        decide(session, state.record)
        session.commit()
    except (policy.StaleRecordError, StaleDataError):
        session.rollback()
        latest = policy.element_state(session, organisation, state.element.key)
        return _review_page(organisation, latest, conflict=True, status=409, **forms)
    except (policy.NotInPlaceError, policy.AlreadyVerifiedError):
        session.rollback()
        flash("This element cannot be verified or returned as it is now.")
        return redirect(url_for(".review", org_id=organisation.id,
                                slug=slug_of(state.element.key)), code=303)
    flash(message, "success")
    return redirect(url_for(".queue"), code=303)
