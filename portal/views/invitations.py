"""Accepting an invitation: a new account with a password, or a membership for an existing one."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from portal.db import get_session
from portal.forms.champions import AcceptInvitationForm
from portal.forms.organisations import ActionForm
from portal.models import Invitation, utcnow
from portal.permissions import public
from portal.services import invitations as invites
from portal.services.accounts import find_user_by_email
from portal.views.auth import after_sign_in, log_in
from portal.views.helpers import add_password_problem

bp = Blueprint("invitations", __name__)


@bp.route("/accept-invitation/<token>", methods=["GET", "POST"])
@public
def accept(token: str) -> ResponseReturnValue:
    """One link, three cases: a new person, a person with an account, somebody else signed in."""
    session = get_session()
    try:
        invitation = invites.invitation_for_token(session, token, now=utcnow())
    except invites.InvitationLinkError as error:
        return render_template("invitations/problem.html", reason=error.reason), 400
    signed_in = current_user.is_authenticated
    if signed_in and current_user.email != invitation.email:
        return render_template("invitations/wrong_account.html", invitation=invitation), 403
    if signed_in:
        return _accept_signed_in(invitation)
    if find_user_by_email(session, invitation.email) is not None:
        return render_template("invitations/sign_in_first.html", invitation=invitation,
                               token=token)
    return _create_account(invitation, token)


def _accept_signed_in(invitation: Invitation) -> ResponseReturnValue:
    form = ActionForm()
    if form.validate_on_submit():
        session = get_session()
        try:
            invites.accept_as_existing_user(session, invitation, current_user)
        except invites.InvitationLinkError as error:
            return render_template("invitations/problem.html", reason=error.reason), 400
        session.commit()
        flash("Invitation accepted", "success")
        return redirect(url_for("main.dashboard"), code=303)
    return render_template("invitations/accept.html", invitation=invitation, form=form)


def _create_account(invitation: Invitation, token: str) -> ResponseReturnValue:
    form = AcceptInvitationForm(data={"full_name": invitation.full_name})
    valid = form.validate_on_submit()
    if form.is_submitted():
        add_password_problem(form.password, email=invitation.email, name=form.full_name.data)
    if valid and not form.password.errors:
        passwords = current_app.extensions["portal.passwords"]
        return _save_account(invitation, token, form, passwords.hash(form.password.data))
    return render_template("invitations/create_account.html", invitation=invitation, form=form)


def _save_account(invitation: Invitation, token: str, form: AcceptInvitationForm,
                  password_hash: str) -> ResponseReturnValue:
    session = get_session()
    try:
        user = invites.accept_as_new_user(session, invitation, full_name=form.full_name.data,
                                          password_hash=password_hash)
    except invites.InvitationLinkError as error:
        return render_template("invitations/problem.html", reason=error.reason), 400
    except invites.AccountExistsError:  # made a moment ago: this page now asks them to sign in
        return redirect(url_for(".accept", token=token), code=303)
    if user.needs_two_factor:  # never the case for an invitation today; kept safe regardless
        session.commit()
        flash("Your account has been created. Sign in to continue.", "success")
        return redirect(url_for("auth.sign_in"), code=303)
    # They have just proved the address (the e-mailed link) and chosen a password: signing in
    # again straight away would add nothing, so the new session starts here, in the same
    # transaction as the account.
    log_in(user, method="invitation")
    session.commit()
    flash("Your account has been created and you are signed in", "success")
    return redirect(after_sign_in(user, url_for("main.dashboard")), code=303)
