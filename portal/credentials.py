"""The portal's issuer key for signed credentials: loaded from ISSUER_KEY_FILE, made there on
first use in development and tests, and published (public half only) as a JWK set."""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path

from flask import current_app
from joserfc.jwk import KeySet, RSAKey

from portal.services.credentials import JWKS_PATH

KEY_BITS = 2048


class IssuerKeyMissingError(RuntimeError):
    """No issuer key where ISSUER_KEY_FILE points, and this configuration may not make one."""


def issuer_key() -> RSAKey:
    config = current_app.config
    return _load(Path(config["ISSUER_KEY_FILE"]), bool(config["ISSUER_KEY_GENERATE"]))


@cache
def _load(path: Path, generate: bool) -> RSAKey:
    if not path.exists():
        if not generate:
            raise IssuerKeyMissingError(f"ISSUER_KEY_FILE {path} does not exist")
        key = RSAKey.generate_key(KEY_BITS, private=True, auto_kid=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Readable by this user alone, and linked into place only if no other process got
        # there first (then its key is the one used), so nobody reads half a key or a lost one.
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as file:
            json.dump(key.as_dict(private=True), file)
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
    key = RSAKey.import_key(json.loads(path.read_text()))
    key.ensure_kid()
    return key


def key_id() -> str:
    """The `kid` of signed credentials: a URI that dereferences to the key in the JWK set."""
    return f"{current_app.config['BASE_URL'].rstrip('/')}{JWKS_PATH}#{issuer_key().kid}"


def public_key_set() -> dict:
    """What verifiers fetch: the public half only (never "d" or the other private members),
    named by the same `kid` URI that signed credentials carry, so a verifier matches them."""
    public = issuer_key().as_dict(private=False)
    public.update(kid=key_id(), use="sig", alg="RS256")
    return KeySet([RSAKey.import_key(public)]).as_dict(private=False)
