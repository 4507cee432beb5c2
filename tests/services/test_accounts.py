"""Password hashing and rules (AUTH-07, AUTH-08)."""

from __future__ import annotations

from argon2 import PasswordHasher

from config import Config
from portal.models import User
from portal.services.accounts import Passwords
from tests.conftest import sign_in
from tests.factories import DEFAULT_PASSWORD, make_user


def test_production_parameters_meet_owasp_guidance() -> None:
    """OWASP: Argon2id with at least 19 MiB and 2 iterations."""
    assert Config.ARGON2_MEMORY_COST >= 19 * 1024 and Config.ARGON2_TIME_COST >= 2


def test_new_hashes_are_argon2id(app) -> None:
    passwords: Passwords = app.extensions["portal.passwords"]
    assert passwords.hash(DEFAULT_PASSWORD).startswith("$argon2id$")


def test_old_hashes_are_upgraded_at_sign_in(client, session) -> None:
    old = PasswordHasher(time_cost=2, memory_cost=8, parallelism=1).hash(DEFAULT_PASSWORD)
    user = make_user(session, password_hash=old)
    session.commit()
    assert sign_in(client, user.email).status_code == 303
    session.expire_all()
    upgraded = session.get(User, user.id).password_hash
    assert upgraded != old and "t=1" in upgraded


def test_passphrases_with_spaces_and_any_characters_are_accepted(app) -> None:
    passwords: Passwords = app.extensions["portal.passwords"]
    for password in ("walrus tangerine bicycle", "Ünïcödé pässwörd ✓ 2026", "correct-horse-" * 9):
        passwords.check_policy(password)


def test_passwords_are_case_sensitive(client, session) -> None:
    user = make_user(session)
    session.commit()
    assert sign_in(client, user.email, DEFAULT_PASSWORD.upper()).status_code == 200
