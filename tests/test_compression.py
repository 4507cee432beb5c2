"""Compressed responses (portal/compression.py, docs/compression.md): pages and static files
are compressed when the browser accepts it, pages only for requests the portal's own pages (or
the person) made, never pages showing a secret of their own, and downloads keep their bytes:
CSV exports still stream, compressed files are not compressed again."""

from __future__ import annotations

import gzip
from pathlib import Path

import brotli
import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_compress import flask_compress

from portal.compression import OWN_REQUESTS
from portal.models import OrgRole
from tests.conftest import PER_REQUEST, csrf_token, sign_in
from tests.factories import make_organisation, make_user
from tests.two_factor import SET_UP_PATH, next_code

BROWSER = {"Accept-Encoding": "gzip, deflate, br, zstd"}
OWN_PAGE = {**BROWSER, "Sec-Fetch-Site": "same-origin"}
GZIP_ONLY = {"Accept-Encoding": "gzip", "Sec-Fetch-Site": "same-origin"}
DECODERS = {"gzip": gzip.decompress, "br": brotli.decompress}


def fetch(client: FlaskClient, path: str, headers: dict[str, str]) -> tuple[dict, bytes]:
    """The response's headers and its body as sent (the test client never decodes it)."""
    with client.get(path, headers=headers) as response:
        return {"status": response.status_code, **response.headers}, response.get_data()


def decoded(headers: dict, body: bytes) -> bytes:
    return DECODERS[headers["Content-Encoding"]](body)


def same_page(first: bytes, second: bytes) -> bool:
    return PER_REQUEST.sub("", first.decode()) == PER_REQUEST.sub("", second.decode())


def vary(headers: dict) -> list[str]:
    return [name.strip().lower() for name in headers.get("Vary", "").split(",")]


# --- Pages -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("accept", "encoding"), [
    ("gzip", "gzip"), ("br", "br"), ("gzip, deflate, br, zstd", "br"), ("br;q=0.5, gzip", "gzip")])
def test_a_page_is_compressed_and_decompresses_to_the_same_html(client, accept: str,
                                                                 encoding: str) -> None:
    plain_headers, plain = fetch(client, "/privacy", {})
    assert "Content-Encoding" not in plain_headers  # the test client asks for none
    headers, body = fetch(client, "/privacy", {"Accept-Encoding": accept,
                                               "Sec-Fetch-Site": "same-origin"})
    assert headers["status"] == 200 and headers["Content-Encoding"] == encoding
    assert int(headers["Content-Length"]) == len(body) < len(plain) / 2
    assert same_page(decoded(headers, body), plain)
    assert {"accept-encoding", "sec-fetch-site", "cookie"} <= set(vary(headers))
    assert vary(plain_headers) == vary(headers)  # the same Vary, compressed or not
    assert headers["Cache-Control"] == "no-store, private"


@pytest.mark.parametrize("site", [None, "cross-site", "same-site", "unknown"])
def test_a_request_another_site_could_have_made_gets_the_page_uncompressed(client,
                                                                           site: str) -> None:
    """BREACH needs many requests the attacker's page makes: those arrive cross-site (or, from
    an old browser, without saying), and are answered uncompressed (docs/compression.md)."""
    assert site not in OWN_REQUESTS
    headers, body = fetch(client, "/privacy",
                          {**BROWSER, **({"Sec-Fetch-Site": site} if site else {})})
    assert headers["status"] == 200 and "Content-Encoding" not in headers
    assert body.startswith(b"<!DOCTYPE html>")
    assert {"accept-encoding", "sec-fetch-site"} <= set(vary(headers))


def test_a_page_the_person_asked_for_directly_is_compressed(client) -> None:
    headers, _ = fetch(client, "/privacy", {**BROWSER, "Sec-Fetch-Site": "none"})
    assert headers["Content-Encoding"] == "br"


def test_signed_in_pages_with_csrf_tokens_follow_the_same_rule(app: Flask, session,
                                                              signed_in) -> None:
    """Every signed-in page carries a CSRF token (the time-out dialog's forms). Flask-WTF's
    token is the same for every response within a second, so it is not what protects it: the
    request's origin is."""
    organisation = make_organisation(session)
    client = signed_in(make_user(session, organisation=organisation, role=OrgRole.CHAMPION))
    plain_headers, plain = fetch(client, "/account", {})
    assert plain_headers["status"] == 200 and b'name="csrf_token"' in plain
    headers, body = fetch(client, "/account", OWN_PAGE)
    assert headers["Content-Encoding"] == "br"
    assert same_page(decoded(headers, body), plain)
    headers, body = fetch(client, "/account", {**BROWSER, "Sec-Fetch-Site": "cross-site"})
    assert "Content-Encoding" not in headers and b'name="csrf_token"' in body


