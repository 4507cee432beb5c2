"""Accounts: password hashing and policy, sign-in checks, password changes and resets."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from functools import cache
from pathlib import Path
from string import digits, punctuation

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import User, utcnow
from portal.services.errors import PortalError

COMMON_PASSWORDS_FILE = Path(__file__).resolve().parent.parent / "data" / "common-passwords.txt"
RESET_SALT = "password-reset"
EMAIL_CHANGE_SALT = "email-change"


class PasswordPolicyError(PortalError):
    """The new password breaks the password rules; the message says which."""


class EmailChangeLinkExpiredError(PortalError):
    """The link to confirm a new address is too old."""


class EmailChangeLinkInvalidError(PortalError):
    """Not one of ours, used already, or a newer change was asked for since."""


class EmailInUseError(PortalError):
    """Another account already uses the new address."""


class ResetLinkExpiredError(PortalError):
    """The reset link is older than an hour."""


class ResetLinkInvalidError(PortalError):
    """The reset link is not one of ours, was used already, or the password changed since."""


@cache
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.casefold() for line in lines if line and not line.startswith("#"))


class Passwords:
    """Argon2id hashing with the configured cost, and the password rules."""

    def __init__(self, config: dict) -> None:
        self.hasher = PasswordHasher(time_cost=config["ARGON2_TIME_COST"],
                                     memory_cost=config["ARGON2_MEMORY_COST"],
                                     parallelism=config["ARGON2_PARALLELISM"])
        self.min_length = config["PASSWORD_MIN_LENGTH"]
        self.max_length = config["PASSWORD_MAX_LENGTH"]
        self.scheme_name = config["SCHEME_NAME"]
        # Unknown e-mail addresses are checked against this, so both paths cost one verification
        # and timing does not reveal which accounts exist (AUTH-05).
        self.dummy_hash = self.hasher.hash("not-a-real-password-just-for-timing")

    def hash(self, password: str) -> str:
        return self.hasher.hash(password)

    def verify(self, password_hash: str | None, password: str) -> bool:
        try:
            return self.hasher.verify(password_hash or self.dummy_hash, password) \
                and password_hash is not None
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        return self.hasher.check_needs_rehash(password_hash)

    def check_policy(self, password: str, *, email: str = "", name: str = "") -> None:
        """At least 12 characters and not a common or guessable password; no composition rules."""
        if len(password) < self.min_length:
            raise PasswordPolicyError(
                f"Password must be {self.min_length} characters or more")
        if len(password) > self.max_length:
            raise PasswordPolicyError(f"Password must be {self.max_length} characters or fewer")
        if _is_guessable(password, [email.split("@")[0], name, self.scheme_name]):
            raise PasswordPolicyError(
                "Choose a password that is harder to guess: it is too common, or uses your "
                "name, e-mail address or the scheme's name")


def _is_guessable(password: str, personal: list[str]) -> bool:
    folded = password.casefold()
    stem = folded.rstrip(digits + punctuation + " ")
    common = common_passwords()
    if folded in common or (len(stem) >= 4 and stem in common):
        return True
    if len(set(folded)) <= 2:
        return True
    squashed = folded.replace(" ", "")
    return any(len(p) >= 4 and p.casefold().replace(" ", "") in squashed for p in personal if p)


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == normalise_email(email)))


def authenticate(session: Session, passwords: Passwords, email: str,
                 password: str) -> User | None:
    """The active user with this e-mail and password, or None; always one hash verification."""
    user = find_user_by_email(session, email)
    ok = passwords.verify(user.password_hash if user else None, password)
    if not ok or user is None or not user.is_active:
        return None
    if user.password_hash is not None and passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash(password)
    user.last_signed_in_at = utcnow()
    return user


def set_password(user: User, passwords: Passwords, new_password: str) -> None:
    """Set a new password; every other session and every earlier reset link stops working."""
    passwords.check_policy(new_password, email=user.email, name=user.full_name)
    user.password_hash = passwords.hash(new_password)
    user.password_changed_at = utcnow()
    user.password_change_required = False  # a password of their own choosing now
    user.session_version += 1


def end_all_sessions(user: User) -> None:
    """Sign the person out on every device: their session cookies no longer match."""
    user.session_version += 1


def _password_fingerprint(user: User) -> str:
    # Changes whenever the password does, so a reset link works once and dies with a new password.
    basis = f"{user.id}:{user.password_hash or ''}".encode()
    return hashlib.sha256(basis).hexdigest()[:16]


def make_user_token(secret_key: str, salt: str, user: User, fingerprint: str) -> str:
    """A signed link for one purpose (the salt), bound to a fingerprint of the account."""
    return URLSafeTimedSerializer(secret_key, salt=salt).dumps({"u": user.id, "f": fingerprint})


def user_for_token(session: Session, secret_key: str, salt: str, token: str,
                   max_age_seconds: int, fingerprint: Callable[[User], str],
                   errors: tuple[type[PortalError], type[PortalError]]) -> User:
    """The active user a valid, unexpired link belongs to, while the fingerprint still matches.

    `errors` is (expired, invalid): each purpose reports its own kind of problem.
    """
    expired, invalid = errors
    try:
        data = URLSafeTimedSerializer(secret_key, salt=salt).loads(token, max_age=max_age_seconds)
    except SignatureExpired as error:
        raise expired from error
    except BadSignature as error:
        raise invalid from error
    user_id = data.get("u") if isinstance(data, dict) else None
    user = session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or not user.is_active or not hmac.compare_digest(
            str(data.get("f")), fingerprint(user)):
        raise invalid
    return user


def make_reset_token(secret_key: str, user: User) -> str:
    return make_user_token(secret_key, RESET_SALT, user, _password_fingerprint(user))


def user_for_reset_token(session: Session, secret_key: str, token: str,
                         max_age_seconds: int) -> User:
    """The user a valid, unused, unexpired reset link belongs to."""
    return user_for_token(session, secret_key, RESET_SALT, token, max_age_seconds,
                          _password_fingerprint, (ResetLinkExpiredError, ResetLinkInvalidError))


def _pending_fingerprint(user: User) -> str:
    # Changes when another new address is asked for or this one is confirmed: one link, once.
    basis = f"{user.id}:{user.email}:{user.pending_email or ''}".encode()
    return hashlib.sha256(basis).hexdigest()[:16]


def ask_to_change_email(user: User, new_email: str, secret_key: str) -> str:
    """Keep the new address waiting and return the token for the link sent to it. The address
    itself is kept in the database, never in the link."""
    user.pending_email = normalise_email(new_email)
    user.pending_email_at = utcnow()
    return make_user_token(secret_key, EMAIL_CHANGE_SALT, user, _pending_fingerprint(user))


def user_for_email_change_token(session: Session, secret_key: str, token: str,
                                max_age_seconds: int) -> User:
    user = user_for_token(session, secret_key, EMAIL_CHANGE_SALT, token, max_age_seconds,
                          _pending_fingerprint,
                          (EmailChangeLinkExpiredError, EmailChangeLinkInvalidError))
    if user.pending_email is None:
        raise EmailChangeLinkInvalidError
    return user


def confirm_email_change(session: Session, user: User) -> str:
    """Make the waiting address the account's own; returns the old address (to be told)."""
    new = user.pending_email
    if new is None:  # user_for_email_change_token checked there is one
        raise EmailChangeLinkInvalidError
    if find_user_by_email(session, new) not in (None, user):
        raise EmailInUseError
    old = user.email
    user.email, user.email_verified_at = new, utcnow()
    user.pending_email = user.pending_email_at = None
    return old
