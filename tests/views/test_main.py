"""Public pages, the quick exit, security headers, health checks and error pages."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy import select

from portal.db import is_unavailable
from portal.models import User
from tests.conftest import csrf_token
from tests.factories import make_user

PUBLIC_PAGES = ["/", "/safety", "/accessibility", "/privacy", "/sign-in", "/forgot-password",
                "/forgot-password/sent"]
SIGNED_IN_PAGES = ["/dashboard", "/account", "/account/password", "/welcome"]


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_pages_render_with_the_exit_button(client, path: str) -> None:
    """PRIV-09: the Exit this page button and its skip link are on every page."""
    response = client.get(path)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'data-module="govuk-exit-this-page"' in html
    assert 'href="/exit"' in html and "govuk-js-exit-this-page-skiplink" in html
    assert '<html lang="en-GB"' in html


def test_signed_in_pages_render(signed_in, session) -> None:
    client = signed_in(make_user(session))
    for path in SIGNED_IN_PAGES:
        assert client.get(path).status_code == 200, path


@pytest.mark.parametrize("path", SIGNED_IN_PAGES)
def test_signed_in_pages_send_anonymous_people_to_sign_in(client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in?next=")


def test_page_titles_are_neutral(client) -> None:
    """PRIV-10: titles name the page and the scheme, never the subject."""
    for path in PUBLIC_PAGES:
        title = client.get(path).get_data(as_text=True).split("<title>")[1].split("</title>")[0]
        assert title.endswith(" – Workplace Champions")
        assert not any(word in title.lower() for word in ("abuse", "violence", "refuge"))


def test_exit_clears_everything_and_goes_to_the_fixed_destination(app: Flask, signed_in,
                                                                   session) -> None:
    """PRIV-09, REDIR-02: the destination is configuration, never the request."""
    user = make_user(session)
    client = signed_in(user)
    cookie_name = app.config["SESSION_COOKIE_NAME"]
    stolen = client.get_cookie(cookie_name).value
    response = client.get("/exit?url=https://evil.example&next=https://evil.example")
    assert response.status_code == 303
    assert response.headers["Location"] == "https://www.bbc.co.uk/weather"
    assert response.headers["Clear-Site-Data"] == '"cache", "cookies", "storage"'
    assert "no-store" in response.headers["Cache-Control"]
    assert client.get("/dashboard").status_code == 302
    replay = app.test_client()
    replay.set_cookie(cookie_name, stolen)
    assert replay.get("/dashboard").status_code == 302


def test_exit_works_for_anonymous_visitors(client) -> None:
    response = client.get("/exit")
    assert response.status_code == 303
    assert response.headers["Location"] == "https://www.bbc.co.uk/weather"


def test_exit_destination_is_configurable(app_factory) -> None:
    app = app_factory(EXIT_URL="https://www.example.com/news")
    assert app.test_client().get("/exit").headers["Location"] == "https://www.example.com/news"


@pytest.mark.parametrize("path", ["/", "/sign-in", "/no-such-page", "/healthz"])
def test_security_headers_on_every_response(client, path: str) -> None:
    """CONF-01, SESS-08."""
    headers = client.get(path).headers
    csp = headers["Content-Security-Policy"]
    for directive in ("default-src 'self'", "script-src 'self'", "object-src 'none'",
                      "base-uri 'none'", "frame-ancestors 'none'"):
        assert directive in csp
    assert "unsafe-inline" not in csp and "http" not in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert "no-store" in headers["Cache-Control"]
    assert "Cookie" in headers["Vary"]
    assert "Access-Control-Allow-Origin" not in headers


def test_the_one_inline_script_runs_by_a_nonce_of_its_own_response(client) -> None:
    """Issue 18: GOV.UK Frontend is marked supported before first paint (no layout shift) by an
    inline script the CSP allows by a fresh nonce, never by 'unsafe-inline'."""
    nonces = []
    for _ in range(2):
        response = client.get("/")
        scripts = re.findall(r'<script nonce="([^"]+)">([^<]*)</script>', response.text)
        assert len(scripts) == 1 and "govuk-frontend-supported" in scripts[0][1]
        nonce = scripts[0][0]
        csp = response.headers["Content-Security-Policy"]
        assert f"script-src 'self' 'nonce-{nonce}';" in csp and "unsafe-inline" not in csp
        assert len(nonce) >= 22
        nonces.append(nonce)
    assert nonces[0] != nonces[1]
    # A response without the page template names no nonce.
    assert "nonce-" not in client.get("/healthz").headers["Content-Security-Policy"]


def test_hsts_is_sent_in_production(app_factory) -> None:
    app = app_factory(SEND_HSTS=True)
    assert app.test_client().get("/").headers["Strict-Transport-Security"] \
        == "max-age=31536000; includeSubDomains"


def test_pages_use_no_inline_script_or_third_party_resources(client) -> None:
    """PRIV-08: nothing is loaded from anywhere else."""
    html = client.get("/").get_data(as_text=True)
    assert "<script>" not in html and "<style" not in html and " style=" not in html
    for attribute in ('src="http', 'href="http'):
        assert attribute not in html.replace('href="https://www.bbc.co.uk/weather"', "")


def test_health_checks(client) -> None:
    """REL-11: minimal answers, nothing about versions or hosts."""
    assert client.get("/healthz").get_json() == {"status": "ok"}
    assert client.get("/readyz").get_json() == {"status": "ok"}


def test_readyz_is_503_when_the_database_is_unreachable(app_factory, tmp_path) -> None:
    """REL-08: and pages show the friendly 503 page, with no traceback."""
    app = app_factory(DATABASE_URL=f"sqlite:///{tmp_path}/missing-dir/none.db")
    client = app.test_client()
    assert client.get("/readyz").status_code == 503
    client.set_cookie(app.config["SESSION_COOKIE_NAME"], "x")
    page = client.get("/")
    assert page.status_code == 200  # the home page needs no database


def test_pages_show_the_friendly_503_page_when_the_database_is_down(app_factory, tmp_path,
                                                                   session) -> None:
    app = app_factory(DATABASE_URL=f"sqlite:///{tmp_path}/missing-dir/none.db")
    client = app.test_client()
    response = client.get("/sign-in")
    token = response.get_data(as_text=True).split('name="csrf_token" type="hidden" value="')
    token = token[1].split('"')[0]
    response = client.post("/sign-in", data={"email": "a@example.org", "password": "x" * 12,
                                             "csrf_token": token})
    html = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "Sorry, the service is unavailable" in html and "Traceback" not in html


class DatabaseSwitch:
    """Makes every new connection of an app's engine fail as if the server were unreachable."""

    def __init__(self, app: Flask) -> None:
        self.engine = app.extensions["portal.engine"]
        self.error = self.engine.dialect.loaded_dbapi.OperationalError

    def _refuse(self, *_args: object, **_kwargs: object) -> None:
        raise self.error("connection refused: the database is down")

    def stop(self) -> None:
        sa.event.listen(self.engine, "do_connect", self._refuse)
        self.engine.dispose()  # pooled connections go too, as when the server restarts

    def start(self) -> None:
        sa.event.remove(self.engine, "do_connect", self._refuse)


