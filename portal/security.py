"""Response headers, session lifetime and safe redirects."""

from __future__ import annotations

import secrets
from datetime import timedelta
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, g, redirect, request, session, url_for
from flask_login import current_user, logout_user
from werkzeug.exceptions import BadRequest, MethodNotAllowed, NotFound
from werkzeug.routing import IntegerConverter, RequestRedirect

from portal import clock

# No inline script or style and nothing from third parties: everything the pages need is ours.
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), interest-cohort=()"
# Primary keys are INTEGER columns: PostgreSQL refuses larger values and SQLite cannot bind them.
LARGEST_DATABASE_ID = 2**31 - 1
# What an account with a one-time password may reach before choosing its own (AUTH-13): the
# change itself, signing out, the quick exit (safety before everything), files and health checks.
# Two-factor set-up comes before all of these: the person is not signed in until it is done.
BEFORE_OWN_PASSWORD = frozenset({"auth.change_password", "auth.sign_out", "main.exit_page",
                                 "static", "health.live", "health.ready"})
SESSION_SEEN_KEY = "seen"
SESSION_STARTED_KEY = "started"
TWO_FACTOR_PENDING_KEY = "two_factor_pending"


def register_security(app: Flask) -> None:
    # First of all, so that refusals made earlier (CSRF, rate limits) carry a request id too.
    app.before_request_funcs.setdefault(None, []).insert(0, _assign_request_id)
    app.before_request(_refuse_nul_characters)
    app.before_request(_enforce_session_limits)
    app.before_request(_require_own_password)
    app.after_request(_add_security_headers)


def _assign_request_id() -> None:
    g.request_id = secrets.token_hex(8)


def _refuse_nul_characters() -> None:
    """No form value may hold a NUL: PostgreSQL cannot store or compare one, so it would end as
    a 500 deep in a query (found by the FUZZ-01 tests). Only a crafted request sends one. (Query
    strings go to search and filter code that cleans its input, and stays a normal page.)"""
    if request.method != "POST":
        return
    if any("\x00" in key or "\x00" in value for key, value in request.form.items(multi=True)):
        raise BadRequest("NUL character in the form")


def _add_security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "no-referrer"
    headers["X-Frame-Options"] = "DENY"
    headers["Permissions-Policy"] = PERMISSIONS_POLICY
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    if current_app.config["SEND_HSTS"]:
        headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    if request.endpoint != "static":
        # Pages may show personal data or reveal what someone was doing: never keep a copy.
        headers["Cache-Control"] = "no-store, private"
        headers["Pragma"] = "no-cache"
    headers.add("Vary", "Cookie")
    return response


def idle_limit(user: object) -> timedelta:
    """30 idle minutes for most people, 15 for coordinators (SESS-04, ASVS 7.1.1)."""
    config = current_app.config
    return config["COORDINATOR_IDLE_LIMIT"] if getattr(user, "is_coordinator", False) \
        else config["SESSION_IDLE_LIMIT"]


def _enforce_session_limits() -> None:
    """Sign out after the idle limit or 12 hours in all, whatever the cookie says."""
    if request.endpoint in ("static", "health.live", "health.ready"):
        return
    if not current_user.is_authenticated:
        return
    now = clock.timestamp()
    config = current_app.config
    started = session.get(SESSION_STARTED_KEY, 0)
    seen = session.get(SESSION_SEEN_KEY, 0)
    if (now - seen > idle_limit(current_user).total_seconds()
            or now - started > config["SESSION_ABSOLUTE_LIMIT"].total_seconds()):
        logout_user()
        session.clear()
        g.session_expired = True
        return
    if now - seen >= 30:  # refresh at most every 30 s, so not every request rewrites the cookie
        session[SESSION_SEEN_KEY] = now


def seconds_until_signed_out(user: object) -> int:
    """How long this session has left before the idle limit (or the overall limit) ends it."""
    now = clock.timestamp()
    config = current_app.config
    idle_end = session.get(SESSION_SEEN_KEY, now) + idle_limit(user).total_seconds()
    absolute_end = session.get(SESSION_STARTED_KEY, now) \
        + config["SESSION_ABSOLUTE_LIMIT"].total_seconds()
    return max(0, int(min(idle_end, absolute_end) - now))


def keep_session_alive() -> None:
    """The person asked to stay signed in: the idle clock starts again from now."""
    session[SESSION_SEEN_KEY] = clock.timestamp()


def _require_own_password() -> Response | None:
    """A one-time password was read off a console: nothing else until it is replaced."""
    if (not current_user.is_authenticated or not current_user.password_change_required
            or request.endpoint in BEFORE_OWN_PASSWORD):
        return None
    return redirect(url_for("auth.change_password"), code=303)


def start_session_clock() -> None:
    now = clock.timestamp()
    session[SESSION_STARTED_KEY] = now
    session[SESSION_SEEN_KEY] = now
    session.permanent = True


def begin_two_factor(user_id: int, session_version: int, destination: str) -> None:
    """Password accepted, second factor to come: the session names the person and nothing else.

    Nobody is signed in yet (Flask-Login sees an anonymous visitor), so every signed-in page
    still sends them to sign in (AUTH-14). The marker is only good for a few minutes and for the
    session version it was issued with.
    """
    session.clear()
    session[TWO_FACTOR_PENDING_KEY] = {"user": user_id, "version": session_version,
                                       "at": clock.timestamp(), "next": destination}


def two_factor_pending(limit: timedelta) -> tuple[int, int, str] | None:
    """(user id, session version, destination) of an unexpired marker, else None (and cleared)."""
    marker = session.get(TWO_FACTOR_PENDING_KEY)
    if not isinstance(marker, dict):
        return None
    user_id, version, started = marker.get("user"), marker.get("version"), marker.get("at")
    destination = marker.get("next")
    if (not all(isinstance(value, int) for value in (user_id, version, started))
            or not isinstance(destination, str) or not is_safe_next(destination)
            or not 0 <= clock.timestamp() - started <= limit.total_seconds()):
        end_two_factor()
        return None
    return user_id, version, destination


def end_two_factor() -> None:
    session.pop(TWO_FACTOR_PENDING_KEY, None)


def is_safe_next(target: str | None) -> bool:
    """Only an on-site path that matches one of our routes (HOUSE_STYLE.md, REDIR-01)."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return False
    if "\\" in target or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target):
        return False
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return False
    adapter = current_app.url_map.bind("localhost")
    try:
        adapter.match(parts.path, method="GET")
    except (NotFound, MethodNotAllowed, RequestRedirect):
        return False
    return True


class DatabaseIdConverter(IntegerConverter):
    """`<int:...>` for ids: ASCII digits up to the largest id a column holds, else the URL does
    not match and the answer is 404, never a database error (PARAM-01, found by its tests)."""

    regex = r"[0-9]{1,10}"

    def __init__(self, url_map, fixed_digits: int = 0, min: int | None = None,  # noqa: A002, ANN001
                 max: int | None = None, signed: bool = False) -> None:  # noqa: A002
        super().__init__(url_map, fixed_digits=fixed_digits, min=min,
                         max=LARGEST_DATABASE_ID if max is None else max, signed=signed)
