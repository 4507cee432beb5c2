"""Production configuration, error pages, hosts, methods, leaky paths and dependency versions
(CONF-02, CONF-03, CONF-04, CONF-05, CONF-07, CONF-08, CONF-10). The headers on every page
are in tests/test_security_pages.py (CONF-01); proxies in tests/test_security_auth.py (CONF-06).
"""

from __future__ import annotations

import json
import logging
import re
import subprocess
import sys
import tomllib
from importlib.metadata import version
from pathlib import Path

import pytest
from flask import Flask
from packaging.version import Version
from werkzeug.debug import DebuggedApplication

from config import ConfigError, ProductionConfig
from portal import create_app
from portal.models import OrgRole
from tests.conftest import csrf_token, sign_in
from tests.factories import make_member_organisation, make_user

STRONG_SECRET = "k7Q2mX9vR4tL8pW1zN6bY3cF5hJ0dS2aG8eU4iO7qT1rV5xC9nM3"
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def production_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.setenv("SECRET_KEY", STRONG_SECRET)
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    monkeypatch.delenv("TRUSTED_HOSTS", raising=False)
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/0")
    monkeypatch.delenv("RATELIMIT_SINGLE_PROCESS", raising=False)
    return monkeypatch


# --- CONF-02 ----------------------------------------------------------------------------------

@pytest.mark.parametrize("flag", ["1", "true", "yes"])
def test_production_refuses_to_start_in_debug_mode(production_env, flag: str) -> None:
    """CONF-02, CONF-03: FLASK_DEBUG would give `flask run` Werkzeug's debugger."""
    production_env.setenv("FLASK_DEBUG", flag)
    with pytest.raises(ConfigError, match="FLASK_DEBUG"):
        ProductionConfig()


def test_production_refuses_to_start_without_trusted_hosts(production_env) -> None:
    """CONF-02, CONF-05: no host names to trust means the Host header would be believed."""
    production_env.setattr(ProductionConfig, "BASE_URL", "https://")
    production_env.setenv("TRUSTED_HOSTS", " ")
    with pytest.raises(ConfigError, match="TRUSTED_HOSTS"):
        ProductionConfig()


def test_production_settings_are_the_safe_ones(production_env) -> None:
    """CONF-02: debug and testing off, strict cookies, CSRF on, no remember-me, HSTS, hosts
    checked; none of these can be switched by the environment."""
    production_env.setenv("TESTING", "1")
    production_env.setenv("SESSION_COOKIE_SECURE", "false")
    app = create_app(ProductionConfig())
    config = app.config
    assert app.debug is False and app.testing is False
    assert config["SESSION_COOKIE_SECURE"] is True and config["SESSION_COOKIE_HTTPONLY"] is True
    assert config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert config["SESSION_COOKIE_NAME"].startswith("__Host-")
    assert config["WTF_CSRF_ENABLED"] is True and config["REMEMBER_COOKIE_DURATION"].seconds == 0
    assert config["SEND_HSTS"] is True and config["TRUSTED_HOSTS"]
    assert config["DEMO_DATA_ALLOWED"] is False
    assert not isinstance(app.wsgi_app, DebuggedApplication)


@pytest.mark.parametrize("storage", [None, "memory://", "memcached://127.0.0.1:11211"])
def test_production_refuses_rate_limits_counted_per_process(production_env,
                                                            storage: str | None) -> None:
    """AUTH-03, CONF-02: memory:// (the default) counts in each gunicorn worker alone, so two
    workers allowed 20 wrong passwords before the first 429; production will not start so."""
    if storage is None:
        production_env.delenv("RATELIMIT_STORAGE_URI")
    else:
        production_env.setenv("RATELIMIT_STORAGE_URI", storage)
    with pytest.raises(ConfigError, match="RATELIMIT_STORAGE_URI") as refused:
        ProductionConfig()
    message = str(refused.value)
    assert "redis://" in message and "RATELIMIT_SINGLE_PROCESS=true" in message


def test_production_shares_rate_limits_through_redis(production_env) -> None:
    """AUTH-03: a Redis URL is accepted as it is, with no opt-out needed."""
    config = ProductionConfig()
    assert config.RATELIMIT_STORAGE_URI == "redis://127.0.0.1:6379/0"
    assert config.RATELIMIT_SINGLE_PROCESS is False


