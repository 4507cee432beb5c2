"""Two-factor sign-in for coordinators (AUTH-14; ASVS 6.3.3, 6.5.1, 6.5.5; LOG-01).

Coordinators from tests.factories are enrolled with COORDINATOR_TOTP_SECRET; these tests stop
after the password step (`second_factor=False`) and drive the code step themselves.
"""

from __future__ import annotations

import base64
import hashlib
import re
import threading
import uuid
from datetime import timedelta

import pytest
import segno
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from portal.models import AuditEvent, RecoveryCode, User, utcnow
from portal.security import TWO_FACTOR_PENDING_KEY
from portal.services import accounts, two_factor
from tests.conftest import csrf_token, make_app, sign_in
from tests.factories import COORDINATOR_TOTP_SECRET, make_user
from tests.two_factor import CODE_PATH, SET_UP_PATH, next_code, wrong_code

RFC_6238_SECRET = base64.b32encode(b"12345678901234567890").decode()


@pytest.fixture
def coordinator(session) -> User:
    user = make_user(session, is_coordinator=True)
    session.commit()
    return user


def password_step(client: FlaskClient, user: User, **kwargs: object):  # noqa: ANN201
    return sign_in(client, user.email, second_factor=False, **kwargs)


def enter(client: FlaskClient, path: str, code: str):  # noqa: ANN201
    return client.post(path, data={"code": code, "csrf_token": csrf_token(client, path)})


def events(session, action: str) -> list[AuditEvent]:  # noqa: ANN001
    session.expire_all()
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                                .order_by(AuditEvent.id)))


def is_signed_in(client: FlaskClient) -> bool:
    return client.get("/account").status_code == 200


# The algorithm


@pytest.mark.parametrize(("unix_time", "code"), [
    (59, "287082"), (1111111109, "081804"), (1111111111, "050471"), (1234567890, "005924"),
    (2000000000, "279037"), (20000000000, "353130")])
def test_codes_match_the_rfc_6238_test_vectors(unix_time: int, code: str) -> None:
    """RFC 6238 Appendix B (SHA-1), last six digits of each eight-digit value."""
    assert two_factor.code_at(RFC_6238_SECRET, two_factor.current_step(unix_time)) == code


def test_one_step_of_drift_either_way_is_accepted_and_no_more() -> None:
    """ASVS 6.5.5: a code lives 30 s, plus one step either side for clock drift."""
    now = 1_700_000_000.0
    step = two_factor.current_step(now)
    for offset in (-1, 0, 1):
        code = two_factor.code_at(COORDINATOR_TOTP_SECRET, step + offset)
        assert two_factor.matching_step(COORDINATOR_TOTP_SECRET, code, now) == step + offset
    for offset in (-3, -2, 2, 3):
        code = two_factor.code_at(COORDINATOR_TOTP_SECRET, step + offset)
        assert two_factor.matching_step(COORDINATOR_TOTP_SECRET, code, now) is None
    assert two_factor.matching_step(COORDINATOR_TOTP_SECRET, "12345", now) is None
    assert two_factor.matching_step(COORDINATOR_TOTP_SECRET, "１２３４５６", now) is None


def test_keys_and_recovery_codes_come_from_the_csprng() -> None:
    """ASVS 6.5.3: 160-bit keys, 120-bit recovery codes, all different."""
    keys = {two_factor.new_secret() for _ in range(20)}
    assert len(keys) == 20 and all(len(base64.b32decode(k)) == 20 for k in keys)
    codes = {two_factor._new_recovery_code() for _ in range(50)}
    assert len(codes) == 50 and all(len(c) == 24 for c in codes)


# The code step


def test_auth_14_password_alone_leaves_nobody_signed_in(client, coordinator) -> None:
    """AUTH-14: after the password, the session holds only a marker, not a signed-in user."""
    response = password_step(client, coordinator)
    assert response.status_code == 303 and response.headers["Location"] == CODE_PATH
    with client.session_transaction() as cookie_session:
        assert set(cookie_session.keys()) == {TWO_FACTOR_PENDING_KEY}
        marker = cookie_session[TWO_FACTOR_PENDING_KEY]
    assert set(marker) == {"user", "version", "at", "next"}  # ids and times only (SESS-07)
    assert coordinator.email not in str(marker)
    assert not is_signed_in(client)


