"""Sign-in throttling by address, proxies, cookies, sessions and authentication events.

AUTH-02, AUTH-13 (with the first-sign-in password change), CONF-06, SESS-01, SESS-03, SESS-04,
SESS-05, SESS-06, SESS-07, SESS-10, LOG-01 and LOG-02; the rest of sign-in is in
tests/views/test_auth.py.
"""

from __future__ import annotations

import base64
import json
import re
import uuid
import zlib
from datetime import timedelta
from http.cookies import SimpleCookie

import pytest
import sqlalchemy as sa
import time_machine
from flask import Flask, request
from flask.testing import FlaskClient
from sqlalchemy import select

from config import ProductionConfig
from portal import create_app
from portal.models import AuditEvent, Module, OrgRole, OutboxMessage, QuizAttempt, User, utcnow
from portal.security import BEFORE_OWN_PASSWORD
from tests.conftest import csrf_token, sign_in
from tests.factories import (
    DEFAULT_PASSWORD,
    make_member_organisation,
    make_organisation,
    make_user,
    sync_courses,
)
from tests.security_world import TRAINING, answers_for, json_logs

NEW_PASSWORD = "a completely new passphrase"  # noqa: S105 - test data


def failed_sign_in(client: FlaskClient, email: str, **headers: str) -> int:
    token = csrf_token(client, "/sign-in")
    return client.post("/sign-in", data={"email": email, "password": "wrong password here",
                                         "csrf_token": token}, headers=headers).status_code


# --- AUTH-02, CONF-06 -------------------------------------------------------------------------

def test_password_spraying_from_one_address_is_throttled(app_factory, session) -> None:
    """AUTH-02: many accounts, one password, one address: the per-address limit stops it, and
    client-supplied X-Forwarded-For (no proxy configured) changes nothing."""
    app = app_factory(SIGN_IN_LIMIT_PER_ADDRESS="5 per 15 minutes")
    victim = make_user(session)
    session.commit()
    sprayer = app.test_client()
    sprayer.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    for number in range(5):
        assert failed_sign_in(sprayer, f"user{number}@example.org",
                              **{"X-Forwarded-For": f"203.0.113.{number}"}) == 200
    assert failed_sign_in(sprayer, "user9@example.org",
                          **{"X-Forwarded-For": "203.0.113.99"}) == 429
    assert sign_in(sprayer, victim.email).status_code == 429  # even the right password
    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "198.51.100.8"
    assert sign_in(elsewhere, victim.email).status_code == 303


def test_behind_one_proxy_a_spoofed_forwarded_for_does_not_reset_the_count(app_factory) -> None:
    """AUTH-02, CONF-06: with PROXY_FIX_HOPS=1 the proxy's own entry (the last) is the address;
    whatever the client writes before it is ignored."""
    app = app_factory(SIGN_IN_LIMIT_PER_ADDRESS="5 per 15 minutes", PROXY_FIX_HOPS=1)
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "10.0.0.2"  # the proxy
    for number in range(5):
        spoof = f"192.0.2.{number}, 198.51.100.20"
        assert failed_sign_in(client, f"user{number}@example.org",
                              **{"X-Forwarded-For": spoof}) == 200
    assert failed_sign_in(client, "another@example.org",
                          **{"X-Forwarded-For": "192.0.2.200, 198.51.100.20"}) == 429
    assert failed_sign_in(client, "another@example.org",
                          **{"X-Forwarded-For": "198.51.100.21"}) == 200  # a different person


