"""Signed-in cookies for the load generator, made with the portal's own session machinery.

Signing in through the form would cost an Argon2 hash per person and trip the sign-in rate
limits long before the thousands of quiz takers are signed in, so the harness does in-process
what a successful sign-in does (portal.views.auth._complete_sign_in): a clean session, Flask-Login's
login_user, the session clock, and a CSRF token for forms. The cookie is signed with the
server's SECRET_KEY, so the gunicorn workers accept it like any other.
"""

from __future__ import annotations

from flask import Flask, session
from flask_login import login_user
from flask_wtf.csrf import generate_csrf

from portal.models import User
from portal.security import start_session_clock


def session_cookie(app: Flask, user: User) -> tuple[str, str]:
    """A `Cookie` header value signing `user` in, and the CSRF token that goes with it."""
    with app.test_request_context("/"):
        session.clear()
        login_user(user)
        start_session_clock()
        token = generate_csrf()
        value = app.session_interface.get_signing_serializer(app).dumps(dict(session))
    return f"{app.config['SESSION_COOKIE_NAME']}={value}", token
