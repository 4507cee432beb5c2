"""Two-factor sign-in for coordinators: TOTP codes (RFC 6238) and single-use recovery codes.

TOTP here is the profile every authenticator app supports: HMAC-SHA1, 6 digits, 30-second
steps, and a code from one step either side is accepted for clock drift. Each accepted step is
remembered, so a code (or an older one) cannot be used twice (AUTH-14, ASVS 6.5.1).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
from dataclasses import dataclass
from urllib.parse import quote, urlencode

import segno
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from portal import clock
from portal.models import RecoveryCode, User, utcnow
from portal.services.sql import rowcount

DIGITS = 6
STEP_SECONDS = 30
DRIFT_STEPS = 1  # accept the previous and the next step too
SECRET_BYTES = 20  # 160 bits, RFC 4226's recommended key length for HMAC-SHA1
RECOVERY_CODE_COUNT = 10
RECOVERY_CODE_LENGTH = 24  # 24 base32 characters: 120 bits from the CSPRNG
RECOVERY_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"


# Codes and keys


def new_secret() -> str:
    """A fresh TOTP key, base32 without padding (what authenticator apps expect)."""
    return base64.b32encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii").rstrip("=")


def current_step(now: float | None = None) -> int:
    return int((clock.now().timestamp() if now is None else now) // STEP_SECONDS)


def code_at(secret: str, step: int) -> str:
    """The RFC 6238 code for a time step: HOTP (RFC 4226) with the step as the counter."""
    key = base64.b32decode(secret + "=" * (-len(secret) % 8), casefold=True)
    digest = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10**DIGITS).zfill(DIGITS)


def normalise_code(code: str) -> str:
    return "".join(code.split()).replace("-", "")


def matching_step(secret: str, code: str, now: float | None = None) -> int | None:
    """The time step (now, or one either side) whose code this is, or None."""
    code = normalise_code(code)
    if len(code) != DIGITS or not code.isascii() or not code.isdigit():
        return None
    step = current_step(now)
    found = None
    for candidate in range(step - DRIFT_STEPS, step + DRIFT_STEPS + 1):
        # Compare every candidate, in constant time, whatever matched first.
        if hmac.compare_digest(code_at(secret, candidate), code):
            found = candidate
    return found


def accept_code(session: Session, user: User, code: str) -> bool:
    """True if the code is right and its time step is newer than the last one accepted.

    The step is claimed with one conditional UPDATE, so two requests racing with the same code
    cannot both succeed (it stays uncommitted until the caller commits).
    """
    if user.totp_secret is None:
        return False
    step = matching_step(user.totp_secret, code)
    if step is None:
        return False
    claimed = session.execute(
        update(User).where(User.id == user.id,
                           or_(User.totp_last_step.is_(None), User.totp_last_step < step))
        .values(totp_last_step=step).execution_options(synchronize_session=False))
    if rowcount(claimed) != 1:
        return False
    user.totp_last_step = step
    return True


# Setting up


@dataclass(frozen=True)
class QrCode:
    """A QR code drawn as one SVG path: no markup is built from strings, so nothing is |safe."""

    size: int
    path: str


def provisioning_uri(secret: str, account: str, issuer: str) -> str:
    """The otpauth:// address authenticator apps read from the QR code."""
    label = quote(f"{issuer}:{account}", safe="@:")
    query = urlencode({"secret": secret, "issuer": issuer, "algorithm": "SHA1",
                       "digits": DIGITS, "period": STEP_SECONDS}, quote_via=quote)
    return f"otpauth://totp/{label}?{query}"


def qr_code(data: str) -> QrCode:
    """The QR code for `data`, with its quiet zone, as an SVG path of dark runs."""
    qr = segno.make(data, error="m", micro=False)
    size = int(qr.symbol_size(border=4)[0])
    runs = []
    for y, cells in enumerate(qr.matrix_iter(border=4)):
        row = list(cells)
        x = 0
        while x < size:
            if row[x]:
                start = x
                while x < size and row[x]:
                    x += 1
                runs.append(f"M{start} {y}h{x - start}v1h-{x - start}z")
            else:
                x += 1
    return QrCode(size=size, path="".join(runs))


def grouped(secret: str) -> str:
    """The key in groups of four, easier to type into an app by hand."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def begin_setup(user: User) -> str:
    """The key being set up: made once and kept until confirmed, so reloading shows the same."""
    if user.totp_secret is None or user.totp_confirmed_at is not None:
        user.totp_secret = new_secret()
        user.totp_confirmed_at = None
        user.totp_last_step = None
    return user.totp_secret


def confirm_setup(session: Session, user: User, code: str) -> list[str] | None:
    """Turn two-factor sign-in on if the code matches; returns the new recovery codes."""
    if user.totp_secret is None or user.totp_confirmed_at is not None:
        return None
    if not accept_code(session, user, code):
        return None
    user.totp_confirmed_at = utcnow()
    return replace_recovery_codes(session, user)


def reset(session: Session, user: User) -> None:
    """Forget the app and the recovery codes (a lost phone); set up again at next sign-in."""
    user.totp_secret = None
    user.totp_confirmed_at = None
    user.totp_last_step = None
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    user.session_version += 1


# Recovery codes


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode("ascii")).hexdigest()


def _new_recovery_code() -> str:
    return "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_CODE_LENGTH))


def format_recovery_code(code: str) -> str:
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


def replace_recovery_codes(session: Session, user: User) -> list[str]:
    """Ten new codes, shown once; the old ones stop working. Only hashes are stored."""
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    session.add_all(RecoveryCode(user_id=user.id, code_hash=_hash(code)) for code in codes)
    return [format_recovery_code(code) for code in codes]


def use_recovery_code(session: Session, user: User, code: str) -> bool:
    """True once per code: it is marked used by a conditional UPDATE in the same transaction."""
    code = normalise_code(code).lower()
    if len(code) != RECOVERY_CODE_LENGTH or not set(code) <= set(RECOVERY_ALPHABET):
        return False
    used = session.execute(
        update(RecoveryCode).where(RecoveryCode.user_id == user.id,
                                   RecoveryCode.code_hash == _hash(code),
                                   RecoveryCode.used_at.is_(None))
        .values(used_at=utcnow()).execution_options(synchronize_session=False))
    return rowcount(used) == 1


def recovery_codes_left(session: Session, user: User) -> int:
    return session.scalar(select(func.count()).select_from(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))) or 0