@pytest.mark.parametrize(("hops", "forwarded_for", "address"), [
    (0, "1.2.3.4, 5.6.7.8", "10.0.0.2"),
    (1, "1.2.3.4, 5.6.7.8", "5.6.7.8"),
    (1, "5.6.7.8", "5.6.7.8"),
    (2, "1.2.3.4, 5.6.7.8, 9.9.9.9", "5.6.7.8"),
])
def test_proxy_fix_trusts_exactly_the_configured_hops(app_factory, hops: int,
                                                      forwarded_for: str, address: str) -> None:
    """CONF-06: remote_addr (used by rate limits) is the proxy-appended value, and the Host is
    never taken from X-Forwarded-Host."""
    app = app_factory(PROXY_FIX_HOPS=hops)

    @app.route("/_whoami")
    def whoami() -> dict:
        return {"address": request.remote_addr, "host": request.host, "scheme": request.scheme}
    whoami.access_rule = "public"

    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "10.0.0.2"
    seen = client.get("/_whoami", headers={"X-Forwarded-For": forwarded_for,
                                           "X-Forwarded-Proto": "https",
                                           "X-Forwarded-Host": "evil.example"}).get_json()
    assert seen["address"] == address
    assert seen["host"] == "localhost"


# --- AUTH-07 ----------------------------------------------------------------------------------

def password_inputs(html: str) -> list[str]:
    return re.findall(r"<input[^>]*type=\"password\"[^>]*>", html)


def test_password_fields_let_people_paste_long_passphrases(client, session, signed_in) -> None:
    """AUTH-07: every password box (sign in, change, reset, join, accept an invitation) lets a
    password manager paste and fill it: no paste blocking, no short maxlength, the right
    autocomplete; and a 128-character passphrase is accepted."""
    user = make_user(session)
    session.commit()
    pages = [client.get("/sign-in"), client.get("/join/account")]
    token = csrf_token(client, "/forgot-password")
    client.post("/forgot-password", data={"email": user.email, "csrf_token": token})
    body = session.scalar(select(OutboxMessage.body_text))
    pages.append(client.get(re.search(r"https://portal\.test(/reset-password/\S+)",
                                      body).group(1)))
    pages.append(signed_in(user).get("/account/password"))
    inputs = [tag for page in pages for tag in password_inputs(page.get_data(as_text=True))]
    assert len(inputs) >= 5
    for tag in inputs:
        assert not re.search(r"onpaste|oncopy|oncut|ondrop", tag, re.I), tag
        length = re.search(r'maxlength="(\d+)"', tag)
        assert length is None or int(length.group(1)) >= 128, tag
        assert re.search(r'autocomplete="(current|new)-password"', tag), tag
    client.application.extensions["portal.passwords"].check_policy("correct horse " * 9 + "ok")


# --- AUTH-13 ----------------------------------------------------------------------------------

def test_production_starts_with_no_accounts_at_all(monkeypatch: pytest.MonkeyPatch,
                                                   database_url: str) -> None:
    """AUTH-13: starting production on an empty (migrated) database creates nobody; the first
    coordinator comes from `flask create-coordinator` (tests/cli/test_cli.py)."""
    monkeypatch.setenv("SECRET_KEY", "k7Q2mX9vR4tL8pW1zN6bY3cF5hJ0dS2aG8eU4iO7qT1rV5xC9nM3")
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("TRUSTED_HOSTS", "portal.test")
    monkeypatch.setenv("RATELIMIT_SINGLE_PROCESS", "true")  # one test client, one process
    app = create_app(ProductionConfig())
    client = app.test_client()
    assert client.get("/", base_url="https://portal.test").status_code == 200
    assert client.get("/readyz", base_url="https://portal.test").status_code == 200
    engine = app.extensions["portal.engine"]
    with engine.connect() as connection:
        assert connection.scalar(sa.text("SELECT count(*) FROM user_account")) == 0
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code != 0
    with engine.connect() as connection:
        assert connection.scalar(sa.text("SELECT count(*) FROM user_account")) == 0
    engine.dispose()


def one_time_coordinator(app: Flask) -> tuple[str, str]:
    """A coordinator made as in production, by the CLI: (e-mail address, one-time password)."""
    result = app.test_cli_runner().invoke(args=["create-coordinator", "first@example.org"])
    assert result.exit_code == 0, result.output
    return "first@example.org", result.output.strip().splitlines()[-1]


