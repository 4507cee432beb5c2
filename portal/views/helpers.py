"""Small helpers shared by views and templates."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Response, current_app, g, has_request_context, request, url_for

from portal.db import get_session
from portal.permissions import can_act_for


def template_globals() -> dict:
    if not has_request_context():  # an e-mail rendered by the worker's daily jobs
        return {"scheme_name": current_app.config["SCHEME_NAME"]}
    return {
        "scheme_name": current_app.config["SCHEME_NAME"],
        "can_act_for": can_act_for,
        "request_id": g.get("request_id"),
        "signed_in_user": signed_in_user(),
        "navigation": navigation_items(),
    }


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

    def item(self, path: str) -> dict:
        href = url_for(self.endpoint)
        under = (href, *(url_for(e) for e in self.also)) if self.section else ()
        return {"href": href, "text": self.text,
                "active": path == href or (bool(under) and path.startswith(under))}


SUPPORT = NavItem("support.index", "Get support")
SIGNED_OUT_NAVIGATION = (SUPPORT, NavItem("auth.sign_in", "Sign in"))
SIGNED_IN_NAVIGATION = (NavItem("main.dashboard", "Home"),
                        NavItem("training.index", "Your training", section=True), SUPPORT)
COORDINATOR_NAVIGATION = (
    NavItem("monitoring.dashboard", "Scheme dashboard", section=True,
            also=("monitoring.exports_page",)),
    NavItem("coordinator.applications", "Organisations", section=True,
            also=("coordinator.organisations",)),
    NavItem("policy.queue", "Verify policies", section=True),
    NavItem("support.manage", "Manage directory", section=True))
ACCOUNT = NavItem("auth.account", "Your account", section=True)


def navigation_items() -> list[dict]:
    """The service navigation for the person signed in (kept short: GOV.UK pattern)."""
    user = signed_in_user()
    if user is None:
        links: tuple[NavItem, ...] = SIGNED_OUT_NAVIGATION
    else:
        links = SIGNED_IN_NAVIGATION + (COORDINATOR_NAVIGATION if user.is_coordinator else ()) \
            + (ACCOUNT,)
    return [link.item(request.path) for link in links]


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