def test_pages_showing_a_two_factor_key_or_recovery_codes_are_never_compressed(
        app: Flask, client, session) -> None:
    newcomer = make_user(session, is_coordinator=True, totp_secret=None, totp_confirmed_at=None)
    session.commit()
    assert sign_in(client, newcomer.email, second_factor=False).headers["Location"] == SET_UP_PATH
    headers, body = fetch(client, SET_UP_PATH, OWN_PAGE)
    assert headers["status"] == 200 and "Content-Encoding" not in headers
    assert b"app-qr-code" in body and len(body) > 1400  # large enough to be compressed
    with client.post(SET_UP_PATH, headers=OWN_PAGE, data={
            "code": next_code(app, user_id=newcomer.id),
            "csrf_token": csrf_token(client, SET_UP_PATH)}) as response:
        assert response.status_code == 200
        assert "only time we show these codes" in response.get_data(as_text=True)
        assert "Content-Encoding" not in response.headers


def test_small_and_unsuccessful_responses_are_not_compressed(client) -> None:
    headers, body = fetch(client, "/healthz", OWN_PAGE)
    assert headers["status"] == 200 and "Content-Encoding" not in headers and len(body) < 1400
    headers, _ = fetch(client, "/no-such-page", OWN_PAGE)
    assert headers["status"] == 404 and "Content-Encoding" not in headers


# --- Static files ----------------------------------------------------------------------------

def test_static_css_is_compressed_with_a_validator_of_its_own(app: Flask, client) -> None:
    css = Path(app.static_folder or "", "css", "main.css").read_bytes()
    for accept, encoding in (("gzip", "gzip"), ("gzip, br", "br")):
        # Static files carry no secret: compressed whoever asks.
        headers, body = fetch(client, "/static/css/main.css", {"Accept-Encoding": accept})
        assert headers["Content-Encoding"] == encoding
        assert decoded(headers, body) == css and len(body) < len(css) / 3
        assert "accept-encoding" in vary(headers)
        assert headers["ETag"].endswith(f':{encoding}"')  # never the uncompressed file's
        again, rest = fetch(client, "/static/css/main.css", {"Accept-Encoding": accept,
                                                             "If-None-Match": headers["ETag"]})
        assert again["status"] == 304 and rest == b""
    headers, body = fetch(client, "/static/css/main.css", {})
    assert "Content-Encoding" not in headers and body == css


def test_each_static_file_is_compressed_once(client, monkeypatch) -> None:
    """Browsers revalidate the CSS and JavaScript on every page view: the compressed bodies are
    kept, so neither a second download nor a 304 compresses them again."""
    calls: list[str] = []
    real = flask_compress._compress_data
    monkeypatch.setattr(flask_compress, "_compress_data",
                        lambda app, data, algorithm: calls.append(algorithm) or
                        real(app, data, algorithm))
    path = "/static/js/govuk-frontend.min.js"  # not fetched compressed by any other test here
    first, body = fetch(client, path, GZIP_ONLY)
    second, again = fetch(client, path, GZIP_ONLY)
    assert first["Content-Encoding"] == second["Content-Encoding"] == "gzip" and body == again
    assert fetch(client, path, {**GZIP_ONLY, "If-None-Match": first["ETag"]})[0]["status"] == 304
    fetch(client, path, {"Accept-Encoding": "br"})
    assert sorted(calls) == ["br", "gzip"]


def test_compressed_files_and_ranges_are_sent_as_they_are(client) -> None:
    headers, body = fetch(client, "/static/govuk/assets/images/govuk-icon-180.png", OWN_PAGE)
    assert headers["status"] == 200 and "Content-Encoding" not in headers
    assert body.startswith(b"\x89PNG")
    headers, body = fetch(client, "/static/css/main.css", {**OWN_PAGE, "Range": "bytes=0-99"})
    assert headers["status"] == 206 and "Content-Encoding" not in headers and len(body) == 100


def test_already_compressed_download_types_are_never_compressed(app: Flask) -> None:
    kinds = set(app.config["COMPRESS_MIMETYPES"])
    assert not kinds & {"application/pdf", "application/zip", "image/png", "image/jpeg",
                        "text/csv", "application/vnd.openxmlformats-officedocument"
                        ".wordprocessingml.document"}
    assert app.config["COMPRESS_REGISTER"] is False  # portal/compression.py decides


# --- Streamed exports ------------------------------------------------------------------------

def test_csv_exports_still_stream_uncompressed(session, signed_in) -> None:
    coordinator = signed_in(make_user(session, is_coordinator=True))
    with coordinator.get("/coordinator/exports/organisations.csv", headers=OWN_PAGE) as response:
        assert response.status_code == 200 and response.mimetype == "text/csv"
        assert response.is_streamed and "Content-Length" not in response.headers
        assert "Content-Encoding" not in response.headers
        assert response.get_data(as_text=True).startswith("\ufeff")