def signed_in_with_one_time_password(app: Flask) -> tuple[FlaskClient, str]:
    """Signed in with the one-time password, two-factor set up: (client, one-time password)."""
    email, one_time = one_time_coordinator(app)
    client = app.test_client()
    response = sign_in(client, email, one_time)  # the app is set up on the way (tests/two_factor)
    assert response.status_code == 200 and "recovery codes" in response.get_data(as_text=True)
    return client, one_time


def get_routes(app: Flask) -> list[tuple[str, str]]:
    """(endpoint, path) of every GET route, arguments filled with 1 (the refusal comes first)."""
    routes = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods:
            continue
        values = {name: uuid.UUID(int=1) if type(converter).__name__ == "UUIDConverter" else 1
                  for name, converter in rule._converters.items()}
        routes.append((rule.endpoint, rule.build(values, append_unknown=False)[1]))
    return routes


def test_auth_13_a_one_time_password_reaches_only_the_password_change(app: Flask) -> None:
    """AUTH-13: after two-factor set-up, an account made with a one-time password gets the
    redirect to the password change from every GET route but the few it needs."""
    client, _ = signed_in_with_one_time_password(app)
    checked = []
    for endpoint, path in get_routes(app):
        if endpoint in BEFORE_OWN_PASSWORD:
            continue
        response = client.get(path)
        assert response.status_code == 303, (path, response.status_code)
        assert response.headers["Location"] == "/account/password", path
        checked.append(path)
    assert len(checked) > 60 and "/dashboard" in checked and "/" in checked
    assert "/coordinator/applications" in checked and "/account" in checked
    page = client.get("/account/password")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Choose your own password" in text
    assert "One-time password" in text
    # A form elsewhere is refused the same way, before it does anything.
    response = client.post("/account/recovery-codes",
                           data={"csrf_token": csrf_token(client, "/account/password")})
    assert response.status_code == 303 and response.headers["Location"] == "/account/password"


def test_auth_13_choosing_a_password_opens_the_portal(app: Flask, session) -> None:
    """AUTH-13: the change needs the one-time password; afterwards the portal is open, the
    requirement is gone, and the one-time password no longer works."""
    client, one_time = signed_in_with_one_time_password(app)
    wrong = client.post("/account/password", data={
        "csrf_token": csrf_token(client, "/account/password"),
        "current_password": "not the one-time password", "password": NEW_PASSWORD})
    assert wrong.status_code == 200 and client.get("/dashboard").status_code == 303
    response = client.post("/account/password", data={
        "csrf_token": csrf_token(client, "/account/password"),
        "current_password": one_time, "password": NEW_PASSWORD})
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/welcome")  # the exit explanation, once
    assert client.get("/dashboard").status_code == 200
    user = session.scalar(select(User).where(User.email == "first@example.org"))
    assert user.password_change_required is False
    assert sign_in(app.test_client(), user.email, one_time).status_code == 200  # form again


def test_auth_13_sign_out_and_exit_still_work_before_the_change(app: Flask) -> None:
    """AUTH-13, PRIV-09: safety first: the quick exit and signing out are never held back."""
    client, one_time = signed_in_with_one_time_password(app)
    exit_response = client.get("/exit")
    assert exit_response.status_code == 303
    assert exit_response.headers["Location"] == app.config["EXIT_URL"]
    assert client.get("/account/password").status_code == 302  # signed out: to sign in
    client = app.test_client()
    assert sign_in(client, "first@example.org", one_time).status_code == 303  # code step done
    assert client.get("/dashboard").headers["Location"] == "/account/password"
    response = client.post("/sign-out",
                           data={"csrf_token": csrf_token(client, "/account/password")})
    assert response.status_code == 303 and response.headers["Location"] == "/sign-in"


