"""Two-factor sign-in for coordinators: the code step, recovery codes, and setting up an app.

After the password, the session holds only a short-lived marker naming the person
(portal.security.begin_two_factor); they are signed in only once a code is accepted here.
Every code form shares one per-account limit on wrong codes (AUTH-14).
"""

from __future__ import annotations

from datetime import timedelta

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user
from werkzeug.wrappers import Response

from portal.compression import keep_uncompressed
from portal.db import get_session
from portal.extensions import limiter
from portal.forms.two_factor import WRONG_CODE, WRONG_RECOVERY_CODE, AppCodeForm, RecoveryCodeForm
from portal.models import User
from portal.permissions import ViewFn, coordinator_required, public
from portal.security import TWO_FACTOR_PENDING_KEY, end_two_factor, two_factor_pending
from portal.services import two_factor
from portal.services.audit import record_event
from portal.views.auth import after_sign_in, log_in
from portal.views.helpers import client_address

bp = Blueprint("two_factor", __name__)

SIGN_IN_AGAIN = "Sign in again to continue"
FEW_CODES_LEFT = 3


def two_factor_key() -> str:
    """Wrong codes count per account: the signed-in person, or the one part-way through."""
    if current_user.is_authenticated:
        return f"two-factor:{current_user.id}"
    marker = session.get(TWO_FACTOR_PENDING_KEY)
    user_id = marker.get("user") if isinstance(marker, dict) else None
    return f"two-factor:{user_id}" if isinstance(user_id, int) else "two-factor:" + client_address()


def code_failed(response: Response) -> bool:
    return response.status_code == 200  # the form came back with an error


def limited(view: ViewFn) -> ViewFn:
    # One shared count for every code form, so no form is a side door for guessing (AUTH-04).
    return limiter.shared_limit(lambda: current_app.config["TWO_FACTOR_LIMIT_PER_ACCOUNT"],
                                scope="two-factor", key_func=two_factor_key, methods=["POST"],
                                deduct_when=code_failed)(view)


def _pending(limit: timedelta) -> tuple[User, str] | None:
    """The person part-way through signing in, and where they were going; None if expired."""
    pending = two_factor_pending(limit)
    if pending is None:
        return None
    user_id, version, destination = pending
    user = get_session().get(User, user_id)
    if (user is None or not user.is_active or not user.needs_two_factor
            or user.session_version != version):
        end_two_factor()
        return None
    return user, destination


def _start_again() -> ResponseReturnValue:
    flash(SIGN_IN_AGAIN, "info")
    return redirect(url_for("auth.sign_in"), code=303)


def _signing_in_with_app() -> tuple[User, str]:
    """The person at the code step and where they were going; otherwise back to the step they
    need (sign in again if the pending sign-in expired, set up if they have no app yet)."""
    pending = _pending(current_app.config["TWO_FACTOR_PENDING_LIMIT"])
    if pending is None:
        abort(_start_again())
    user, destination = pending
    if not user.has_two_factor:
        abort(redirect(url_for(".set_up"), code=303))
    return user, destination


def _failed(user: User, method: str) -> None:
    record_event(get_session(), "two_factor", actor=user, outcome="failure",
                 request_id=g.request_id, details={"method": method})
    get_session().commit()


@bp.route("/sign-in/code", methods=["GET", "POST"])
@public
@limited
def code() -> ResponseReturnValue:
    user, destination = _signing_in_with_app()
    form = AppCodeForm()
    if form.validate_on_submit():
        db = get_session()
        if two_factor.accept_code(db, user, form.code.data):
            log_in(user, second_factor="app")
            db.commit()
            return redirect(after_sign_in(user, destination), code=303)
        _failed(user, "app")
        form.code.errors.append(WRONG_CODE)
    return render_template("auth/two_factor_code.html", form=form)


@bp.route("/sign-in/recovery-code", methods=["GET", "POST"])
@public
@limited
def recovery_code() -> ResponseReturnValue:
    user, destination = _signing_in_with_app()
    form = RecoveryCodeForm()
    if form.validate_on_submit():
        db = get_session()
        if two_factor.use_recovery_code(db, user, form.code.data):
            left = two_factor.recovery_codes_left(db, user)
            record_event(db, "two_factor.recovery_code_used", actor=user,
                         request_id=g.request_id, details={"count": left})
            log_in(user, second_factor="recovery_code")
            db.commit()
            if left <= FEW_CODES_LEFT:
                flash(f"You have {left} recovery code{'' if left == 1 else 's'} left. Get new "
                      "ones from your account page.", "info")
            return redirect(after_sign_in(user, destination), code=303)
        _failed(user, "recovery_code")
        form.code.errors.append(WRONG_RECOVERY_CODE)
    return render_template("auth/two_factor_recovery.html", form=form)


@bp.route("/sign-in/set-up-app", methods=["GET", "POST"])
@public
@limited
def set_up() -> ResponseReturnValue:
    """First sign-in of a coordinator: scan the QR code (or type the key), confirm a code."""
    pending = _pending(current_app.config["TWO_FACTOR_SETUP_LIMIT"])
    if pending is None:
        return _start_again()
    user, destination = pending
    if user.has_two_factor:
        return redirect(url_for(".code"), code=303)  # set up already: no second enrolment
    db = get_session()
    secret = two_factor.begin_setup(user)
    db.commit()
    form = AppCodeForm()
    if form.validate_on_submit():
        codes = two_factor.confirm_setup(db, user, form.code.data)
        if codes is not None:
            record_event(db, "two_factor.enabled", actor=user, request_id=g.request_id)
            log_in(user, second_factor="set_up")
            db.commit()
            # Shown once, in this response: the codes are never stored or sent anywhere else.
            keep_uncompressed()
            return render_template("auth/recovery_codes.html", codes=codes, first_time=True,
                                   continue_url=after_sign_in(user, destination))
        _failed(user, "set_up")
        form.code.errors.append(WRONG_CODE)
    issuer = current_app.config["SCHEME_NAME"]
    uri = two_factor.provisioning_uri(secret, user.email, issuer)
    keep_uncompressed()  # the key, as text and QR code (portal/compression.py)
    return render_template("auth/two_factor_set_up.html", form=form, qr=two_factor.qr_code(uri),
                           key=two_factor.grouped(secret), issuer=issuer)


@bp.route("/account/recovery-codes", methods=["GET", "POST"])
@coordinator_required
@limited
def new_recovery_codes() -> ResponseReturnValue:
    """Replace the recovery codes; a current code from the app proves it is really them."""
    user = current_user._get_current_object()
    db = get_session()
    form = AppCodeForm()
    if form.validate_on_submit():
        if two_factor.accept_code(db, user, form.code.data):
            codes = two_factor.replace_recovery_codes(db, user)
            record_event(db, "two_factor.recovery_codes_replaced", actor=user,
                         request_id=g.request_id)
            db.commit()
            keep_uncompressed()
            return render_template("auth/recovery_codes.html", codes=codes, first_time=False,
                                   continue_url=url_for("auth.account"))
        _failed(user, "new_recovery_codes")
        form.code.errors.append(WRONG_CODE)
    return render_template("auth/new_recovery_codes.html", form=form,
                           codes_left=two_factor.recovery_codes_left(db, user))