def test_signed_in_pages_show_the_friendly_503_page_when_the_database_goes_down(
        app, signed_in, session) -> None:
    """REL-08: loading the signed-in person fails, and the error page must not load it again
    (which turned the 503 into a 500). A form posted meanwhile changes nothing, and the same
    session works again once the database is back."""
    user = make_user(session)
    client = signed_in(user)
    token = csrf_token(client, "/account")
    switch = DatabaseSwitch(app)
    switch.stop()
    for response in (client.get("/account"), client.get("/readyz"),
                     client.post("/sign-out", data={"csrf_token": token})):
        html = response.get_data(as_text=True)
        assert response.status_code == 503
        if response.mimetype == "text/html":
            assert "Sorry, the service is unavailable" in html and "Traceback" not in html
            assert 'href="/sign-in"' in html  # shown as to a signed-out visitor: no lookups
    bad_token = client.post("/sign-out", data={"csrf_token": "forged"})
    assert bad_token.status_code == 400 and 'href="/sign-in"' in bad_token.get_data(as_text=True)
    switch.start()
    assert client.get("/account").status_code == 200  # still signed in: nothing was lost
    session.expire_all()
    assert session.get(User, user.id).session_version == user.session_version


def test_database_errors_that_are_bugs_stay_500s_and_outages_are_503s() -> None:
    """Only connection trouble and an exhausted pool mean "try later"."""
    operational = sa.exc.OperationalError("SELECT 1", {}, Exception("server closed"))
    integrity = sa.exc.IntegrityError("INSERT", {}, Exception("duplicate key"))
    assert is_unavailable(operational) and is_unavailable(sa.exc.TimeoutError())
    assert not is_unavailable(integrity) and not is_unavailable(ValueError())


def test_readyz_is_503_when_the_schema_is_behind(app_factory, tmp_path) -> None:
    app = app_factory(DATABASE_URL=f"sqlite:///{tmp_path}/empty.db")
    assert app.test_client().get("/readyz").status_code == 503


@pytest.mark.parametrize(("method", "path", "status", "text"), [
    ("GET", "/no-such-page", 404, "Page not found"),
    ("GET", "/.git/config", 404, "Page not found"),
    ("GET", "/static/../config.py", 404, "Page not found"),
    ("DELETE", "/", 405, "There is a problem with your request"),
    ("TRACE", "/", 405, "There is a problem with your request"),
])
def test_error_pages_are_friendly(client, method, path, status, text) -> None:
    """CONF-04, CONF-07, CONF-08."""
    response = client.open(path, method=method)
    assert response.status_code == status
    assert text in response.get_data(as_text=True)


def test_oversized_requests_get_the_413_page(client) -> None:
    response = client.post("/sign-in", data={"email": "x" * (7 * 1024 * 1024)})
    assert response.status_code == 413
    assert "too large" in response.get_data(as_text=True)


def test_unexpected_errors_show_a_reference_and_no_traceback(app: Flask) -> None:
    """CONF-03."""
    @app.route("/boom")
    def boom() -> str:
        raise RuntimeError("secret internals")
    boom.access_rule = "public"
    response = app.test_client().get("/boom")
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in html
    assert "quote reference" in html
    assert "secret internals" not in html and "Traceback" not in html


def test_werkzeug_debugger_is_unreachable(client) -> None:
    assert client.get("/console").status_code == 404
    response = client.get("/?__debugger__=yes&cmd=resource&f=debugger.js")
    assert "debugger" not in response.get_data(as_text=True).lower()


def test_get_requests_never_change_data(client, session) -> None:
    """CSRF-01: a page view changes nothing (the quick exit is the documented exception)."""
    make_user(session)
    session.commit()
    before = session.scalars(select(User)).all()
    for path in PUBLIC_PAGES:
        client.get(path)
    session.expire_all()
    assert [u.session_version for u in session.scalars(select(User))] == \
        [u.session_version for u in before]