def test_auth_14_pending_session_reaches_no_signed_in_page(app: Flask, client,
                                                           coordinator) -> None:
    """AUTH-14: every route that needs a signed-in person sends the half-signed-in to sign in."""
    password_step(client, coordinator)
    checked = 0
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        if getattr(view, "access_rule", "public") == "public" or "GET" not in rule.methods:
            continue
        values = {name: uuid.UUID(int=1) if type(converter).__name__ == "UUIDConverter" else 1
                  for name, converter in rule._converters.items()}
        path = rule.build(values, append_unknown=False)[1]
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith("/sign-in"), path
        checked += 1
    assert checked > 20
    # ... and the marker survives those visits, so the code step still works.
    assert enter(client, CODE_PATH, next_code(app, user_id=coordinator.id)).status_code == 303


def test_auth_14_correct_code_signs_in_and_goes_on(app: Flask, client, coordinator,
                                                  session) -> None:
    password_step(client, coordinator, next_url="/coordinator/applications")
    response = enter(client, CODE_PATH, next_code(app, user_id=coordinator.id))
    assert response.status_code == 303
    assert response.headers["Location"] == "/coordinator/applications"
    assert client.get("/coordinator/applications").status_code == 200
    with client.session_transaction() as cookie_session:
        assert TWO_FACTOR_PENDING_KEY not in cookie_session
    sign_ins = events(session, "sign_in")
    assert sign_ins[-1].actor_id == coordinator.id
    assert sign_ins[-1].details == {"second_factor": "app"}
    assert events(session, "sign_in.password_accepted")[-1].actor_id == coordinator.id


def test_auth_14_wrong_code_is_refused_and_audited(client, coordinator, session) -> None:
    password_step(client, coordinator)
    response = enter(client, CODE_PATH, wrong_code())
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "There is a problem" in page and "Error: Enter your code" in page
    assert not is_signed_in(client)
    failure = events(session, "two_factor")[-1]
    assert failure.outcome == "failure" and failure.actor_id == coordinator.id
    assert failure.details == {"method": "app"}


@pytest.mark.parametrize("junk", ["", "12345", "1234567", "abcdef", "12 34 5x", "9" * 30])
def test_junk_codes_are_form_errors_not_crashes(client, coordinator, junk: str) -> None:
    password_step(client, coordinator)
    response = enter(client, CODE_PATH, junk)
    assert response.status_code == 200 and "There is a problem" in response.get_data(as_text=True)


def test_auth_14_a_used_code_cannot_be_replayed(app: Flask, coordinator, session) -> None:
    """AUTH-14, ASVS 6.5.1: the same code (or an older one) is refused after it was accepted."""
    with time_machine.travel(utcnow(), tick=False):
        first = app.test_client()
        password_step(first, coordinator)
        step = two_factor.current_step()
        code = two_factor.code_at(COORDINATOR_TOTP_SECRET, step)
        assert enter(first, CODE_PATH, code).status_code == 303
        # An eavesdropper with the password and the code just used, in the same 30 seconds:
        thief = app.test_client()
        password_step(thief, coordinator)
        assert enter(thief, CODE_PATH, code).status_code == 200
        older = two_factor.code_at(COORDINATOR_TOTP_SECRET, step - 1)
        assert enter(thief, CODE_PATH, older).status_code == 200
        assert not is_signed_in(thief)
        # The next step's code is still good for the real person.
        newer = two_factor.code_at(COORDINATOR_TOTP_SECRET, step + 1)
        assert enter(thief, CODE_PATH, newer).status_code == 303
    session.expire_all()
    assert session.get(User, coordinator.id).totp_last_step == step + 1


def test_auth_14_an_expired_code_is_refused(app: Flask, client, coordinator) -> None:
    """ASVS 6.5.5: a code two steps (60-90 s) old no longer works."""
    with time_machine.travel(utcnow(), tick=False):
        password_step(client, coordinator)
        stale = two_factor.code_at(COORDINATOR_TOTP_SECRET, two_factor.current_step() - 2)
        assert enter(client, CODE_PATH, stale).status_code == 200
        assert not is_signed_in(client)


def test_the_pending_marker_expires_after_five_minutes(app: Flask, client, coordinator) -> None:
    start = utcnow()
    with time_machine.travel(start, tick=False):
        password_step(client, coordinator)
    with time_machine.travel(start + timedelta(minutes=5, seconds=1), tick=False):
        response = client.get(CODE_PATH)
        assert response.status_code == 303 and response.headers["Location"] == "/sign-in"
        code = next_code(app, user_id=coordinator.id)
        response = client.post(CODE_PATH, data={"code": code,
                                                "csrf_token": csrf_token(client, "/sign-in")})
        assert response.status_code == 303 and response.headers["Location"] == "/sign-in"
        assert not is_signed_in(client)


