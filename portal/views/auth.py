"""Signing in and out, and passwords: change, forgotten, reset."""

from __future__ import annotations

import hashlib
import logging
from functools import cache

from flask import (
    Blueprint,
    Flask,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_user, logout_user
from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import joinedload
from werkzeug.wrappers import Response

from portal.db import get_session
from portal.extensions import limiter, login_manager
from portal.forms.auth import (
    ChangeEmailForm,
    ChangeNameForm,
    ChangePasswordForm,
    ConfirmPasswordForm,
    ContinueForm,
    ForgotPasswordForm,
    NewPasswordForm,
    SignInForm,
)
from portal.mail import queue_email
from portal.models import User
from portal.permissions import mark_recently_authenticated, public, sign_in_required
from portal.security import (
    begin_two_factor,
    is_safe_next,
    keep_session_alive,
    seconds_until_signed_out,
    start_session_clock,
)
from portal.services import accounts, two_factor
from portal.services.audit import record_event
from portal.views.helpers import add_password_problem

bp = Blueprint("auth", __name__)
log = logging.getLogger(__name__)

SIGN_IN_FAILED = "Enter a correct email address and password"


def register_user_loader(app: Flask) -> None:
    login_manager.login_view = "auth.sign_in"
    login_manager.login_message = "Sign in to continue"
    login_manager.login_message_category = "info"
    login_manager.session_protection = None  # the session version does this job, across devices

    @login_manager.user_loader
    def load_user(alternative_id: str) -> User | None:
        """A session is valid only while its session version matches the account's (SESS-02)."""
        user_id, _, version = alternative_id.partition(":")
        if not user_id.isdigit() or not version.isdigit():
            return None
        # With their memberships: most signed-in pages need the person's roles, and one query
        # is cheaper than two. The statement is built once (_user_with_memberships).
        user = get_session().execute(_user_with_memberships(),
                                     {"user_id": int(user_id)}).unique().scalar_one_or_none()
        if user is None or not user.is_active or user.session_version != int(version):
            return None
        return user


@cache
def _user_with_memberships() -> Select:
    return (select(User).options(joinedload(User.memberships))
            .where(User.id == bindparam("user_id")))


def passwords() -> accounts.Passwords:
    return current_app.extensions["portal.passwords"]


def account_key_for(email: str) -> str:
    """Rate-limit key for an account, hashed so no e-mail address is kept in the store."""
    return "account:" + hashlib.sha256(accounts.normalise_email(email).encode()).hexdigest()


def account_key() -> str:
    return account_key_for(request.form.get("email", ""))


def sign_in_failed(response: Response) -> bool:
    return response.status_code == 200  # the form came back with an error


@bp.route("/sign-in", methods=["GET", "POST"])
@public
# shared_limit: one count per account for every form that checks a password (AUTH-04); a plain
# limit(scope=...) would count each endpoint separately.
@limiter.shared_limit(lambda: current_app.config["SIGN_IN_LIMIT_PER_ACCOUNT"], "password-check",
                      key_func=account_key, methods=["POST"], deduct_when=sign_in_failed)
@limiter.limit(lambda: current_app.config["SIGN_IN_LIMIT_PER_ADDRESS"], methods=["POST"],
               deduct_when=sign_in_failed, scope="password-check-address")
def sign_in() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    form = SignInForm()
    if form.validate_on_submit():
        user = accounts.authenticate(get_session(), passwords(), form.email.data,
                                     form.password.data)
        if user is not None:
            return _complete_sign_in(user)
        record_event(get_session(), "sign_in", outcome="failure", request_id=g.request_id)
        get_session().commit()
        form.password.errors.append(SIGN_IN_FAILED)
    return render_template("auth/sign_in.html", form=form)


def _complete_sign_in(user: User) -> ResponseReturnValue:
    next_url = request.args.get("next")
    destination = next_url if is_safe_next(next_url) else url_for("main.dashboard")
    if user.needs_two_factor:
        # Coordinators are not signed in yet: a code from their app comes next (AUTH-14).
        begin_two_factor(user.id, user.session_version, destination)
        record_event(get_session(), "sign_in.password_accepted", actor=user,
                     request_id=g.request_id)
        get_session().commit()
        step = "two_factor.code" if user.has_two_factor else "two_factor.set_up"
        return redirect(url_for(step), code=303)
    log_in(user)
    get_session().commit()
    return redirect(after_sign_in(user, destination), code=303)


def log_in(user: User, **details: str) -> None:
    """Start a new signed-in session; the caller commits the audit event."""
    session.clear()  # nothing planted before sign-in survives it (SESS-05)
    login_user(user)
    start_session_clock()
    record_event(get_session(), "sign_in", actor=user, request_id=g.request_id,
                 details=details or None)


def after_sign_in(user: User, destination: str) -> str:
    """Where a newly signed-in person goes: the quick-exit explanation first, once."""
    if user.exit_explained_at is None:
        return url_for("main.welcome", next=destination)
    return destination


@bp.route("/sign-out", methods=["POST"])
@sign_in_required
def sign_out() -> ResponseReturnValue:
    """Sign out; every copy of this person's session cookie stops working too."""
    user = current_user._get_current_object()
    accounts.end_all_sessions(user)
    record_event(get_session(), "sign_out", actor=user, request_id=g.request_id)
    get_session().commit()
    logout_user()
    session.clear()
    flash("You have signed out", "success")
    return redirect(url_for("auth.sign_in"), code=303)


@bp.route("/session/keep", methods=["POST"])
@sign_in_required
def keep_signed_in() -> ResponseReturnValue:
    """'Stay signed in' in the timeout warning: the idle clock starts again (CSRF-checked)."""
    keep_session_alive()
    seconds = seconds_until_signed_out(current_user)
    if request.accept_mimetypes.best == "application/json":
        return jsonify(secondsLeft=seconds)
    flash("You are still signed in", "success")
    return redirect(url_for("main.dashboard"), code=303)


@bp.route("/session/ended")
@public
def session_ended() -> ResponseReturnValue:
    """Where the timeout warning sends someone whose time ran out: signed out, told why, and
    offered the way back to the page they were on."""
    next_url = request.args.get("next")
    if current_user.is_authenticated and seconds_until_signed_out(current_user) > 0:
        # Still signed in: another tab kept the session alive.
        return redirect(next_url if is_safe_next(next_url) else url_for("main.dashboard"),
                        code=303)
    if current_user.is_authenticated:
        logout_user()
    session.clear()
    return render_template("auth/session_ended.html",
                           next_url=next_url if is_safe_next(next_url) else None)


@bp.route("/account")
@sign_in_required
def account() -> ResponseReturnValue:
    codes_left = two_factor.recovery_codes_left(get_session(), current_user) \
        if current_user.has_two_factor else None
    return render_template("auth/account.html", recovery_codes_left=codes_left)


@bp.route("/account/name", methods=["GET", "POST"])
@sign_in_required
def change_name() -> ResponseReturnValue:
    user = current_user._get_current_object()
    form = ChangeNameForm(data={"full_name": user.full_name})
    if form.validate_on_submit():
        if form.full_name.data == user.full_name:
            flash("Nothing was changed", "success")
        else:
            user.full_name = form.full_name.data
            record_event(get_session(), "account.name_changed", actor=user,
                         request_id=g.request_id)
            get_session().commit()
            flash("Your name has been changed", "success")
        return redirect(url_for("auth.account"), code=303)
    return render_template("auth/change_name.html", form=form)


@bp.route("/account/email", methods=["GET", "POST"])
@sign_in_required
@limiter.shared_limit(lambda: current_app.config["SIGN_IN_LIMIT_PER_ACCOUNT"], "password-check",
                      key_func=lambda: account_key_for(current_user.email), methods=["POST"],
                      deduct_when=sign_in_failed)
def change_email() -> ResponseReturnValue:
    """A new address takes effect only when the link sent to it is opened."""
    user = current_user._get_current_object()
    form = ChangeEmailForm()
    valid = form.validate_on_submit()
    if form.is_submitted():
        if form.password.data and not form.password.errors \
                and not passwords().verify(user.password_hash, form.password.data):
            form.password.errors.append("Your password is not correct")
        if not form.email.errors and form.email.data and \
                accounts.normalise_email(form.email.data) == user.email:
            form.email.errors.append("This is already your email address. Enter a new one")
    if valid and not form.errors:
        token = accounts.ask_to_change_email(user, form.email.data,
                                             current_app.config["SECRET_KEY"])
        link = current_app.config["BASE_URL"].rstrip("/") + url_for(
            "auth.confirm_new_email", token=token)
        queue_email(get_session(), kind="email_change", to=user.pending_email,
                    subject=f"Confirm your new email address – "
                            f"{current_app.config['SCHEME_NAME']}",
                    template="email_change_confirmation", user=user, link=link,
                    days=current_app.config["EMAIL_CONFIRMATION_MAX_AGE"].days)
        record_event(get_session(), "account.email_change_requested", actor=user,
                     request_id=g.request_id)
        get_session().commit()
        flash(f"We have sent a link to {user.pending_email}. Your email address changes when "
              "you open it.", "success")
        return redirect(url_for("auth.account"), code=303)
    return render_template("auth/change_email.html", form=form)


@bp.route("/confirm-new-email/<token>", methods=["GET", "POST"])
@public
def confirm_new_email(token: str) -> ResponseReturnValue:
    """A GET shows a button, so a mail scanner opening the link changes nothing."""
    db = get_session()
    try:
        user = accounts.user_for_email_change_token(
            db, current_app.config["SECRET_KEY"], token,
            int(current_app.config["EMAIL_CONFIRMATION_MAX_AGE"].total_seconds()))
    except accounts.EmailChangeLinkExpiredError:
        return render_template("auth/email_change_problem.html", expired=True), 400
    except accounts.EmailChangeLinkInvalidError:
        return render_template("auth/email_change_problem.html", expired=False), 400
    form = ContinueForm()
    if form.validate_on_submit():
        try:
            old = accounts.confirm_email_change(db, user)
        except accounts.EmailInUseError:
            return render_template("auth/email_change_problem.html", in_use=True), 409
        queue_email(db, kind="email_changed", to=old,
                    subject=f"Your email address has changed – "
                            f"{current_app.config['SCHEME_NAME']}",
                    template="email_changed_notice", user=user,
                    contact=current_app.config["BASE_URL"].rstrip("/") + url_for("main.contact"))
        record_event(db, "account.email_changed", actor=user, request_id=g.request_id)
        db.commit()
        flash("Your email address has been changed. Use it to sign in from now on.", "success")
        return redirect(url_for("auth.account" if current_user.is_authenticated
                                else "auth.sign_in"), code=303)
    return render_template("auth/confirm_new_email.html", form=form, new_email=user.pending_email)


@bp.route("/account/password", methods=["GET", "POST"])
@sign_in_required
@limiter.shared_limit(lambda: current_app.config["SIGN_IN_LIMIT_PER_ACCOUNT"], "password-check",
                      key_func=lambda: account_key_for(current_user.email), methods=["POST"],
                      deduct_when=sign_in_failed)
def change_password() -> ResponseReturnValue:
    form = ChangePasswordForm()
    user = current_user._get_current_object()
    valid = form.validate_on_submit()
    if form.is_submitted():
        # Every problem at once: a wrong current password and a weak new one together.
        if form.current_password.data and not form.current_password.errors \
                and not passwords().verify(user.password_hash, form.current_password.data):
            form.current_password.errors.append("Your current password is not correct")
        add_password_problem(form.password, email=user.email, name=user.full_name)
    if valid and not form.errors:
        first_own_password = user.password_change_required
        accounts.set_password(user, passwords(), form.password.data)
        record_event(get_session(), "password_changed", actor=user, request_id=g.request_id)
        get_session().commit()
        login_user(user)  # this session carries on with the new session version
        if first_own_password:
            flash("Your password has been changed", "success")
            return redirect(after_sign_in(user, url_for("main.dashboard")), code=303)
        flash("Your password has been changed. You have been signed out on other "
              "devices.", "success")
        return redirect(url_for("auth.account"), code=303)
    return render_template("auth/change_password.html", form=form,
                           first_own_password=current_user.password_change_required)


def reset_email_key() -> str:
    email = accounts.normalise_email(request.form.get("email", ""))
    return "reset:" + hashlib.sha256(email.encode()).hexdigest()


@bp.route("/forgot-password", methods=["GET", "POST"])
@public
@limiter.limit(lambda: current_app.config["RESET_LIMIT_PER_ACCOUNT"], key_func=reset_email_key,
               methods=["POST"], scope="reset-account")
@limiter.limit(lambda: current_app.config["RESET_LIMIT_PER_ADDRESS"], methods=["POST"],
               scope="reset-address")
def forgot_password() -> ResponseReturnValue:
    """The same response whether or not the address has an account (AUTH-06)."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        db = get_session()
        user = accounts.find_user_by_email(db, form.email.data)
        if user is not None and user.is_active:
            _queue_reset_email(user)
            record_event(db, "password_reset_requested", actor=user, request_id=g.request_id)
            db.commit()
        return redirect(url_for("auth.reset_link_sent"), code=303)
    return render_template("auth/forgot_password.html", form=form)


def _queue_reset_email(user: User) -> None:
    token = accounts.make_reset_token(current_app.config["SECRET_KEY"], user)
    # Links are built from BASE_URL, never from the Host header (AUTH-10).
    link = current_app.config["BASE_URL"].rstrip("/") + url_for("auth.reset_password",
                                                                 token=token)
    queue_email(get_session(), kind="password_reset", to=user.email,
                subject=f"Reset your password – {current_app.config['SCHEME_NAME']}",
                template="password_reset", user=user, link=link)


@bp.route("/forgot-password/sent")
@public
def reset_link_sent() -> ResponseReturnValue:
    return render_template("auth/reset_link_sent.html")


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
@public
def reset_password(token: str) -> ResponseReturnValue:
    db = get_session()
    try:
        user = accounts.user_for_reset_token(
            db, current_app.config["SECRET_KEY"], token,
            int(current_app.config["RESET_TOKEN_MAX_AGE"].total_seconds()))
    except accounts.ResetLinkExpiredError:
        return render_template("auth/reset_link_problem.html", expired=True), 400
    except accounts.ResetLinkInvalidError:
        return render_template("auth/reset_link_problem.html", expired=False), 400
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            accounts.set_password(user, passwords(), form.password.data)
        except accounts.PasswordPolicyError as error:
            form.password.errors.append(str(error))
        else:
            record_event(db, "password_reset", actor=user, request_id=g.request_id)
            db.commit()
            flash("Your password has been reset. You can now sign in.", "success")
            return redirect(url_for("auth.sign_in"), code=303)
    return render_template("auth/reset_password.html", form=form)


@bp.route("/confirm-password", methods=["GET", "POST"])
@sign_in_required
@limiter.shared_limit(lambda: current_app.config["SIGN_IN_LIMIT_PER_ACCOUNT"], "password-check",
                      key_func=lambda: account_key_for(current_user.email), methods=["POST"],
                      deduct_when=sign_in_failed)
@limiter.limit(lambda: current_app.config["SIGN_IN_LIMIT_PER_ADDRESS"], methods=["POST"],
               deduct_when=sign_in_failed, scope="password-check-address")
def confirm_password() -> ResponseReturnValue:
    """Enter the password again before a sensitive action (permissions.recent_authentication_
    required); throttled and audited like signing in (AUTH-04)."""
    form = ConfirmPasswordForm()
    next_url = request.args.get("next")
    if form.validate_on_submit():
        user = current_user._get_current_object()
        if passwords().verify(user.password_hash, form.password.data):
            mark_recently_authenticated()
            record_event(get_session(), "password_confirmed", actor=user,
                         request_id=g.request_id)
            get_session().commit()
            flash("Password confirmed", "success")
            return redirect(next_url if is_safe_next(next_url) else url_for("main.dashboard"),
                            code=303)
        record_event(get_session(), "password_confirmed", actor=user, outcome="failure",
                     request_id=g.request_id)
        get_session().commit()
        form.password.errors.append("Your password is not correct")
    return render_template("auth/confirm_password.html", form=form)