# --- Cookies and sessions ---------------------------------------------------------------------

def set_cookies(response) -> list[str]:  # noqa: ANN001 - a test response
    return response.headers.getlist("Set-Cookie")


def test_every_cookie_the_portal_sets_is_locked_down(app: Flask, client, session) -> None:
    """SESS-01: whatever the journey (visit, join, sign in, sign out, exit), the only cookie is
    the session: __Host- prefix, Secure, HttpOnly, SameSite=Lax, Path=/ and no Domain."""
    user = make_user(session)
    session.commit()
    headers = []
    headers += set_cookies(client.get("/sign-in"))
    headers += set_cookies(sign_in(client, user.email))
    headers += set_cookies(client.get("/dashboard"))
    headers += set_cookies(client.post("/sign-out",
                                       data={"csrf_token": csrf_token(client, "/dashboard")}))
    headers += set_cookies(client.post("/join/account", data={
        "csrf_token": csrf_token(client, "/join/account"), "full_name": "New Person",
        "email": "new@example.org", "password": "a long and unusual passphrase"}))
    headers += set_cookies(client.get("/exit"))
    assert len(headers) >= 4
    for header in headers:
        cookie = SimpleCookie()
        cookie.load(header)
        [(name, morsel)] = cookie.items()
        assert name == app.config["SESSION_COOKIE_NAME"] == "__Host-session", header
        assert morsel["secure"] and morsel["httponly"], header
        assert morsel["samesite"] == "Lax" and morsel["path"] == "/", header
        assert not morsel["domain"], header


def test_there_is_no_remember_me(app: Flask, client, session) -> None:
    """SESS-06: no remember cookie is ever set, whatever the form says, for anybody."""
    user = make_user(session, is_coordinator=False)
    session.commit()
    token = csrf_token(client, "/sign-in")
    response = client.post("/sign-in", data={"email": user.email, "password": DEFAULT_PASSWORD,
                                             "remember": "y", "remember_me": "1",
                                             "csrf_token": token})
    assert response.status_code == 303
    assert not any("remember" in h.lower() for h in set_cookies(response))
    assert client.get_cookie("remember_token") is None
    assert "remember" not in client.get("/sign-in").get_data(as_text=True).lower()
    assert ProductionConfig.REMEMBER_COOKIE_DURATION == timedelta(0)


def cookie_payload(app: Flask, client: FlaskClient) -> dict:
    """The session cookie's contents, read as anyone can (it is signed, not encrypted)."""
    value = client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    payload = value.lstrip(".").split(".")[0]
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    return json.loads(zlib.decompress(raw) if value.startswith(".") else raw)


def test_nothing_planted_before_sign_in_survives_it(app: Flask, client, session) -> None:
    """SESS-05: the session is cleared at sign-in, so a fixed or planted session is useless."""
    user = make_user(session)
    session.commit()
    client.get("/sign-in")
    with client.session_transaction() as planted:
        planted["planted"] = "attacker's value"
        planted["_user_id"] = "999:1"
    before = client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    assert sign_in(client, user.email).status_code == 303
    data = cookie_payload(app, client)
    assert "planted" not in data and data["_user_id"] == f"{user.id}:{user.session_version}"
    assert client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value != before