def test_signing_out_everywhere_kills_a_pending_marker(app: Flask, client, coordinator,
                                                       session) -> None:
    password_step(client, coordinator)
    accounts.end_all_sessions(session.get(User, coordinator.id))
    session.commit()
    assert client.get(CODE_PATH).headers["Location"] == "/sign-in"


def test_without_a_pending_marker_the_code_pages_send_you_to_sign_in(client) -> None:
    for path in (CODE_PATH, "/sign-in/recovery-code", SET_UP_PATH):
        response = client.get(path)
        assert response.status_code == 303 and response.headers["Location"] == "/sign-in", path


def test_people_other_than_coordinators_have_no_code_step(client, session) -> None:
    user = make_user(session)
    session.commit()
    assert password_step(client, user).headers["Location"] == "/dashboard"


def test_auth_14_a_password_reset_does_not_skip_the_code(app: Flask, client, coordinator,
                                                        session) -> None:
    """AUTH-14, ASVS 6.4.3: after resetting the password the code step still comes next."""
    token = accounts.make_reset_token(app.config["SECRET_KEY"], coordinator)
    path = f"/reset-password/{token}"
    response = client.post(path, data={"password": "a brand new long passphrase",
                                       "csrf_token": csrf_token(client, path)})
    assert response.status_code == 303
    response = sign_in(client, coordinator.email, "a brand new long passphrase",
                       second_factor=False)
    assert response.headers["Location"] == CODE_PATH
    assert not is_signed_in(client)


# Rate limit


def test_auth_14_wrong_codes_are_rate_limited_per_account(app: Flask, coordinator) -> None:
    """AUTH-14: 5 wrong codes in 15 minutes, across app and recovery codes and new sign-ins;
    then even the right code is refused until the window passes."""
    with time_machine.travel(utcnow(), tick=False) as traveller:
        client = app.test_client()
        password_step(client, coordinator)
        for _ in range(3):
            assert enter(client, CODE_PATH, wrong_code()).status_code == 200
        assert enter(client, "/sign-in/recovery-code", "a" * 24).status_code == 200
        other = app.test_client()  # a fresh session does not reset the count
        password_step(other, coordinator)
        assert enter(other, CODE_PATH, wrong_code()).status_code == 200
        throttled = enter(other, CODE_PATH, next_code(app, user_id=coordinator.id))
        assert throttled.status_code == 429
        assert "You have tried too many times" in throttled.get_data(as_text=True)
        traveller.shift(timedelta(minutes=16))
        client = app.test_client()
        password_step(client, coordinator)
        assert enter(client, CODE_PATH, next_code(app, user_id=coordinator.id)).status_code == 303


# Recovery codes


def test_a_recovery_code_works_once(app: Flask, coordinator, session) -> None:
    """ASVS 6.5.1: lookup secrets are single-use; only hashes are stored."""
    codes = two_factor.replace_recovery_codes(session, session.get(User, coordinator.id))
    session.commit()
    stored = set(session.scalars(select(RecoveryCode.code_hash)))
    assert len(stored) == two_factor.RECOVERY_CODE_COUNT
    assert not {c.replace("-", "") for c in codes} & stored
    first = app.test_client()
    password_step(first, coordinator)
    typed = codes[0].upper().replace("-", " ")  # case and separators do not matter
    response = enter(first, "/sign-in/recovery-code", typed)
    assert response.status_code == 303 and is_signed_in(first)
    assert events(session, "sign_in")[-1].details == {"second_factor": "recovery_code"}
    again = app.test_client()
    password_step(again, coordinator)
    response = enter(again, "/sign-in/recovery-code", codes[0])
    assert response.status_code == 200 and not is_signed_in(again)
    assert "has been used already" in response.get_data(as_text=True)
    assert two_factor.recovery_codes_left(session, coordinator) == 9
    used = events(session, "two_factor.recovery_code_used")
    assert len(used) == 1 and used[0].details == {"count": 9}


def test_a_recovery_code_of_another_coordinator_does_not_work(app: Flask, client, coordinator,
                                                               session) -> None:
    other = make_user(session, is_coordinator=True)
    theirs = two_factor.replace_recovery_codes(session, other)
    session.commit()
    password_step(client, coordinator)
    assert enter(client, "/sign-in/recovery-code", theirs[0]).status_code == 200


