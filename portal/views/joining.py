"""Applying to join the scheme: a task list, question pages, check answers, confirmation."""

from __future__ import annotations

import hashlib

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from portal.db import get_session
from portal.extensions import limiter
from portal.forms.joining import AccountForm
from portal.forms.organisations import (
    ActionForm,
    CommitmentForm,
    OrganisationDetailsForm,
    SiteForm,
    headcount_of,
)
from portal.models import BOROUGH_LABELS, SECTOR_LABELS, Borough, JoinDraft, User
from portal.permissions import public, sign_in_required
from portal.services import emails, joining
from portal.services.accounts import normalise_email
from portal.services.commitments import all_commitments, current_commitment
from portal.services.organisations import (
    DuplicateSiteError,
    SiteAnswers,
    likely_duplicates,
)
from portal.views.helpers import add_password_problem

bp = Blueprint("joining", __name__)

DRAFT_KEY = "join_draft"
SENT_KEY = "join_sent"


def _applicant() -> User | None:
    return current_user._get_current_object() if current_user.is_authenticated else None


def _draft(*, create: bool = False) -> JoinDraft | None:
    """This browser's draft application, found by the random id that is all the session holds."""
    db = get_session()
    max_age = current_app.config["JOIN_DRAFT_MAX_AGE"]
    draft = joining.load_draft(db, session.get(DRAFT_KEY), max_age)
    if draft is None and create:
        draft = joining.new_draft(db, max_age)
        session[DRAFT_KEY] = draft.id
    return draft


def _done(draft: JoinDraft | None) -> dict[str, bool]:
    return joining.completed_sections(draft, needs_account=_applicant() is None)


def _after_saving() -> ResponseReturnValue:
    """Back to check answers when the change came from there, else to the task list."""
    if request.args.get("from") == "check":
        return redirect(url_for(".check_answers"), code=303)
    return redirect(url_for(".start"), code=303)


def _needs_account_first(draft: JoinDraft | None) -> bool:
    return _applicant() is None and not _done(draft).get("account")


@bp.route("/join")
@public
def start() -> ResponseReturnValue:
    draft = _draft()
    done = _done(draft)
    return render_template("joining/start.html", done=done, all_done=all(done.values()),
                           needs_account=_applicant() is None)


@bp.route("/join/account", methods=["GET", "POST"])
@public
def account() -> ResponseReturnValue:
    """A new applicant's own account; people already signed in skip this."""
    if _applicant() is not None:
        return redirect(url_for(".start"), code=303)
    draft = _draft()
    form = AccountForm(data=draft.answers.get("account") if draft else None)
    valid = form.validate_on_submit()
    if form.is_submitted():
        add_password_problem(form.password, email=form.email.data, name=form.full_name.data)
    if valid and not form.password.errors:
        draft = draft or _draft(create=True)
        joining.save_section(draft, "account", {"full_name": form.full_name.data,
                                                "email": normalise_email(form.email.data)})
        draft.password_hash = current_app.extensions["portal.passwords"].hash(form.password.data)
        get_session().commit()
        return _after_saving()
    return render_template("joining/account.html", form=form)


@bp.route("/join/organisation", methods=["GET", "POST"])
@public
def organisation() -> ResponseReturnValue:
    draft = _draft()
    if _needs_account_first(draft):
        return redirect(url_for(".account"), code=303)
    saved = draft.answers.get("organisation") if draft else None
    form = OrganisationDetailsForm(data=_details_form_data(saved))
    if form.validate_on_submit():
        draft = draft or _draft(create=True)
        joining.save_section(draft, "organisation", {
            "name": form.name.data, "registered_number": form.registered_number.data or None,
            "sector": form.sector.data, "listed_publicly": form.listed_publicly.data == "yes"})
        get_session().commit()
        return _after_saving()
    return render_template("joining/organisation.html", form=form)


def _details_form_data(saved: dict | None) -> dict | None:
    if not saved:
        return None
    return {**saved, "listed_publicly": "yes" if saved["listed_publicly"] else "no"}


@bp.route("/join/sites")
@public
def sites() -> ResponseReturnValue:
    draft = _draft()
    if _needs_account_first(draft):
        return redirect(url_for(".account"), code=303)
    if draft is None or not joining.draft_sites(draft):
        return redirect(url_for(".add_site", **request.args), code=303)
    return render_template("joining/sites.html", sites=joining.draft_sites(draft),
                           boroughs=BOROUGH_LABELS, form=ActionForm(),
                           back_to=request.args.get("from"))


@bp.route("/join/sites/add", methods=["GET", "POST"])
@public
def add_site() -> ResponseReturnValue:
    draft = _draft()
    if _needs_account_first(draft):
        return redirect(url_for(".account"), code=303)
    form = SiteForm()
    if form.validate_on_submit():
        draft = draft or _draft(create=True)
        answers = SiteAnswers(form.name.data, Borough(form.borough.data), headcount_of(
            form.headcount))
        try:
            joining.add_draft_site(draft, answers)
        except DuplicateSiteError:
            form.name.errors.append("You have already added a site with this name")
        except joining.TooManySitesError:
            form.name.errors.append(f"You can add up to {joining.MAX_DRAFT_SITES} sites now. "
                                    "You can add more after you join")
        else:
            get_session().commit()
            return redirect(url_for(".sites", **request.args), code=303)
    return render_template("joining/add_site.html", form=form)


