"""Completing two-factor sign-in in tests, as the coordinator's authenticator app would.

Coordinators made by tests.factories.make_user are enrolled with a known key. The next code is
worked out from the database: the earliest step (now, or one either side) newer than the last one
accepted, so several sign-ins in the same 30 seconds each get a code that has not been used.
"""

from __future__ import annotations

import time

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from portal import clock
from portal.models import User
from portal.security import TWO_FACTOR_PENDING_KEY
from portal.services.accounts import normalise_email
from portal.services.two_factor import DRIFT_STEPS, STEP_SECONDS, code_at, current_step
from tests.factories import COORDINATOR_TOTP_SECRET

CODE_PATH = "/sign-in/code"
SET_UP_PATH = "/sign-in/set-up-app"


def next_code(app: Flask, *, user_id: int | None = None, email: str | None = None) -> str:
    """A code the app will accept now for this person (their key must be set, e.g. enrolled)."""
    with app.extensions["portal.sessionmaker"]() as db:
        query = select(User).where(User.id == user_id) if user_id is not None \
            else select(User).where(User.email == normalise_email(email or ""))
        user = db.scalar(query)
        assert user is not None and user.totp_secret, "this person has no authenticator key"
        step = _step_with_time_to_spare()
        candidate = step - DRIFT_STEPS if user.totp_last_step is None \
            else max(step - DRIFT_STEPS, user.totp_last_step + 1)
        assert candidate <= step + DRIFT_STEPS, "every code of this 30 s window is used already"
        return code_at(user.totp_secret, candidate)


def _step_with_time_to_spare(spare: float = 3.0) -> int:
    """The current time step, waiting for the next one if this one ends within `spare` seconds:
    the code starts at the oldest step the drift window allows, so a step ending between making
    the code and checking it would make the code too old (a rare failure in CI)."""
    into_step = clock.now().timestamp() % STEP_SECONDS
    if into_step > STEP_SECONDS - spare:
        time.sleep(STEP_SECONDS - into_step + 0.05)
    return current_step()


def wrong_code(secret: str = COORDINATOR_TOTP_SECRET) -> str:
    """A well-formed code that is not valid now (for any step within the drift window)."""
    step = current_step()
    valid = {code_at(secret, s) for s in range(step - 2, step + 3)}
    return next(code for code in ("000001", "000002", "000003", "000004") if code not in valid)


def pending_user_id(client: FlaskClient) -> int:
    with client.session_transaction() as session:
        return session[TWO_FACTOR_PENDING_KEY]["user"]


def complete_two_factor(client: FlaskClient, response):  # noqa: ANN001, ANN201 - responses
    """If a sign-in response leads to the code step (or app set-up), complete it."""
    from tests.conftest import csrf_token  # the shared helper lives with the fixtures

    location = response.headers.get("Location", "") if response.status_code == 303 else ""
    if location not in (CODE_PATH, SET_UP_PATH):
        return response
    token = csrf_token(client, location)  # on set-up, this GET also makes the person's key
    code = next_code(client.application, user_id=pending_user_id(client))
    # After set-up this is the recovery codes page (200); after the code step, a redirect.
    return client.post(location, data={"code": code, "csrf_token": token})
