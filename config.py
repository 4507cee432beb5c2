"""Settings for the portal, one class per environment, chosen by PORTAL_ENV.

Development is the embedded default (SQLite under instance/, e-mail printed on the console, rate
limits in memory). Production reads everything that matters from the environment and refuses to
start without it.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

PROJECT_ROOT = Path(__file__).resolve().parent
INSTANCE_DIR = PROJECT_ROOT / "instance"

# Well-known placeholder secrets people paste from tutorials; never acceptable in production.
KNOWN_WEAK_SECRETS = {"dev", "secret", "changeme", "change-me", "development", "test"}
MIN_SECRET_BYTES = 32


class ConfigError(RuntimeError):
    """The environment does not give production what it needs to run safely."""


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _env_int(name: str, default: int) -> int:
    return int(_env(name, str(default)))


def _hosts_from(base_url: str) -> list[str]:
    host = urlsplit(base_url).hostname
    return [host] if host else []


class Config:
    PORTAL_ENV = "base"
    SCHEME_NAME = _env("SCHEME_NAME", "Workplace Champions")
    # The exit destination is fixed configuration, never taken from a request (REDIR-02).
    EXIT_URL = _env("EXIT_URL", "https://www.bbc.co.uk/weather")
    BASE_URL = _env("BASE_URL", "http://127.0.0.1:5000")
    SECRET_KEY = _env("SECRET_KEY")
    DATABASE_URL = _env("DATABASE_URL")
    ENGINE_OPTIONS: dict = {"pool_pre_ping": True}

    # Sessions: a signed cookie plus a per-user session version checked on every request, so a
    # copied cookie dies at sign-out or a password change (SESS-02, SESS-03).
    SESSION_COOKIE_NAME = "__Host-session"
    SESSION_COOKIE_SECURE = True
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = timedelta(minutes=30)
    SESSION_IDLE_LIMIT = timedelta(minutes=30)
    SESSION_ABSOLUTE_LIMIT = timedelta(hours=12)
    REMEMBER_COOKIE_DURATION = timedelta(seconds=0)  # no remember-me for anybody

    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = 3600
    # Browsers send no Referer (and `Origin: null`) under our Referrer-Policy: no-referrer, so
    # Flask-WTF's HTTPS Referer check would refuse every form. The session-bound CSRF token and
    # the SameSite=Lax cookie are the protection.
    WTF_CSRF_SSL_STRICT = False
    MAX_CONTENT_LENGTH = 6 * 1024 * 1024  # largest upload (5 MB policy evidence) plus form overhead
    MAX_FORM_MEMORY_SIZE = 500 * 1024
    TRUSTED_HOSTS: list[str] | None = None
    PREFERRED_URL_SCHEME = "https"
    SEND_HSTS = False

    # Passwords: length and a common-password list, no composition rules (NCSC guidance).
    PASSWORD_MIN_LENGTH = 12
    PASSWORD_MAX_LENGTH = 256
    ARGON2_TIME_COST = 3
    ARGON2_MEMORY_COST = 64 * 1024  # KiB
    ARGON2_PARALLELISM = 1
    RESET_TOKEN_MAX_AGE = timedelta(hours=1)

    # Rate limits: per account and per client address. memory:// is per process; set
    # RATELIMIT_STORAGE_URI to a Redis URL so every instance shares one count.
    RATELIMIT_STORAGE_URI = _env("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_KEY_PREFIX = _env("RATELIMIT_KEY_PREFIX", "portal")
    RATELIMIT_HEADERS_ENABLED = True
    SIGN_IN_LIMIT_PER_ACCOUNT = "10 per 15 minutes"
    SIGN_IN_LIMIT_PER_ADDRESS = "50 per 15 minutes"
    RESET_LIMIT_PER_ACCOUNT = "3 per hour"
    RESET_LIMIT_PER_ADDRESS = "20 per hour"

    # E-mail: rows in the outbox, sent by `flask worker`.
    MAIL_BACKEND = _env("MAIL_BACKEND", "smtp")  # smtp | console
    MAIL_SERVER = _env("MAIL_SERVER", "127.0.0.1")
    MAIL_PORT = _env_int("MAIL_PORT", 25)
    MAIL_USE_TLS = _env("MAIL_USE_TLS", "false").lower() == "true"
    MAIL_USERNAME = _env("MAIL_USERNAME")
    MAIL_PASSWORD = _env("MAIL_PASSWORD")
    MAIL_TIMEOUT_SECONDS = _env_int("MAIL_TIMEOUT_SECONDS", 10)
    MAIL_SENDER_ADDRESS = _env("MAIL_SENDER_ADDRESS", "no-reply@workplace-champions.example")
    MAIL_MAX_ATTEMPTS = _env_int("MAIL_MAX_ATTEMPTS", 8)
    MAIL_CLAIM_TIMEOUT = timedelta(minutes=10)
    WORKER_POLL_SECONDS = _env_int("WORKER_POLL_SECONDS", 5)

    COURSES_DIR = PROJECT_ROOT / "courses"
    # Joining the scheme: membership, invitations and the join flow.
    RENEWAL_MONTHS = 12  # membership runs this long from approval, then from each renewal
    RENEWAL_WINDOW_DAYS = 90  # HR leads may renew this many days before the renewal date
    INVITATION_DAYS = 7
    INVITATION_RESENDS_PER_DAY = 3
    EMAIL_CONFIRMATION_MAX_AGE = timedelta(days=3)
    JOIN_DRAFT_MAX_AGE = timedelta(hours=24)  # unfinished applications are discarded after this
    JOIN_LIMIT_PER_ADDRESS = "10 per hour"
    CONFIRMATION_RESEND_LIMIT = "3 per hour"
    CHAMPION_CSV_MAX_ROWS = 500
    CHAMPION_CSV_MAX_BYTES = 1024 * 1024

    PROXY_FIX_HOPS = _env_int("PROXY_FIX_HOPS", 0)
    DEMO_DATA_ALLOWED = True


class DevelopmentConfig(Config):
    PORTAL_ENV = "development"
    SECRET_KEY = _env("SECRET_KEY", "development-only-key-not-for-production-use-000")
    DATABASE_URL = _env("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'portal.db'}")
    # The development server speaks plain http on 127.0.0.1, where a Secure __Host- cookie would
    # depend on the browser's localhost exemption; production and tests keep the strict cookie.
    SESSION_COOKIE_NAME = "portal-session"
    SESSION_COOKIE_SECURE = False
    MAIL_BACKEND = _env("MAIL_BACKEND", "console")
    TRUSTED_HOSTS = ["127.0.0.1", "localhost"]


class TestConfig(Config):
    PORTAL_ENV = "test"
    TESTING = True
    SECRET_KEY = "test-secret-key-that-is-long-enough-for-the-checks-0123456789"  # noqa: S105
    DATABASE_URL = "sqlite://"
    BASE_URL = "https://portal.test"
    TRUSTED_HOSTS = ["localhost", "portal.test", "127.0.0.1"]
    # Cheap hashes keep the suite fast; the production parameters are tested separately (AUTH-08).
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 8
    RATELIMIT_STORAGE_URI = "memory://"
    MAIL_BACKEND = "smtp"
    MAIL_PORT = 0
    WORKER_POLL_SECONDS = 0


class ProductionConfig(Config):
    PORTAL_ENV = "production"
    SEND_HSTS = True
    DEMO_DATA_ALLOWED = False

    def __init__(self) -> None:
        self.SECRET_KEY = require_strong_secret(_env("SECRET_KEY"))
        self.DATABASE_URL = require_setting("DATABASE_URL", _env("DATABASE_URL"))
        self.TRUSTED_HOSTS = (_env("TRUSTED_HOSTS") or "").split(",") if _env("TRUSTED_HOSTS") \
            else _hosts_from(self.BASE_URL)


def require_setting(name: str, value: str | None) -> str:
    if not value:
        raise ConfigError(f"{name} must be set in production.")
    return value


def require_strong_secret(secret: str | None) -> str:
    """Refuse a missing, short or placeholder SECRET_KEY: it signs every session and token."""
    secret = require_setting("SECRET_KEY", secret)
    if secret.lower() in KNOWN_WEAK_SECRETS or secret.startswith("development-only"):
        raise ConfigError("SECRET_KEY is a placeholder value. Generate one with "
                          "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`.")
    if len(secret.encode()) < MIN_SECRET_BYTES or len(set(secret)) < 16:
        raise ConfigError(f"SECRET_KEY must be at least {MIN_SECRET_BYTES} random bytes.")
    return secret


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "test": TestConfig,
    "production": ProductionConfig,
}


def get_config(name: str | None = None) -> Config:
    """The settings object for PORTAL_ENV (development when unset)."""
    name = name or _env("PORTAL_ENV", "development")
    if name not in CONFIGS:
        raise ConfigError(f"PORTAL_ENV must be one of {', '.join(CONFIGS)}, not {name!r}.")
    return CONFIGS[name]()