def test_coordinators_can_get_new_recovery_codes(app: Flask, signed_in, coordinator,
                                                session) -> None:
    old = two_factor.replace_recovery_codes(session, session.get(User, coordinator.id))
    session.commit()
    client = signed_in(coordinator)
    account = client.get("/account").get_data(as_text=True)
    assert "10 unused" in account and "/account/recovery-codes" in account
    assert enter(client, "/account/recovery-codes", wrong_code()).status_code == 200
    response = enter(client, "/account/recovery-codes", next_code(app, user_id=coordinator.id))
    assert response.status_code == 200
    new = re.findall(r"<code>([a-z2-7-]{29})</code>", response.get_data(as_text=True))
    assert len(new) == 10 and not set(new) & set(old)
    assert events(session, "two_factor.recovery_codes_replaced")[-1].actor_id == coordinator.id
    other = app.test_client()
    password_step(other, coordinator)
    assert enter(other, "/sign-in/recovery-code", old[1]).status_code == 200
    assert enter(other, "/sign-in/recovery-code", new[1]).status_code == 303


def test_only_coordinators_have_recovery_codes_pages(signed_in, session) -> None:
    client = signed_in(make_user(session))
    assert client.get("/account/recovery-codes").status_code == 404
    assert "Recovery codes" not in client.get("/account").get_data(as_text=True)


# Setting up


@pytest.fixture
def newcomer(session) -> User:
    """A coordinator as create-coordinator leaves them: no authenticator app yet."""
    user = make_user(session, is_coordinator=True, totp_secret=None, totp_confirmed_at=None)
    session.commit()
    return user


def test_first_sign_in_sets_up_an_app_then_shows_recovery_codes(app: Flask, client, newcomer,
                                                               session) -> None:
    response = password_step(client, newcomer)
    assert response.headers["Location"] == SET_UP_PATH
    page = client.get(SET_UP_PATH).get_data(as_text=True)
    session.expire_all()
    secret = session.get(User, newcomer.id).totp_secret
    assert secret is not None and session.get(User, newcomer.id).totp_confirmed_at is None
    assert '<svg class="app-qr-code"' in page and "<title id=\"qr-code-title\">" in page
    assert two_factor.grouped(secret) in page  # the key as text, for typing in by hand
    assert client.get(SET_UP_PATH).get_data(as_text=True).count(two_factor.grouped(secret)) == 1
    session.expire_all()
    assert session.get(User, newcomer.id).totp_secret == secret  # reloading keeps the key
    assert not is_signed_in(client)
    assert enter(client, SET_UP_PATH, wrong_code(secret)).status_code == 200
    response = enter(client, SET_UP_PATH, next_code(app, user_id=newcomer.id))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    codes = re.findall(r"<code>([a-z2-7-]{29})</code>", page)
    assert len(codes) == 10 and "only time we show these codes" in page
    assert 'href="/dashboard"' in page
    assert is_signed_in(client)
    session.expire_all()
    user = session.get(User, newcomer.id)
    assert user.has_two_factor and two_factor.recovery_codes_left(session, user) == 10
    hashes = set(session.scalars(select(RecoveryCode.code_hash)))
    assert {hashlib.sha256(c.replace("-", "").encode()).hexdigest() for c in codes} == hashes
    assert [e.actor_id for e in events(session, "two_factor.enabled")] == [newcomer.id]
    assert events(session, "sign_in")[-1].details == {"second_factor": "set_up"}


def test_the_qr_code_encodes_the_key_for_authenticator_apps() -> None:
    uri = two_factor.provisioning_uri("ABCDEFGH", "x@example.org", "Workplace Champions")
    assert uri == ("otpauth://totp/Workplace%20Champions:x@example.org?secret=ABCDEFGH&"
                   "issuer=Workplace%20Champions&algorithm=SHA1&digits=6&period=30")
    qr = two_factor.qr_code(uri)
    assert qr.size >= 29 and re.fullmatch(r"(M\d+ \d+h\d+v1h-\d+z)+", qr.path)
    # The path's dark runs are exactly segno's dark modules (quiet zone included).
    drawn = {(x + i, y) for x, y, length in
             ((int(a), int(b), int(c)) for a, b, c in re.findall(r"M(\d+) (\d+)h(\d+)", qr.path))
             for i in range(length)}
    symbol = segno.make(uri, error="m", micro=False)
    dark = {(x, y) for y, row in enumerate(symbol.matrix_iter(border=4))
            for x, module in enumerate(row) if module}
    assert drawn == dark