def test_the_session_cookie_holds_only_ids_and_timestamps(app: Flask, session,
                                                          signed_in) -> None:
    """SESS-07: after an HR lead's journey with flash messages (invite, withdraw, site edits),
    the readable cookie has no names, e-mail addresses or organisation names."""
    organisation = make_member_organisation(session, name="Secretive Trading Ltd")
    hr_user = make_user(session, organisation=organisation, role=OrgRole.HR_LEAD,
                        full_name="Harriet Lead")
    champion = make_user(session, organisation=organisation, role=OrgRole.CHAMPION,
                         full_name="Charlie Champion")
    session.commit()
    hr = signed_in(hr_user)
    base = f"/organisations/{organisation.id}"
    token = csrf_token(hr, "/dashboard")
    hr.post(f"{base}/champions/invite", data={
        "csrf_token": token, "full_name": "Ivy Invitee", "email": "ivy@example.org",
        "site": str(organisation.sites[0].id)})
    seen = [cookie_payload(hr.application, hr)]
    membership = champion.memberships[0]
    hr.post(f"{base}/champions/{membership.id}/withdraw",
            data={"csrf_token": token, "reason": "left_organisation"})
    seen.append(cookie_payload(app, hr))
    hr.post(f"{base}/sites/add", data={"csrf_token": token, "name": "Hidden Depot",
                                       "borough": "wirral", "headcount": "5"})
    seen.append(cookie_payload(app, hr))
    secrets = ["Secretive", "Harriet", "Charlie", "Ivy", "ivy@example.org", hr_user.email,
               champion.email, "Hidden Depot", "@"]
    allowed_keys = {"_user_id", "_fresh", "_id", "_permanent", "csrf_token", "seen", "started",
                    "_flashes", "join_draft"}
    assert any("_flashes" in data for data in seen)
    for data in seen:
        assert set(data) <= allowed_keys, data
        text = json.dumps(data)
        assert not [s for s in secrets if s in text], text


def test_a_password_reset_signs_out_every_other_session(client, session, signed_in) -> None:
    """SESS-03: the reset path too (the change path is in tests/views/test_auth.py)."""
    user = make_user(session)
    session.commit()
    laptop, phone = signed_in(user), signed_in(user)
    token = csrf_token(client, "/forgot-password")
    client.post("/forgot-password", data={"email": user.email, "csrf_token": token})
    body = session.scalar(select(OutboxMessage.body_text))
    link = re.search(r"https://portal\.test(/reset-password/\S+)", body).group(1)
    response = client.post(link, data={"csrf_token": csrf_token(client, link),
                                       "password": NEW_PASSWORD})
    assert response.status_code == 303
    assert laptop.get("/dashboard").status_code == 302
    assert phone.get("/dashboard").status_code == 302


def test_idle_expiry_mid_quiz_loses_nothing_that_was_saved(signed_in, session) -> None:
    """SESS-04: a quiz left for 31 minutes: the answers posted then are refused (the browser
    has dropped the 30-minute cookie, so it is the "form has expired" page; a kept cookie gets
    the sign-in page), the attempt and its draw are kept, and after signing in it is finished.
    Answers are only stored when submitted, so nothing typed earlier was saved to lose."""
    sync_courses(session, TRAINING)
    module = session.scalar(select(Module).where(Module.key == "first-module"))
    champion = make_user(session, organisation=make_organisation(session),
                         role=OrgRole.CHAMPION)
    client = signed_in(champion)
    token = csrf_token(client, f"/training/modules/{module.id}")
    location = client.post(f"/training/modules/{module.id}/quiz",
                           data={"csrf_token": token}).headers["Location"]
    attempt = session.scalar(select(QuizAttempt))
    form = {f"question-{n}": answers for n, answers in enumerate(
        answers_for(attempt).values(), 1)} | {"csrf_token": csrf_token(client, location)}
    with time_machine.travel(utcnow() + timedelta(minutes=31)):
        response = client.post(location, data=form)
        assert response.status_code in (302, 400)
        assert response.headers.get("Location", "/sign-in").startswith("/sign-in")
        session.expire_all()
        kept = session.get(QuizAttempt, attempt.id)
        assert kept.status == "in_progress" and kept.drawn == attempt.drawn
        assert sign_in(client, champion.email, next_url=location).headers["Location"] \
            == location
        form["csrf_token"] = csrf_token(client, location)
        assert client.post(location, data=form).status_code == 303
    session.expire_all()
    assert session.get(QuizAttempt, attempt.id).passed is True


