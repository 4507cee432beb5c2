"""The factory wiring and the configuration rules."""

from __future__ import annotations

import secrets

import pytest

from config import (
    ConfigError,
    DevelopmentConfig,
    ProductionConfig,
    TestConfig,
    estimated_entropy_bits,
    get_config,
)
from portal import create_app

STRONG_SECRET = "k7Q2mX9vR4tL8pW1zN6bY3cF5hJ0dS2aG8eU4iO7qT1rV5xC9nM3"


@pytest.fixture(autouse=True)
def one_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """A test client is one process: these tests are about other settings (the limiter's own
    are in tests/test_security_config.py)."""
    monkeypatch.setenv("RATELIMIT_SINGLE_PROCESS", "true")


def test_config_is_chosen_by_portal_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTAL_ENV", "test")
    assert isinstance(get_config(), TestConfig)
    monkeypatch.delenv("PORTAL_ENV")
    assert isinstance(get_config(), DevelopmentConfig)
    with pytest.raises(ConfigError, match="PORTAL_ENV"):
        get_config("staging")


@pytest.mark.parametrize("secret", [
    None, "", "short-secret", "changeme", "a" * 64,
    "development-only-key-not-for-production-use-000",
    "0123456789abcdef0123456789abcdef",  # 32 characters, but hex counting up: 128 bits at most
    "0123456789abcdef" * 4,  # one block said four times
    "Correct horse battery staple, is mine!!",  # a sentence of 39 characters
    "The quick brown fox jumps over 13 dogs.",  # another, with capitals, digits and a full stop
    "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ",  # the alphabet in order
    secrets.token_urlsafe(16),  # random, but only 128 bits
])
def test_production_refuses_a_missing_or_weak_secret_key(monkeypatch: pytest.MonkeyPatch,
                                                         secret: str | None) -> None:
    """CONF-02, SESS-10: production will not start with a key anyone could guess."""
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://portal@db/portal")
    if secret is None:
        monkeypatch.delenv("SECRET_KEY", raising=False)
    else:
        monkeypatch.setenv("SECRET_KEY", secret)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app(get_config("production"))


def test_a_weak_secret_key_is_refused_with_how_to_make_a_good_one(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """CONF-02: the message gives the estimate, the bar and a command that makes a good key."""
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    monkeypatch.setenv("SECRET_KEY", "0123456789abcdef0123456789abcdef")
    with pytest.raises(ConfigError) as refused:
        ProductionConfig()
    message = str(refused.value)
    assert "too easy to guess" in message and "256" in message
    assert "secrets.token_urlsafe(48)" in message


def test_keys_made_as_the_message_says_always_pass() -> None:
    """CONF-02: the estimate is cautious, but never refuses a key made the recommended way
    (64 url-safe characters), nor 48 random bytes in hex."""
    for _ in range(500):
        assert estimated_entropy_bits(secrets.token_urlsafe(48)) >= 256
        assert estimated_entropy_bits(secrets.token_hex(48)) >= 256
    assert estimated_entropy_bits(STRONG_SECRET) >= 256


def test_production_refuses_to_start_without_a_database_url(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRET_KEY", STRONG_SECRET)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    with pytest.raises(ConfigError, match="DATABASE_URL"):
        ProductionConfig()


def test_production_starts_with_strong_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRET_KEY", STRONG_SECRET)
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    app = create_app(ProductionConfig())
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_NAME"].startswith("__Host-")
    assert app.config["SEND_HSTS"] is True
    assert app.config["DEBUG"] is False
    assert app.config["TRUSTED_HOSTS"] == ["127.0.0.1"]


def test_blueprints_and_extensions_are_registered(app) -> None:
    assert {"main", "auth", "health"} <= set(app.blueprints)
    assert {"portal.engine", "portal.sessionmaker", "portal.passwords", "csrf", "limiter"} \
        <= set(app.extensions)


def test_request_logs_never_contain_query_strings(app, caplog: pytest.LogCaptureFixture) -> None:
    """What someone searched for (e.g. in the support directory) is never written to a log."""
    import logging

    logging.getLogger("werkzeug").info('%s - - "%s" %s', "127.0.0.1",
                                       "GET /support?q=forced+marriage HTTP/1.1", "200")
    assert "forced" not in caplog.text and "GET /support HTTP/1.1" in caplog.text


def test_every_rate_limit_applies_to_posts_only(app) -> None:
    """Requests other than POST skip the limiter (portal.extensions), so no limit may need them,
    except on the CSV downloads that are limited by name."""
    from flask_limiter.util import get_qualified_name

    from portal.extensions import LIMITED_DOWNLOADS, LIMITED_METHODS, limiter

    limited = 0
    with app.test_request_context("/"):
        for rule in app.url_map.iter_rules():
            view = app.view_functions[rule.endpoint]
            for limit in limiter.limit_manager.decorated_limits(get_qualified_name(view)):
                limited += 1
                methods = {m.upper() for m in limit.methods or rule.methods - {"HEAD", "OPTIONS"}}
                downloads = {"GET"} if rule.endpoint in LIMITED_DOWNLOADS else set()
                allowed = LIMITED_METHODS | downloads
                assert methods <= allowed, (rule.endpoint, methods)
    assert limited >= 7  # sign-in (2), password change, reset (2), joining, resending

