"""Settings for the portal, one class per environment, chosen by PORTAL_ENV.

Development is the embedded default (SQLite under instance/, e-mail printed on the console, rate
limits in memory). Production reads everything that matters from the environment and refuses to
start without it.
"""

from __future__ import annotations

import math
import os
import string
import tempfile
import zlib
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from flask.helpers import get_debug_flag

PROJECT_ROOT = Path(__file__).resolve().parent
INSTANCE_DIR = PROJECT_ROOT / "instance"

# Well-known placeholder secrets people paste from tutorials; never acceptable in production.
KNOWN_WEAK_SECRETS = {"dev", "secret", "changeme", "change-me", "development", "test"}
# A key signs every session and link: at least as hard to guess as 32 random bytes (CONF-02).
MIN_SECRET_BITS = 256
HOW_TO_MAKE_A_KEY = ("Generate one with `python -c \"import secrets; "
                      "print(secrets.token_urlsafe(48))\"` (64 random characters, about 384 bits).")
# Limiter stores every instance shares; memory:// counts in each process alone (SECURITY.md 4).
SHARED_LIMITER_SCHEMES = ("redis://", "rediss://", "redis+sentinel://", "redis+cluster://")


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
    # Who runs the scheme, named on the contact, privacy and accessibility pages. The defaults
    # are demo values: a deployment sets its own organisation, address and lawful basis.
    SCHEME_OPERATOR = _env("SCHEME_OPERATOR", "The scheme team (demo organisation)")
    CONTACT_EMAIL = _env("CONTACT_EMAIL", "scheme-team@workplace-champions.example")
    CONTACT_REPLY_DAYS = _env_int("CONTACT_REPLY_DAYS", 5)  # working days
    DATA_CONTROLLER = _env("DATA_CONTROLLER", "The scheme team (demo organisation)")
    DATA_PROTECTION_EMAIL = _env("DATA_PROTECTION_EMAIL",
                                 "data-protection@workplace-champions.example")
    LAWFUL_BASIS = _env("LAWFUL_BASIS", "public task (UK GDPR Article 6(1)(e)): running the "
                        "scheme is one of the scheme team's official functions")
    # When the accessibility statement was prepared and last reviewed (ISO dates).
    ACCESSIBILITY_STATEMENT_PREPARED = _env("ACCESSIBILITY_STATEMENT_PREPARED", "2026-12-07")
    ACCESSIBILITY_STATEMENT_REVIEWED = _env("ACCESSIBILITY_STATEMENT_REVIEWED", "2026-12-07")
    # The exit destination is fixed configuration, never taken from a request (REDIR-02).
    EXIT_URL = _env("EXIT_URL", "https://www.bbc.co.uk/weather")
    BASE_URL = _env("BASE_URL", "http://127.0.0.1:5000")
    SECRET_KEY = _env("SECRET_KEY")
    DATABASE_URL = _env("DATABASE_URL")
    # hide_parameters: a database error's message (logged with the traceback) never carries the
    # values of the statement, which are often e-mail addresses, names or hashes (LOG-03).
    # No pre-ping: it cost three round trips (SELECT 1, BEGIN, ROLLBACK) on every request. A
    # connection older than pool_recycle is replaced when checked out, and a request whose first
    # statement finds its pooled connection dead runs that statement again on a new one
    # (portal/db.py), so a restarted database costs nobody an error page.
    ENGINE_OPTIONS: dict = {"pool_pre_ping": False, "pool_recycle": 1800,
                            "hide_parameters": True}

    # Sessions: a signed cookie plus a per-user session version checked on every request, so a
    # copied cookie dies at sign-out or a password change (SESS-02, SESS-03).
    SESSION_COOKIE_NAME = "__Host-session"
    SESSION_COOKIE_SECURE = True
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = timedelta(minutes=30)
    # The session clock (portal/security.py) rewrites the cookie at most every 30 s while someone
    # is active; Flask's default would also resend it with every response, stylesheets and icons
    # included, so a late icon could put back a cookie the browser had just dropped.
    SESSION_REFRESH_EACH_REQUEST = False
    SESSION_IDLE_LIMIT = timedelta(minutes=30)
    # Coordinators can see and change every organisation: they are signed out sooner.
    COORDINATOR_IDLE_LIMIT = timedelta(minutes=15)
    SESSION_ABSOLUTE_LIMIT = timedelta(hours=12)
    # Signed-in pages warn this long before the idle limit and offer to stay signed in
    # (WCAG 2.2.1; the GOV.UK / HMRC timeout-warning pattern).
    SESSION_TIMEOUT_WARNING = timedelta(minutes=2)
    # Two-factor sign-in (coordinators): after the password, the session holds only a marker
    # naming the person, valid this long for entering a code, or longer for setting up an app.
    TWO_FACTOR_PENDING_LIMIT = timedelta(minutes=5)
    TWO_FACTOR_SETUP_LIMIT = timedelta(minutes=20)
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

    # Compression (portal/compression.py decides which responses; docs/compression.md says why).
    # Text only: CSV exports stream as they are, PDFs, ZIPs and PNGs are compressed already.
    # Brotli at level 4 costs no more than gzip at 6 and is smaller; gzip for the rest.
    COMPRESS_REGISTER = False
    COMPRESS_MIMETYPES = ["text/html", "text/css", "text/javascript", "application/javascript",
                          "application/json", "image/svg+xml", "image/x-icon",
                          "image/vnd.microsoft.icon"]
    COMPRESS_ALGORITHM = ["br", "gzip"]
    COMPRESS_STREAMS = False  # a streamed response (a CSV export) is sent as it streams
    COMPRESS_BR_LEVEL = 4
    COMPRESS_LEVEL = 6
    # Below one packet's worth, compressing saves no round trip and costs a little CPU.
    COMPRESS_MIN_SIZE = 1400

    # Passwords: length and a common-password list, no composition rules (NCSC guidance).
    PASSWORD_MIN_LENGTH = 12
    PASSWORD_MAX_LENGTH = 256
    ARGON2_TIME_COST = 3
    ARGON2_MEMORY_COST = 64 * 1024  # KiB
    ARGON2_PARALLELISM = 1
    RESET_TOKEN_MAX_AGE = timedelta(hours=1)
    # Sensitive actions (exports of people) need the password entered again this recently.
    RECENT_AUTHENTICATION_WINDOW = timedelta(minutes=15)

    # Rate limits: per account and per client address. memory:// is per process; set
    # RATELIMIT_STORAGE_URI to a Redis URL so every instance shares one count.
    RATELIMIT_STORAGE_URI = _env("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_KEY_PREFIX = _env("RATELIMIT_KEY_PREFIX", "portal")
    RATELIMIT_HEADERS_ENABLED = True
    # Production refuses per-process storage unless the deployment says it runs one process.
    RATELIMIT_SINGLE_PROCESS = False
    SIGN_IN_LIMIT_PER_ACCOUNT = "10 per 15 minutes"
    SIGN_IN_LIMIT_PER_ADDRESS = "50 per 15 minutes"
    RESET_LIMIT_PER_ACCOUNT = "3 per hour"
    RESET_LIMIT_PER_ADDRESS = "20 per hour"
    # Wrong codes (app codes, recovery codes, setting up) per account, on every code form.
    TWO_FACTOR_LIMIT_PER_ACCOUNT = "5 per 15 minutes"
    # Refused requests are audited at most this often per person and endpoint (AUTHZ-10).
    ACCESS_DENIED_AUDIT_LIMIT = "1 per minute"
    EXPORT_LIMIT_PER_ACCOUNT = "30 per hour"  # CSV exports read whole tables (15.1.3)
    # Certificate and signposting card PDFs: each is laid out by WeasyPrint, up to a second or two
    # of a core (15.1.3).
    DOCUMENT_LIMIT_PER_ACCOUNT = "30 per hour"

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
    # A message claimed longer ago than this by a worker that never finished it (the worker died)
    # is put back and sent again; keep it well above the time one batch takes to send.
    MAIL_CLAIM_TIMEOUT = timedelta(seconds=_env_int("MAIL_CLAIM_TIMEOUT_SECONDS", 600))
    WORKER_POLL_SECONDS = _env_int("WORKER_POLL_SECONDS", 5)
    # The worker runs the daily jobs (lapsing, required-training catch-up, reminders) once a
    # day, from this hour (UTC) on.
    DAILY_JOBS_HOUR = _env_int("DAILY_JOBS_HOUR", 6)

    COURSES_DIR = PROJECT_ROOT / "courses"
    # Joining the scheme: membership, invitations and the join flow.
    RENEWAL_MONTHS = 12  # membership runs this long from approval, then from each renewal
    RENEWAL_WINDOW_DAYS = 90  # HR leads may renew this many days before the renewal date
    # The coordinator's home page counts applications waiting longer than this (two weeks: the
    # applicant is told "usually within 10 working days").
    APPLICATION_WAITING_DAYS = 14
    INVITATION_DAYS = 7
    INVITATION_RESENDS_PER_DAY = 3
    EMAIL_CONFIRMATION_MAX_AGE = timedelta(days=3)
    JOIN_DRAFT_MAX_AGE = timedelta(hours=24)  # unfinished applications are discarded after this
    JOIN_LIMIT_PER_ADDRESS = "10 per hour"
    CONFIRMATION_RESEND_LIMIT = "3 per hour"
    # Answers to one awareness pulse link, from anybody: counted per link, never per person or
    # address, so a flood is refused without tracking who answered. An all-staff e-mail brings
    # answers in bursts: a minute's limit would turn real people away, an hour's spreads them.
    PULSE_ANSWER_LIMIT_PER_LINK = "300 per hour"
    CHAMPION_CSV_MAX_ROWS = 500
    CHAMPION_CSV_MAX_BYTES = 1024 * 1024
    # Running the scheme: assignments, coverage and tiers.
    TRAINING_DUE_DAYS = 30  # required courses are due this many days after a membership starts
    # The coordinator dashboard's suppressed figures are kept this long per process and filter
    # (portal/views/monitoring.py::recent_figures); 0 works them out on every view.
    DASHBOARD_CACHE_SECONDS = _env_int("DASHBOARD_CACHE_SECONDS", 60)
    COVERAGE_TARGET_PER_100_STAFF = 1.0  # current trained champions per 100 staff on each site
    # Retention schedule (SECURITY.md Part C, P11), applied daily by `apply_retention` and shown
    # on the privacy notice. Starting points to be confirmed in the DPIA.
    RETENTION = {
        "join_draft": JOIN_DRAFT_MAX_AGE,  # unfinished applications, then deleted
        "unconfirmed_account": timedelta(days=90),  # address never confirmed: account deleted
        "closed_invitation": timedelta(days=30),  # after acceptance, withdrawal or expiry
        "email_body": timedelta(days=30),  # after sending: the text of the message is deleted
        "email_record": timedelta(days=90),  # after sending: the record of the message
        "abandoned_attempt": timedelta(days=90),  # a quiz started and never submitted
        "former_member": timedelta(days=365),  # after the last role ends: the person anonymised
        "audit_event": timedelta(days=365),  # the record of important actions
    }
    # Policy evidence: files live outside static/, served only through an authorised view.
    UPLOAD_DIR = Path(_env("UPLOAD_DIR", str(INSTANCE_DIR / "uploads")))
    UPLOAD_MAX_BYTES = 5 * 1024 * 1024
    # clamd's "host:port" or "unix:/path"; when set, every upload is scanned and refused if the
    # scanner is unavailable (FILE-07). Unset: no scanning (development).
    CLAMD_ADDRESS = _env("CLAMD_ADDRESS")

    PROXY_FIX_HOPS = _env_int("PROXY_FIX_HOPS", 0)
    DEMO_DATA_ALLOWED = True
    # The issuer's RSA private key (a JWK) that signs Open Badges credentials; its public half is
    # published at /.well-known/jwks.json. Made on first use where ISSUER_KEY_GENERATE is set.
    ISSUER_KEY_FILE = Path(_env("ISSUER_KEY_FILE", str(INSTANCE_DIR / "issuer-key.json")))
    ISSUER_KEY_GENERATE = True
    # Days before a certificate expires when its holder and their HR leads are reminded.
    CERTIFICATE_REMINDER_DAYS = (90, 30, 7)


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
    SECRET_KEY = "test-secret-key-that-is-long-enough-for-the-checks-0123456789"  # noqa: S105 - tests
    DATABASE_URL = "sqlite://"
    BASE_URL = "https://portal.test"
    TRUSTED_HOSTS = ["localhost", "portal.test", "127.0.0.1"]
    # Cheap hashes keep the suite fast; the production parameters are tested separately (AUTH-08).
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 8
    RATELIMIT_STORAGE_URI = "memory://"
    MAIL_BACKEND = "smtp"
    MAIL_PORT = 0
    DASHBOARD_CACHE_SECONDS = 0  # tests change data and look again at once
    WORKER_POLL_SECONDS = 0
    # Never the development folder; tests that upload set their own tmp_path.
    UPLOAD_DIR = Path(tempfile.gettempdir()) / "portal-test-uploads"
    CLAMD_ADDRESS = None
    ISSUER_KEY_FILE = Path(tempfile.gettempdir()) / "portal-test-issuer-key.json"


class ProductionConfig(Config):
    PORTAL_ENV = "production"
    SEND_HSTS = True
    DEMO_DATA_ALLOWED = False
    DEBUG = False
    TESTING = False
    ISSUER_KEY_GENERATE = False  # production's key is made and kept deliberately, never ad hoc

    def __init__(self) -> None:
        if get_debug_flag():
            # `flask run` would start Werkzeug's debugger, which runs any code it is sent.
            raise ConfigError("FLASK_DEBUG must be off in production.")
        self.SECRET_KEY = require_strong_secret(_env("SECRET_KEY"))
        self.DATABASE_URL = require_setting("DATABASE_URL", _env("DATABASE_URL"))
        single_process = _env("RATELIMIT_SINGLE_PROCESS", "false").lower() == "true"
        self.RATELIMIT_SINGLE_PROCESS = single_process
        self.RATELIMIT_STORAGE_URI = require_shared_limiter(
            _env("RATELIMIT_STORAGE_URI", "memory://"), single_process=single_process)
        self.TRUSTED_HOSTS = (_env("TRUSTED_HOSTS") or "").split(",") if _env("TRUSTED_HOSTS") \
            else _hosts_from(self.BASE_URL)
        if not [host for host in self.TRUSTED_HOSTS if host.strip()]:
            raise ConfigError("TRUSTED_HOSTS (or a BASE_URL with a host name) must be set in "
                              "production: reset links must not come from the Host header.")


def require_setting(name: str, value: str | None) -> str:
    if not value:
        raise ConfigError(f"{name} must be set in production.")
    return value


def require_shared_limiter(storage_uri: str, *, single_process: bool) -> str:
    """Refuse limiter storage that each process keeps alone: with two gunicorn workers every
    worker would allow the whole sign-in limit again (AUTH-05). A deployment that really runs
    one process says so with RATELIMIT_SINGLE_PROCESS=true, and the app logs it at start-up."""
    if storage_uri.startswith(SHARED_LIMITER_SCHEMES) or single_process:
        return storage_uri
    scheme = urlsplit(storage_uri).scheme
    raise ConfigError(
        f"RATELIMIT_STORAGE_URI is {f'{scheme}://' if scheme else repr(storage_uri)}, not a "
        "Redis store every instance shares: each process would count sign-in attempts alone, so "
        "the limits would multiply with the number of workers. Set it to the shared Redis "
        "(redis://host:6379/0), or, for a deployment of exactly one process, set "
        "RATELIMIT_SINGLE_PROCESS=true.")


def require_strong_secret(secret: str | None) -> str:
    """Refuse a missing, placeholder or guessable SECRET_KEY: it signs every session and token."""
    secret = require_setting("SECRET_KEY", secret)
    if secret.lower() in KNOWN_WEAK_SECRETS or secret.startswith("development-only"):
        raise ConfigError(f"SECRET_KEY is a placeholder value. {HOW_TO_MAKE_A_KEY}")
    bits = estimated_entropy_bits(secret)
    if bits < MIN_SECRET_BITS:
        raise ConfigError(f"SECRET_KEY is too easy to guess: about {bits:.0f} bits, and at least "
                          f"{MIN_SECRET_BITS} are needed, from a random source rather than "
                          f"words or patterns. {HOW_TO_MAKE_A_KEY}")
    return secret


_CHARACTER_CLASSES = (string.ascii_lowercase, string.ascii_uppercase, string.digits,
                      string.punctuation + " ")
_HEX_ALPHABETS = ("0123456789abcdef", "0123456789ABCDEF")


def estimated_entropy_bits(secret: str) -> float:
    """A cautious estimate of how many bits of randomness the key holds, from its length and the
    spread of its characters: never more than

    - its length times log2 of the alphabet it was drawn from (hex keys count 4 bits a
      character; otherwise the classes used: lower case, upper case, digits, symbols), where
      the alphabet is also estimated from how many different characters the key uses (a random
      string of that length would use about as many; a sentence uses far fewer),
    - leaving out characters that repeat or continue the step before them (aaaa, abcd, 2468),
    - and never more than the key's compressed size (a block said twice counts once).
    """
    if not secret:
        return 0.0
    alphabet = _class_alphabet(secret)
    alphabet = min(alphabet, _alphabet_from_spread(len(secret), len(set(secret)), alphabet))
    by_spread = _unpatterned_length(secret) * math.log2(max(alphabet, 2))
    compressed = zlib.compress(secret.encode(), 9)
    by_compression = 8 * max(len(compressed) - 6, 0)  # less the zlib header and checksum
    return min(by_spread, by_compression)


def _class_alphabet(secret: str) -> int:
    if any(set(secret) <= set(hex_digits) for hex_digits in _HEX_ALPHABETS):
        return 16
    size = sum(len(chars) for chars in _CHARACTER_CLASSES if any(ch in chars for ch in secret))
    unclassified = {ch for ch in secret if not any(ch in chars for chars in _CHARACTER_CLASSES)}
    return size + (256 if unclassified else 0)  # letters beyond ASCII: a generous guess


def _alphabet_from_spread(length: int, distinct: int, upper_bound: int) -> float:
    """The alphabet size A for which `length` random draws are expected to give `distinct`
    different characters: A * (1 - (1 - 1/A) ** length) = distinct, found by bisection."""
    if distinct >= length:
        return upper_bound
    low, high = float(distinct), float(upper_bound)
    for _ in range(60):
        middle = (low + high) / 2
        if middle * (1 - (1 - 1 / middle) ** length) < distinct:
            low = middle
        else:
            high = middle
    return low


def _unpatterned_length(secret: str) -> int:
    """Characters that do not repeat a small step between the two before them (aaa, abc, 246)."""
    steps = [ord(b) - ord(a) for a, b in zip(secret, secret[1:], strict=False)]
    patterned = sum(1 for before, step in zip(steps, steps[1:], strict=False)
                    if step == before and abs(step) <= 2)
    return len(secret) - patterned - (1 if len(secret) > 1 and steps[0] == 0 else 0)


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
