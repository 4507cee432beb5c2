"""Small helpers shared by views and templates."""

from __future__ import annotations

from flask import Response, current_app, g, has_request_context, request

from portal.db import get_session
from portal.models import OrgRole
from portal.permissions import can_act_for
from portal.security import idle_limit, seconds_until_signed_out
from portal.services.accounts import PasswordPolicyError


def template_globals() -> dict:
    if not has_request_context():  # an e-mail rendered by the worker's daily jobs
        return {"scheme_name": current_app.config["SCHEME_NAME"]}
    return {
        "scheme_name": current_app.config["SCHEME_NAME"],
        "can_act_for": can_act_for,
        "request_id": g.get("request_id"),
        "signed_in_user": signed_in_user(),
        "navigation": navigation_items(),
        "timeout_warning": timeout_warning(),
    }


def timeout_warning() -> dict | None:
    """What the timeout warning on a signed-in page needs: seconds left and when to warn."""
    user = signed_in_user()
    if user is None:
        return None
    return {"seconds_left": seconds_until_signed_out(user),
            "warn_before": int(current_app.config["SESSION_TIMEOUT_WARNING"].total_seconds()),
            "idle_minutes": round(idle_limit(user).total_seconds() / 60)}


def signed_in_user() -> object | None:
    """The user already loaded for this request, without touching the database again.

    Error pages use this too, and must render even when the database is down.
    """
    user = g.get("_login_user")
    return user if user is not None and user.is_authenticated else None


def navigation_items() -> list[dict]:
    """The service navigation for the person signed in (kept short: GOV.UK pattern)."""
    if signed_in_user() is None:
        return [{"href": "/support", "text": "Get support", "active": request.path == "/support"},
                {"href": "/sign-in", "text": "Sign in", "active": request.path == "/sign-in"}]
    user = signed_in_user()
    items = [{"href": "/dashboard", "text": "Home", "active": request.path == "/dashboard"}]
    if not user.is_coordinator or any(m.is_current for m in user.memberships):
        # Coordinators with no role in an organisation reach training from Home, so their
        # navigation fits on one row.
        items.append({"href": "/training", "text": "Your training",
                      "active": request.path.startswith("/training")})
    led = [m.organisation_id for m in signed_in_user().memberships
           if m.is_current and m.role == OrgRole.HR_LEAD]
    if led:  # HR leads: their organisation's pages, one click from anywhere
        href = f"/organisations/{led[0]}" if len(led) == 1 else "/dashboard#organisations"
        items.append({"href": href, "text": "Your organisation" if len(led) == 1
                      else "Your organisations",
                      "active": request.path.startswith("/organisations/")})
    items.append({"href": "/support", "text": "Get support", "active": request.path == "/support"})
    if signed_in_user().is_coordinator:
        items.append({"href": "/coordinator/dashboard", "text": "Dashboard",
                      "active": request.path.startswith(("/coordinator/dashboard",
                                                         "/coordinator/exports"))})
        items.append({"href": "/coordinator/applications", "text": "Organisations",
                      "active": request.path.startswith("/coordinator/applications")
                      or request.path.startswith("/coordinator/organisations")})
        items.append({"href": "/coordinator/policy", "text": "Policies",
                      "active": request.path.startswith("/coordinator/policy")})
        items.append({"href": "/coordinator/support-services", "text": "Directory",
                      "active": request.path.startswith("/coordinator/support-services")})
    items.append({"href": "/account", "text": "Your account",
                  "active": request.path.startswith("/account")})
    return items


def client_address() -> str:
    return request.remote_addr or "unknown"


def commit() -> None:
    """Commit the request's unit of work (views commit once; services never do)."""
    get_session().commit()


def attachment(data: bytes, filename: str, mimetype: str) -> Response:
    """A download with a neutral file name that the browser saves rather than displays."""
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Content-Security-Policy"] = "sandbox"
    return response


def add_password_problem(field: object, *, email: str, name: str) -> None:
    """Check a new password against the password rules alongside the form's other checks, so
    one submission shows every error at once (not the rules only after the rest is right)."""
    if not field.data or field.errors:
        return
    try:
        current_app.extensions["portal.passwords"].check_policy(field.data, email=email or "",
                                                                name=name or "")
    except PasswordPolicyError as error:
        field.errors.append(str(error))
