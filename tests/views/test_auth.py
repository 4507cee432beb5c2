"""Signing in and out, sessions, passwords and resets."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
import time_machine
from flask import Flask
from sqlalchemy import func, select

from portal.models import AuditEvent, OutboxMessage, User, utcnow
from tests.conftest import comparable_page, csrf_token, sign_in
from tests.factories import DEFAULT_PASSWORD, make_user

NEW_PASSWORD = "a brand new long passphrase"  # noqa: S105 - test data


def test_sign_in_with_the_right_password_goes_to_the_dashboard(client, session) -> None:
    user = make_user(session)
    session.commit()
    response = sign_in(client, user.email.upper())  # e-mail is matched regardless of case
    assert response.status_code == 303
    assert response.headers["Location"] == "/dashboard"
    assert "Welcome, " + user.full_name in client.get("/dashboard").get_data(as_text=True)


def test_first_sign_in_explains_the_exit_button_first(client, session) -> None:
    user = make_user(session, exit_explained_at=None)
    session.commit()
    response = sign_in(client, user.email)
    assert response.headers["Location"].startswith("/welcome")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "leaving this site quickly" in page
    token = csrf_token(client, "/welcome?next=/account")
    response = client.post("/welcome?next=/account", data={"csrf_token": token})
    assert response.headers["Location"] == "/account"
    session.expire_all()
    assert session.get(User, user.id).exit_explained_at is not None


def test_wrong_password_and_unknown_email_get_identical_responses(client, session,
                                                                  monkeypatch) -> None:
    """AUTH-05: same status and body, and one hash verification in both cases."""
    user = make_user(session)
    session.commit()
    from argon2 import PasswordHasher
    calls = []
    original = PasswordHasher.verify
    monkeypatch.setattr(PasswordHasher, "verify",
                        lambda self, *a: calls.append(1) or original(self, *a))
    known = sign_in(client, user.email, "not the right password at all")
    unknown = sign_in(client, "nobody@example.org", "not the right password at all")
    assert known.status_code == unknown.status_code == 200
    known_html = comparable_page(known).replace(user.email, "EMAIL")
    unknown_html = comparable_page(unknown).replace("nobody@example.org", "EMAIL")
    assert known_html == unknown_html
    assert "Enter a correct email address and password" in known_html
    assert len(calls) == 2


def test_sign_in_without_a_csrf_token_is_rejected(client, session) -> None:
    """AUTH-15 / CSRF-01: login CSRF."""
    user = make_user(session)
    session.commit()
    response = client.post("/sign-in", data={"email": user.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 400
    assert "This form has expired" in response.get_data(as_text=True)
    assert client.get("/dashboard").status_code == 302


def test_sign_out_is_post_only_and_needs_csrf(signed_in, session) -> None:
    client = signed_in(make_user(session))
    assert client.get("/sign-out").status_code == 405
    assert client.post("/sign-out").status_code == 400
    assert client.get("/dashboard").status_code == 200


def test_a_copied_cookie_stops_working_after_sign_out(app: Flask, signed_in, session) -> None:
    """SESS-02."""
    user = make_user(session)
    session.commit()
    client = signed_in(user)
    cookie_name = app.config["SESSION_COOKIE_NAME"]
    stolen = client.get_cookie(cookie_name).value
    thief = app.test_client()
    thief.set_cookie(cookie_name, stolen)
    assert thief.get("/dashboard").status_code == 200
    client.post("/sign-out", data={"csrf_token": csrf_token(client, "/dashboard")})
    response = thief.get("/dashboard")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in")


def test_eleventh_wrong_password_in_15_minutes_is_throttled(client, session) -> None:
    """AUTH-01: even the right password is refused once throttled, until the window passes."""
    user = make_user(session)
    session.commit()
    with time_machine.travel(utcnow(), tick=False) as traveller:
        for _ in range(10):
            assert sign_in(client, user.email, "wrong password guess").status_code == 200
        throttled = sign_in(client, user.email, DEFAULT_PASSWORD)
        assert throttled.status_code == 429
        assert "You have tried too many times" in throttled.get_data(as_text=True)
        traveller.shift(timedelta(minutes=16))
        assert sign_in(client, user.email, DEFAULT_PASSWORD).status_code == 303


def test_throttle_counts_per_account_not_per_form_submission(client, session) -> None:
    first, second = make_user(session), make_user(session)
    session.commit()
    for _ in range(10):
        sign_in(client, first.email, "wrong password guess")
    assert sign_in(client, second.email).status_code == 303


def test_throttle_is_shared_by_two_instances_using_redis(app_factory, session, redis_url) -> None:
    """AUTH-03: alternate failures between two app instances; the limit is the shared total.

    Redis keeps counts between runs, so the account and client address are new each run.
    """
    first = app_factory(RATELIMIT_STORAGE_URI=redis_url)
    second = app_factory(RATELIMIT_STORAGE_URI=redis_url)
    run = uuid.uuid4()
    user = make_user(session, email=f"redis-{run.hex}@example.org")
    session.commit()
    address = f"192.0.2.{run.int % 250 + 1}"  # a documentation address: a name, not a route
    clients = [first.test_client(), second.test_client()]
    for client in clients:
        client.environ_base["REMOTE_ADDR"] = address
    for attempt in range(10):
        assert sign_in(clients[attempt % 2], user.email, "wrong guess here").status_code == 200
    assert sign_in(clients[0], user.email).status_code == 429
    assert sign_in(clients[1], user.email).status_code == 429


def test_failed_sign_ins_are_audited_without_the_address(client, session) -> None:
    make_user(session)
    session.commit()
    sign_in(client, "someone@example.org", "wrong password guess")
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "sign_in"))
    assert event.outcome == "failure" and event.actor_id is None
    assert "someone@example.org" not in str(event.details)


@pytest.mark.parametrize("next_url", [
    "https://evil.example", "//evil.example", "///evil.example", "/\\evil.example",
    "\\\\evil.example", "https:evil.example", "javascript:alert(1)", "/%09/evil.example",
    "%09//evil.example", "https://portal.test@evil.example", "/no-such-page"])
def test_next_never_leaves_the_site(client, session, next_url: str) -> None:
    """REDIR-01."""
    user = make_user(session)
    session.commit()
    location = sign_in(client, user.email, next_url=next_url).headers["Location"]
    assert location == "/dashboard"


def test_next_to_one_of_our_pages_is_followed(client, session) -> None:
    user = make_user(session)
    session.commit()
    assert sign_in(client, user.email, next_url="/account").headers["Location"] == "/account"


def test_idle_session_expires_after_30_minutes(signed_in, session) -> None:
    """SESS-04."""
    client = signed_in(make_user(session))
    with time_machine.travel(utcnow() + timedelta(minutes=29)):
        assert client.get("/dashboard").status_code == 200
    with time_machine.travel(utcnow() + timedelta(minutes=29 + 31)):
        assert client.get("/dashboard").status_code == 302


def test_session_ends_after_12_hours_however_active(signed_in, session) -> None:
    client = signed_in(make_user(session))
    start = utcnow()
    for minutes in range(20, 12 * 60, 20):
        with time_machine.travel(start + timedelta(minutes=minutes)):
            assert client.get("/dashboard").status_code == 200
    with time_machine.travel(start + timedelta(hours=12, minutes=1)):
        assert client.get("/dashboard").status_code == 302


def test_session_cookie_is_secure_httponly_lax_and_holds_no_personal_data(app, client,
                                                                         session) -> None:
    """SESS-01, SESS-07."""
    user = make_user(session)
    session.commit()
    response = sign_in(client, user.email)
    cookie = next(v for k, v in response.headers.items()
                  if k == "Set-Cookie" and v.startswith(app.config["SESSION_COOKIE_NAME"]))
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Domain" not in cookie and "Path=/" in cookie
    import base64
    import zlib
    payload = client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value.split(".")[1]
    payload += "=" * (-len(payload) % 4)
    raw = base64.urlsafe_b64decode(payload)
    text = zlib.decompress(raw).decode() if client.get_cookie(
        app.config["SESSION_COOKIE_NAME"]).value.startswith(".") else raw.decode()
    assert user.email not in text and user.full_name not in text


def test_changing_password_signs_out_other_devices(signed_in, session) -> None:
    """SESS-03."""
    user = make_user(session)
    session.commit()
    here, elsewhere = signed_in(user), signed_in(user)
    token = csrf_token(here, "/account/password")
    response = here.post("/account/password", data={
        "csrf_token": token, "current_password": DEFAULT_PASSWORD, "password": NEW_PASSWORD})
    assert response.status_code == 303
    assert here.get("/account").status_code == 200
    assert elsewhere.get("/account").status_code == 302


@pytest.mark.parametrize(("password", "message"), [
    ("short pass", "12 characters or more"),
    ("password1234", "harder to guess"),
    ("Password12345!", "harder to guess"),
    ("aaaaaaaaaaaaaaa", "harder to guess"),
    ("Workplace Champions 1", "harder to guess"),
])
def test_weak_new_passwords_are_refused_with_a_reason(signed_in, session, password,
                                                     message) -> None:
    """AUTH-07: length and common passwords, no composition rules."""
    client = signed_in(make_user(session))
    token = csrf_token(client, "/account/password")
    response = client.post("/account/password", data={
        "csrf_token": token, "current_password": DEFAULT_PASSWORD, "password": password})
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)


def request_reset(client, email: str):  # noqa: ANN201 - a test response
    token = csrf_token(client, "/forgot-password")
    return client.post("/forgot-password", data={"email": email, "csrf_token": token})


def reset_link(session, email: str) -> str:
    message = session.scalars(select(OutboxMessage).where(OutboxMessage.to_address == email)
                              .order_by(OutboxMessage.id.desc())).first()
    return re.search(r"https://portal\.test(/reset-password/\S+)", message.body_text).group(1)


def test_reset_gives_the_same_response_for_known_and_unknown_addresses(client, session) -> None:
    """AUTH-06: and only the real account gets an e-mail."""
    user = make_user(session)
    session.commit()
    known, unknown = request_reset(client, user.email), request_reset(client, "no@example.org")
    assert known.status_code == unknown.status_code == 303
    assert known.headers["Location"] == unknown.headers["Location"]
    assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 1
    message = session.scalar(select(OutboxMessage))
    assert message.to_address == user.email
    assert message.subject == "Reset your password – Workplace Champions"


def test_reset_link_works_once(client, session) -> None:
    """AUTH-09 (a)."""
    user = make_user(session)
    session.commit()
    request_reset(client, user.email)
    link = reset_link(session, user.email)
    token = csrf_token(client, link)
    assert client.post(link, data={"csrf_token": token, "password": NEW_PASSWORD}) \
        .status_code == 303
    assert sign_in(client, user.email, NEW_PASSWORD).status_code == 303
    reused = client.get(link)
    assert reused.status_code == 400 and "This link does not work" in reused.get_data(as_text=True)


def test_reset_link_expires_after_an_hour(client, session) -> None:
    """AUTH-09 (b)."""
    user = make_user(session)
    session.commit()
    request_reset(client, user.email)
    link = reset_link(session, user.email)
    with time_machine.travel(utcnow() + timedelta(minutes=61)):
        response = client.get(link)
    assert response.status_code == 400
    assert "This link has expired" in response.get_data(as_text=True)


def test_reset_link_dies_when_the_password_changes_another_way(signed_in, session) -> None:
    """AUTH-09 (d)."""
    user = make_user(session)
    session.commit()
    client = signed_in(user)
    request_reset(client, user.email)
    link = reset_link(session, user.email)
    token = csrf_token(client, "/account/password")
    client.post("/account/password", data={"csrf_token": token,
                                           "current_password": DEFAULT_PASSWORD,
                                           "password": NEW_PASSWORD})
    assert client.get(link).status_code == 400


def test_reset_links_are_built_from_base_url_not_the_host_header(client, session) -> None:
    """AUTH-10."""
    user = make_user(session)
    session.commit()
    token = csrf_token(client, "/forgot-password")
    client.post("/forgot-password", data={"email": user.email, "csrf_token": token},
                headers={"X-Forwarded-Host": "evil.example"})
    assert "evil.example" not in session.scalar(select(OutboxMessage)).body_text
    assert client.get("/", headers={"Host": "evil.example"}).status_code == 400


def test_reset_requests_are_limited_per_address(client, session) -> None:
    """P10: nobody can flood a person's inbox with reset e-mails."""
    user = make_user(session)
    session.commit()
    for _ in range(3):
        assert request_reset(client, user.email).status_code == 303
    assert request_reset(client, user.email).status_code == 429
    assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 3


def test_deactivated_people_are_signed_out_and_get_no_reset(signed_in, client, session) -> None:
    """AUTH-16."""
    user = make_user(session)
    session.commit()
    their_client = signed_in(user)
    user.is_active = False
    session.commit()
    assert their_client.get("/dashboard").status_code == 302
    request_reset(client, user.email)
    assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    assert sign_in(client, user.email).status_code == 200
