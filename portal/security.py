"""Response headers, session lifetime and safe redirects."""

from __future__ import annotations

import secrets
import time
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, g, request, session
from flask_login import current_user, logout_user
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import RequestRedirect

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
SESSION_SEEN_KEY = "seen"
SESSION_STARTED_KEY = "started"


def register_security(app: Flask) -> None:
    app.before_request(_assign_request_id)
    app.before_request(_enforce_session_limits)
    app.after_request(_add_security_headers)


def _assign_request_id() -> None:
    g.request_id = secrets.token_hex(8)


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


def _enforce_session_limits() -> None:
    """Sign out after 30 idle minutes or 12 hours in all, whatever the cookie says."""
    if request.endpoint in ("static", "health.live", "health.ready"):
        return
    if not current_user.is_authenticated:
        return
    now = int(time.time())
    config = current_app.config
    started = session.get(SESSION_STARTED_KEY, 0)
    seen = session.get(SESSION_SEEN_KEY, 0)
    if (now - seen > config["SESSION_IDLE_LIMIT"].total_seconds()
            or now - started > config["SESSION_ABSOLUTE_LIMIT"].total_seconds()):
        logout_user()
        session.clear()
        g.session_expired = True
        return
    if now - seen >= 30:  # refresh at most every 30 s, so not every request rewrites the cookie
        session[SESSION_SEEN_KEY] = now


def start_session_clock() -> None:
    now = int(time.time())
    session[SESSION_STARTED_KEY] = now
    session[SESSION_SEEN_KEY] = now
    session.permanent = True


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