def test_an_enrolled_coordinator_cannot_set_up_again(app: Flask, client, coordinator,
                                                     session) -> None:
    """With only the password, nobody can swap in their own app for a coordinator's."""
    password_step(client, coordinator)
    assert client.get(SET_UP_PATH).headers["Location"] == CODE_PATH
    response = client.post(SET_UP_PATH, data={
        "code": two_factor.code_at(two_factor.new_secret(), two_factor.current_step()),
        "csrf_token": csrf_token(client, CODE_PATH)})
    assert response.headers["Location"] == CODE_PATH
    session.expire_all()
    assert session.get(User, coordinator.id).totp_secret == COORDINATOR_TOTP_SECRET


def test_create_coordinator_then_first_sign_in_sets_up(app: Flask, client, session) -> None:
    result = app.test_cli_runner().invoke(args=["create-coordinator", "new@example.org"])
    password = result.output.strip().splitlines()[-1]
    assert "two-factor" in result.output
    response = sign_in(client, "new@example.org", password, second_factor=False)
    assert response.headers["Location"] == SET_UP_PATH


# Demo data and the command line


def test_demo_coordinator_signs_in_with_the_printed_code(app: Flask, client, session) -> None:
    runner = app.test_cli_runner()
    seeded = runner.invoke(args=["seed-demo"])
    assert seeded.exit_code == 0 and "demo-code" in seeded.output
    assert "DEMO COOR" in seeded.output  # the key, grouped, for an authenticator app
    printed = runner.invoke(args=["demo-code"])
    code = re.search(r": (\d{6}) ", printed.output).group(1)
    response = sign_in(client, "coordinator@example.org", "demo-password-for-local-use-only",
                       second_factor=False)
    assert response.headers["Location"] == CODE_PATH
    assert enter(client, CODE_PATH, code).status_code == 303


def test_demo_code_refuses_outside_demo_setups(app_factory) -> None:
    """AUTH-13: no known second factor in production either."""
    app = app_factory(DEMO_DATA_ALLOWED=False)
    result = app.test_cli_runner().invoke(args=["demo-code"])
    assert result.exit_code != 0 and "not allowed in production" in result.output


def test_reset_two_factor_clears_the_app_ends_sessions_and_is_audited(app: Flask, signed_in,
                                                                      coordinator,
                                                                      session) -> None:
    """ASVS 6.4.4: an administrator's reset after checking identity; audited."""
    two_factor.replace_recovery_codes(session, session.get(User, coordinator.id))
    session.commit()
    client = signed_in(coordinator)
    result = app.test_cli_runner().invoke(args=["reset-two-factor", coordinator.email.upper()])
    assert result.exit_code == 0, result.output
    session.expire_all()
    user = session.get(User, coordinator.id)
    assert user.totp_secret is None and user.totp_confirmed_at is None
    assert session.scalar(select(func.count()).select_from(RecoveryCode)) == 0
    assert not is_signed_in(client)
    event = events(session, "two_factor.reset")[-1]
    assert event.target_id == coordinator.id and event.target_type == "user"
    assert password_step(app.test_client(), coordinator).headers["Location"] == SET_UP_PATH
    unknown = app.test_cli_runner().invoke(args=["reset-two-factor", "nobody@example.org"])
    assert unknown.exit_code != 0


@pytest.mark.pg
def test_auth_14_racing_the_same_code_signs_in_once(pg_url) -> None:
    """ASVS 6.5.1 on PostgreSQL: four clients send one code at the same instant; one wins."""
    app = make_app(pg_url)
    with app.extensions["portal.sessionmaker"]() as session:
        user = make_user(session, is_coordinator=True)
        session.commit()
    clients = [app.test_client() for _ in range(4)]
    with time_machine.travel(utcnow(), tick=False):
        for client in clients:
            password_step(client, user)
        code = two_factor.code_at(COORDINATOR_TOTP_SECRET, two_factor.current_step())
        payloads = [{"code": code, "csrf_token": csrf_token(c, CODE_PATH)} for c in clients]
        barrier, codes = threading.Barrier(len(clients)), []

        def post(client: FlaskClient, payload: dict) -> None:
            barrier.wait()
            codes.append(client.post(CODE_PATH, data=payload).status_code)

        workers = [threading.Thread(target=post, args=pair)
                   for pair in zip(clients, payloads, strict=True)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    assert sorted(codes) == [200, 200, 200, 303], codes
    app.extensions["portal.engine"].dispose()