@bp.route("/join/sites/<int:number>/remove", methods=["POST"])
@public
def remove_site(number: int) -> ResponseReturnValue:
    draft = _draft()
    if draft is not None and ActionForm().validate_on_submit():
        joining.remove_draft_site(draft, number - 1)
        get_session().commit()
    return redirect(url_for(".sites", **request.args), code=303)


@bp.route("/join/commitment", methods=["GET", "POST"])
@public
def commitment() -> ResponseReturnValue:
    draft = _draft()
    if _needs_account_first(draft):
        return redirect(url_for(".account"), code=303)
    form = CommitmentForm(data=draft.answers.get("commitment") if draft else None)
    text = current_commitment()
    if form.validate_on_submit():
        draft = draft or _draft(create=True)
        joining.save_section(draft, "commitment", {
            "version": text.version, "signatory_name": form.signatory_name.data,
            "signatory_job_title": form.signatory_job_title.data})
        get_session().commit()
        return _after_saving()
    return render_template("joining/commitment.html", form=form, commitment=text)


def _join_address_key() -> str:
    return "join:" + (request.remote_addr or "unknown")


@bp.route("/join/check-answers", methods=["GET", "POST"])
@public
@limiter.limit(lambda: current_app.config["JOIN_LIMIT_PER_ADDRESS"], methods=["POST"],
               key_func=_join_address_key, scope="join")
def check_answers() -> ResponseReturnValue:
    draft = _draft()
    if draft is None or not all(_done(draft).values()):
        return redirect(url_for(".start"), code=303)
    form = ActionForm()
    if form.validate_on_submit():
        return _send(draft)
    details = draft.answers["organisation"]
    return render_template(
        "joining/check_answers.html", form=form, answers=draft.answers,
        applicant=_applicant(), sectors=SECTOR_LABELS, boroughs=BOROUGH_LABELS,
        commitments=all_commitments(),
        duplicates=bool(likely_duplicates(get_session(), name=details["name"],
                                          registered_number=details["registered_number"])))


def _send(draft: JoinDraft) -> ResponseReturnValue:
    db = get_session()
    try:
        _record_application(draft)
        db.commit()
    except IntegrityError:  # the same new address was sent a moment ago: it has an account now
        db.rollback()
        _record_application(_draft())
        db.commit()
    session.pop(DRAFT_KEY, None)
    return redirect(url_for(".sent"), code=303)


def _record_application(draft: JoinDraft) -> None:
    """Send the application. The session keeps only a random reference, also quoted in the
    e-mail, and the e-mail's row id, so "Check your email" can name the address without the
    cookie holding it, and looks the same whether or not the address had an account (AUTH-06)."""
    db = get_session()
    reference = joining.new_reference()
    sent = joining.send_application(db, draft, applicant=_applicant())
    message = None
    if sent.existing_account_email is not None:
        key = joining.existing_account_dedupe_key(sent.existing_account_email)
        if not joining.notice_already_sent_today(db, key):
            message = emails.send_existing_account_notice(
                db, sent.existing_account_email, dedupe_key=key, reference=reference)
    elif sent.needs_confirmation:
        token = joining.make_confirmation_token(current_app.config["SECRET_KEY"], sent.applicant)
        message = emails.send_email_confirmation(db, sent.applicant, token, reference=reference)
    if message is not None:
        db.flush()
    session[SENT_KEY] = {"reference": reference, "message": message.id if message else None}


@bp.route("/join/sent")
@public
def sent() -> ResponseReturnValue:
    applicant = _applicant()
    confirmed = applicant is not None and applicant.email_verified
    sent_now = session.get(SENT_KEY) or {}
    return render_template("joining/sent.html", confirmed=confirmed,
                           reference=sent_now.get("reference"),
                           address=joining.sent_to(get_session(), sent_now.get("message")))


@bp.route("/confirm-email/<token>", methods=["GET", "POST"])
@public
def confirm_email(token: str) -> ResponseReturnValue:
    """A GET shows a button, so that mail scanners opening the link confirm nothing."""
    db = get_session()
    try:
        user = joining.user_for_confirmation_token(
            db, current_app.config["SECRET_KEY"], token,
            int(current_app.config["EMAIL_CONFIRMATION_MAX_AGE"].total_seconds()))
    except joining.ConfirmationLinkExpiredError:
        return render_template("joining/confirm_problem.html", expired=True), 400
    except joining.ConfirmationLinkInvalidError:
        return render_template("joining/confirm_problem.html", expired=False), 400
    form = ActionForm()
    if form.validate_on_submit():
        submitted = joining.confirm_email(db, user)
        db.commit()
        return render_template("joining/confirmed.html", submitted=bool(submitted))
    return render_template("joining/confirm_email.html", form=form,
                           already=user.email_verified)


def _resend_key() -> str:
    return "confirm:" + hashlib.sha256(str(current_user.id).encode()).hexdigest()


@bp.route("/account/confirm-email", methods=["POST"])
@sign_in_required
@limiter.limit(lambda: current_app.config["CONFIRMATION_RESEND_LIMIT"], key_func=_resend_key,
               scope="confirm-resend")
def resend_confirmation() -> ResponseReturnValue:
    user = current_user._get_current_object()
    if ActionForm().validate_on_submit() and not user.email_verified:
        db = get_session()
        emails.send_email_confirmation(
            db, user, joining.make_confirmation_token(current_app.config["SECRET_KEY"], user))
        db.commit()
        flash("We have sent you a new link. Check your email.", "success")
    return redirect(url_for("main.dashboard"), code=303)
