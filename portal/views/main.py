"""Public pages, the quick exit, and each person's home page."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, logout_user

from portal import clock
from portal.db import get_session
from portal.forms.auth import ContinueForm
from portal.models import OrgRole, SchemeStatus, utcnow
from portal.permissions import public, sign_in_required
from portal.security import is_safe_next
from portal.services.accounts import end_all_sessions
from portal.services.first_steps import first_steps
from portal.services.joining import has_waiting_application
from portal.services.organisations import STATUS_REASONS
from portal.services.work_queues import work_queues

bp = Blueprint("main", __name__)

# The only links to other sites on the footer pages: the regulators and standards they cite.
REGULATOR_LINKS = {
    "ehrc": "https://www.equalityhumanrights.com/",
    "ecni": "https://www.equalityni.org/",
    "wcag": "https://www.w3.org/TR/WCAG22/",
    "ico_complaint": "https://ico.org.uk/make-a-complaint/",
}


@bp.route("/")
@public
def home() -> ResponseReturnValue:
    return render_template("main/home.html")


@bp.route("/safety")
@public
def safety() -> ResponseReturnValue:
    return render_template("main/safety.html")


@bp.route("/accessibility")
@public
def accessibility() -> ResponseReturnValue:
    config = current_app.config
    return render_template(
        "main/accessibility.html", links=REGULATOR_LINKS,
        prepared=date.fromisoformat(config["ACCESSIBILITY_STATEMENT_PREPARED"]),
        reviewed=date.fromisoformat(config["ACCESSIBILITY_STATEMENT_REVIEWED"]))


@bp.route("/contact")
@public
def contact() -> ResponseReturnValue:
    return render_template("main/contact.html")


@bp.route("/cookies")
@public
def cookies() -> ResponseReturnValue:
    """The portal sets one cookie, the session; this page names it from configuration."""
    return render_template("main/cookies.html")


@bp.route("/privacy")
@public
def privacy() -> ResponseReturnValue:
    """The privacy notice; the retention periods it gives are the ones the worker applies."""
    return render_template("main/privacy.html", retention=current_app.config["RETENTION"],
                           links=REGULATOR_LINKS)


@bp.route("/exit")
@public
def exit_page() -> ResponseReturnValue:
    """Leave at once: end the session everywhere it is known, wipe this browser's data.

    A GET so that it works as a plain link without JavaScript; the destination is fixed
    configuration, never taken from the request (REDIR-02, PRIV-09).
    """
    if current_user.is_authenticated:
        end_all_sessions(current_user)
        get_session().commit()
        logout_user()
    session.clear()
    response = redirect(current_app.config["EXIT_URL"], code=303)
    response.headers["Clear-Site-Data"] = '"cache", "cookies", "storage"'
    response.delete_cookie(current_app.config["SESSION_COOKIE_NAME"], path="/",
                           secure=current_app.config["SESSION_COOKIE_SECURE"], httponly=True,
                           samesite="Lax")
    return response


@bp.route("/dashboard")
@sign_in_required
def dashboard() -> ResponseReturnValue:
    memberships = [m for m in current_user.memberships if m.is_current]
    unconfirmed = not current_user.email_verified and has_waiting_application(
        get_session(), current_user)
    led = [m.organisation for m in memberships if m.role == OrgRole.HR_LEAD]
    checklists = [steps for steps in (first_steps(get_session(), organisation)
                                      for organisation in led if organisation.is_member)
                  if not steps.done]
    applications = [o for o in led if o.scheme_status in (SchemeStatus.APPLIED,
                                                   SchemeStatus.DECLINED)]
    queues = work_queues(get_session(), now=clock.now(), today=clock.today(),
                         waiting_days=current_app.config["APPLICATION_WAITING_DAYS"]) \
        if current_user.is_coordinator else None
    return render_template("main/dashboard.html", memberships=memberships,
                           unconfirmed=unconfirmed, form=ContinueForm(), checklists=checklists,
                           applications=applications, reasons=STATUS_REASONS, queues=queues)


@bp.route("/welcome", methods=["GET", "POST"])
@sign_in_required
def welcome() -> ResponseReturnValue:
    """The first time someone signs in: explain the Exit this page button before they go on."""
    form = ContinueForm()
    next_url = request.args.get("next")
    if form.validate_on_submit():
        current_user.exit_explained_at = utcnow()
        get_session().commit()
        return redirect(next_url if is_safe_next(next_url) else url_for("main.dashboard"))
    return render_template("main/welcome.html", form=form)
