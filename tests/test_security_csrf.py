"""Cross-site request forgery: every route that changes something refuses a missing, foreign or
expired token, and changes nothing (CSRF-01, AUTH-15)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from flask import Flask

from portal.models import utcnow
from tests.security_world import (
    build_security_world,
    clients_for,
    form_token,
    owner_of,
    path_for,
    post_rules,
    snapshot,
)

# Must be among the swept routes: the ones the spec names (login, logout, invite accept, quiz).
MUST_COVER = {"auth.sign_in", "auth.sign_out", "invitations.accept", "training.quiz",
              "training.start_quiz", "champions.upload"}


@pytest.fixture
def world(app: Flask, session):  # noqa: ANN201
    return build_security_world(app, session)


def test_the_sweep_covers_every_route_that_accepts_a_post(app: Flask, world) -> None:
    endpoints = {rule.endpoint for rule in post_rules(app, csrf_exempt=False)}
    assert MUST_COVER <= endpoints
    assert len(endpoints) >= 30


@pytest.mark.parametrize("token", ["missing", "another session's", "expired"])
def test_every_post_refuses_a_bad_token_and_changes_nothing(app: Flask, world, token: str,
                                                           caplog: pytest.LogCaptureFixture
                                                           ) -> None:
    """CSRF-01: 400 with the friendly page, for each route as the person who may use it."""
    app.config["WTF_CSRF_TIME_LIMIT"] = 10  # shorter than the session, so the token expires first
    clients = clients_for(app, world)
    for role, client in clients.items():
        form_token(client, anonymous=role == "anonymous")  # each session holds its own secret
    stranger = app.test_client()
    foreign = form_token(stranger, anonymous=True)
    engine = app.extensions["portal.engine"]
    # A refusal may be audited (LOG-02); business data must not change.
    before = snapshot(engine, skip=("audit_event",))
    problems = []
    with time_machine.travel(utcnow(), tick=False) as clock:
        for rule in post_rules(app, csrf_exempt=False):
            role = owner_of(app, rule)
            client = clients[role]
            path = path_for(world, rule)
            data = {"email": "x@example.org", "password": "irrelevant password",
                    "full_name": "X"}
            if token == "another session's":
                data["csrf_token"] = foreign
            elif token == "expired":
                data["csrf_token"] = form_token(client, anonymous=role == "anonymous")
                clock.shift(timedelta(seconds=11))  # the clock stays ahead: cookies stay valid
            response = client.post(path, data=data)
            html = response.get_data(as_text=True)
            if response.status_code != 400 or "This form has expired" not in html:
                problems.append(f"{role} POST {path}: {response.status_code}")
    assert problems == []
    assert snapshot(engine, skip=("audit_event",)) == before
    reasons = {r.reason for r in caplog.records if r.getMessage() == "security.csrf_failure"}
    assert reasons == {EXPECTED_REASON[token]}


EXPECTED_REASON = {"missing": "The CSRF token is missing.",
                   "another session's": "The CSRF tokens do not match.",
                   "expired": "The CSRF token has expired."}