def test_a_session_from_one_instance_works_on_another(app_factory, session) -> None:
    """SESS-10: two app instances with the same configuration (as behind a load balancer)
    accept each other's session cookies; the startup checks on weak keys are in test_app.py."""
    first, second = app_factory(), app_factory()
    user = make_user(session)
    session.commit()
    client = first.test_client()
    assert sign_in(client, user.email).status_code == 303
    cookie = client.get_cookie(first.config["SESSION_COOKIE_NAME"]).value
    other = second.test_client()
    other.set_cookie(second.config["SESSION_COOKIE_NAME"], cookie)
    assert other.get("/dashboard").status_code == 200
    stranger = app_factory(SECRET_KEY="another-secret-key-that-is-long-enough-0123456789")
    forged = stranger.test_client()
    forged.set_cookie(stranger.config["SESSION_COOKIE_NAME"], cookie)
    assert forged.get("/dashboard").status_code == 302  # a different key: not accepted


# --- LOG-01, LOG-02 ---------------------------------------------------------------------------

def test_each_authentication_event_is_one_audit_row(client, session, signed_in) -> None:
    """LOG-01: sign-in success and failure, sign-out, reset request and completion, password
    change: one row each with UTC time, action, outcome, actor (none for an unknown address)
    and the request id. Addresses are not stored (a privacy decision; see PRIV rules)."""
    user = make_user(session)
    session.commit()
    sign_in(client, "nobody@example.org", "wrong password here")
    sign_in(client, user.email)
    client.post("/account/password", data={"csrf_token": csrf_token(client, "/account/password"),
                                           "current_password": DEFAULT_PASSWORD,
                                           "password": NEW_PASSWORD})
    client.post("/sign-out", data={"csrf_token": csrf_token(client, "/dashboard")})
    client.post("/forgot-password", data={"csrf_token": csrf_token(client, "/forgot-password"),
                                          "email": user.email})
    body = session.scalar(select(OutboxMessage.body_text))
    link = re.search(r"https://portal\.test(/reset-password/\S+)", body).group(1)
    client.post(link, data={"csrf_token": csrf_token(client, link),
                            "password": "yet another long passphrase"})
    events = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [(e.action, e.outcome, e.actor_id) for e in events] == [
        ("sign_in", "failure", None), ("sign_in", "success", user.id),
        ("password_changed", "success", user.id), ("sign_out", "success", user.id),
        ("password_reset_requested", "success", user.id),
        ("password_reset", "success", user.id)]
    assert len({e.request_id for e in events}) == len(events) and all(
        re.fullmatch(r"[0-9a-f]{16}", e.request_id) for e in events)
    now = utcnow()
    assert all(abs(e.occurred_at.replace(tzinfo=now.tzinfo) - now) < timedelta(minutes=5)
               for e in events)


def test_security_control_failures_are_logged_as_events(app_factory) -> None:
    """LOG-02: a CSRF failure and a rate-limit hit each leave a structured security event with
    the path and the request id (cross-tenant denials are audited: AUTHZ-10)."""
    app = app_factory(RESET_LIMIT_PER_ADDRESS="1 per hour")
    client = app.test_client()
    with json_logs() as log:
        client.post("/sign-in", data={"email": "a@example.org"})
        token = csrf_token(client, "/forgot-password")
        for _ in range(2):
            client.post("/forgot-password", data={"email": "a@example.org",
                                                  "csrf_token": token})
    records = [json.loads(line) for line in log.getvalue().splitlines()]
    events = {r["event"]: r for r in records if r["event"].startswith("security.")}
    assert events["security.csrf_failure"]["path"] == "/sign-in"
    assert events["security.csrf_failure"]["reason"] == "The CSRF token is missing."
    assert events["security.rate_limited"]["path"] == "/forgot-password"
    assert all(re.fullmatch(r"[0-9a-f]{16}", e["request_id"]) for e in events.values())
    assert all(e["level"] == "WARNING" for e in events.values())