def test_a_single_process_deployment_may_opt_out_and_is_told_so(
        production_env, caplog: pytest.LogCaptureFixture) -> None:
    """AUTH-03: the explicit opt-out for one process starts, and every start-up logs it."""
    production_env.setenv("RATELIMIT_STORAGE_URI", "memory://")
    production_env.setenv("RATELIMIT_SINGLE_PROCESS", "true")
    with caplog.at_level(logging.WARNING):
        app = create_app(ProductionConfig())
    assert app.config["RATELIMIT_STORAGE_URI"] == "memory://"
    assert any("RATELIMIT_SINGLE_PROCESS is set" in record.getMessage()
               and record.levelno == logging.WARNING for record in caplog.records)


# --- CONF-03, CONF-04 -------------------------------------------------------------------------

def test_a_crash_shows_a_reference_that_is_in_the_log(app: Flask,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    """CONF-03, CONF-04: a generic 500 page with a reference; the log has the traceback under
    the same request id; the page has no traceback, path, SQL or debugger."""
    @app.route("/_boom")
    def boom() -> str:
        raise RuntimeError("SELECT secret FROM internals at /srv/portal/app.py")
    boom.access_rule = "public"

    response = app.test_client().get("/_boom")
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    reference = re.search(r"quote reference ([0-9a-f]{16})", html).group(1)
    for leak in ("Traceback", "RuntimeError", "SELECT", "/srv/", "__debugger__", "app.py"):
        assert leak not in html
    [record] = [r for r in caplog.records if r.getMessage() == "request.failed"]
    assert record.exc_info is not None and record.path == "/_boom"
    assert reference in html and record.levelno == logging.ERROR


def friendly(response, status: int) -> bool:  # noqa: ANN001 - a test response
    html = response.get_data(as_text=True)
    return (response.status_code == status and "Workplace Champions" in html
            and 'data-module="govuk-exit-this-page"' in html and "Traceback" not in html)


def test_every_error_status_has_its_own_friendly_page(app_factory, session, signed_in,
                                                      tmp_path) -> None:
    """CONF-04: 400, 403, 404, 405, 413, 429, 500 and 503 are the service's own pages (with the
    exit button), with the right status and no traceback."""
    app = app_factory(RESET_LIMIT_PER_ADDRESS="1 per hour")

    @app.route("/_crash")
    def crash() -> str:
        raise ZeroDivisionError
    crash.access_rule = "public"

    client = app.test_client()
    assert friendly(client.post("/sign-in", data={}), 400)
    assert friendly(client.get("/no-such-page"), 404)
    assert friendly(client.delete("/sign-in"), 405)
    assert friendly(client.post("/sign-in", data={"x": "y" * (7 * 1024 * 1024)}), 413)
    token = csrf_token(client, "/forgot-password")
    client.post("/forgot-password", data={"email": "a@example.org", "csrf_token": token})
    assert friendly(client.post("/forgot-password", data={"email": "a@example.org",
                                                          "csrf_token": token}), 429)
    assert friendly(client.get("/_crash"), 500)

    organisation = make_member_organisation(session)
    champion = make_user(session, organisation=organisation, role=OrgRole.CHAMPION)
    session.commit()
    other = app.test_client()
    sign_in(other, champion.email)
    assert friendly(other.get(f"/organisations/{organisation.id}/edit"), 403)
    down = app_factory(DATABASE_URL=f"sqlite:///{tmp_path}/missing/none.db").test_client()
    response = down.post("/sign-in", data={"email": "a@example.org", "password": "x" * 12,
                                           "csrf_token": csrf_token(down, "/sign-in")})
    assert friendly(response, 503)


# --- CONF-05, CONF-07, CONF-08 ----------------------------------------------------------------

@pytest.mark.parametrize("host", ["evil.example", "portal.test.evil.example", "evil.example:443",
                                  "localhost.evil.example", "127.0.0.1.nip.io"])
def test_an_unknown_host_gets_400_on_every_kind_of_request(client, host: str) -> None:
    """CONF-05: pages, forms, error paths and health checks alike."""
    for method, path in [("GET", "/"), ("GET", "/sign-in"), ("POST", "/forgot-password"),
                         ("GET", "/no-such-page"), ("GET", "/readyz"), ("GET", "/exit")]:
        response = client.open(path, method=method, headers={"Host": host})
        assert response.status_code == 400, (method, path)
        assert host not in response.get_data(as_text=True)


def test_trace_is_refused_and_options_says_nothing(signed_in, session) -> None:
    """CONF-07: TRACE is 405 everywhere; OPTIONS lists the methods and nothing else."""
    client = signed_in(make_user(session))
    for path in ("/", "/sign-in", "/dashboard", "/account/password", "/support"):
        assert client.open(path, method="TRACE").status_code == 405, path
        options = client.options(path)
        assert options.status_code == 200 and options.get_data() == b"", path
        assert set(options.headers["Allow"].split(", ")) <= {"GET", "HEAD", "OPTIONS", "POST"}
        assert "Access-Control-Allow-Origin" not in options.headers
        assert "Set-Cookie" not in options.headers or "session" in options.headers["Set-Cookie"]


LEAKY_PATHS = ["/.git/config", "/.git/HEAD", "/.env", "/.env.production", "/config.py",
               "/pyproject.toml", "/instance/portal.db", "/portal/__init__.py",
               "/migrations/env.py", "/static/../config.py", "/static/..%2Fconfig.py",
               "/static/%2e%2e/config.py", "/static/", "/static", "/static/css/",
               "/server-status", "/.DS_Store", "/backup.sql", "/console", "/admin"]


@pytest.mark.parametrize("path", LEAKY_PATHS)
def test_nothing_outside_the_pages_and_assets_is_served(client, path: str) -> None:
    """CONF-08: no source, configuration, repository, database or directory listing."""
    response = client.get(path)
    assert response.status_code == 404, path
    body = response.get_data(as_text=True)
    assert "Page not found" in body and "SECRET_KEY" not in body and "[core]" not in body
    assert "Server" not in response.headers  # the banner is the WSGI server's (gunicorn)


# --- CONF-10 ----------------------------------------------------------------------------------

# Security fixes the spec names (SECURITY.md B.2, "Framework versions"), and what they fixed.
MINIMUM_VERSIONS = {
    "flask": ("3.1.3", "Vary: Cookie for key-only session access (CVE-2026-27205)"),
    "werkzeug": ("3.0.3", "debugger PIN bypass (CVE-2024-34069)"),
    "flask-login": ("0.6.3", "the version the session protection rules were written for"),
}


@pytest.mark.parametrize("package", sorted(MINIMUM_VERSIONS))
def test_dependencies_are_at_least_the_fixed_versions(package: str) -> None:
    """CONF-10: pyproject.toml requires the versions with the known fixes, and those (or newer)
    are what is installed (the locks in requirements/ pin them: tests/test_supply_chain.py)."""
    minimum, _why = MINIMUM_VERSIONS[package]
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    [requirement] = [r for r in project["project"]["dependencies"]
                     if re.split(r"[<>=\[ ]", r)[0].lower() == package]
    stated = re.search(r">=\s*([0-9.]+)", requirement).group(1)
    assert Version(stated) >= Version(minimum), requirement
    assert Version(version(package)) >= Version(minimum)


# --- CONF-09 ----------------------------------------------------------------------------------

def test_the_static_security_checks_find_nothing_unreviewed() -> None:
    """CONF-09: bandit (medium and high severity) and ruff's security rules (S) find nothing in
    portal/ that is not reviewed inline with its reason, as `make lint` requires."""
    bandit = subprocess.run(
        [sys.executable, "-m", "bandit", "-q", "-r", "portal", "--severity-level", "medium",
         "-f", "json"], cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    findings = json.loads(bandit.stdout)["results"]
    assert findings == [], [f"{f['filename']}:{f['line_number']} {f['test_id']}"
                            for f in findings]
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "S" in project["tool"]["ruff"]["lint"]["select"]
    ruff = subprocess.run([sys.executable, "-m", "ruff", "check", "--select", "S", "portal"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert ruff.returncode == 0, ruff.stdout
