"""Small helpers shared by views and templates."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Response, current_app, g, has_request_context, request, url_for

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


@dataclass(frozen=True)
class NavItem:
    """A link of the service navigation, by endpoint. It is the current item on its own page,
    and on every page under it (`section`) or under the pages of the endpoints in `also`."""

    endpoint: str
    text: str
    section: bool = False
    also: tuple[str, ...] = ()

    def item(self, path: str, **values: object) -> dict:
        href = url_for(self.endpoint, **values)
        under = (href, *(url_for(e) for e in self.also)) if self.section else ()
        return {"href": href, "text": self.text,
                "active": path == href or (bool(under) and path.startswith(under))}


HOME = NavItem("main.dashboard", "Home")
TRAINING = NavItem("training.index", "Your training", section=True)
SUPPORT = NavItem("support.index", "Get support")
SIGNED_OUT_NAVIGATION = (SUPPORT, NavItem("auth.sign_in", "Sign in"))
# An HR lead's organisation (one) or the list of them on Home (several).
YOUR_ORGANISATION = NavItem("organisations.overview", "Your organisation")
YOUR_ORGANISATIONS = NavItem("main.dashboard", "Your organisations")
ORGANISATION_PAGES = "/organisations/"  # where either of the two above is the current item
COORDINATOR_NAVIGATION = (
    NavItem("monitoring.dashboard", "Dashboard", section=True, also=("monitoring.exports_page",)),
    NavItem("coordinator.applications", "Organisations", section=True,
            also=("coordinator.organisations",)),
    NavItem("policy.queue", "Policies", section=True),
    NavItem("support.manage", "Directory", section=True))
ACCOUNT = NavItem("auth.account", "Your account", section=True)


def navigation_items() -> list[dict]:
    """The service navigation for the person signed in (kept short: GOV.UK pattern)."""
    user = signed_in_user()
    path = request.path
    if user is None:
        return [link.item(path) for link in SIGNED_OUT_NAVIGATION]
    items = [HOME.item(path)]
    if not user.is_coordinator or any(m.is_current for m in user.memberships):
        # Coordinators with no role in an organisation reach training from Home, so their
        # navigation fits on one row.
        items.append(TRAINING.item(path))
    led = [m.organisation_id for m in user.memberships
           if m.is_current and m.role == OrgRole.HR_LEAD]
    if led:  # HR leads: their organisation's pages, one click from anywhere
        own = YOUR_ORGANISATION.item(path, org_id=led[0]) if len(led) == 1 \
            else YOUR_ORGANISATIONS.item(path, _anchor="organisations")
        items.append({**own, "active": path.startswith(ORGANISATION_PAGES)})
    items.append(SUPPORT.item(path))
    if user.is_coordinator:
        items += [link.item(path) for link in COORDINATOR_NAVIGATION]
    items.append(ACCOUNT.item(path))
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
