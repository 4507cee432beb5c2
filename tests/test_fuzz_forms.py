"""Hypothesis over every form of the app: any input gives a status below 500 and leaves the
database consistent (FUZZ-01).

Each route that accepts a POST is driven by the person who may use it, with a valid CSRF token
(so the input reaches the view), and with the fields of the form the app itself renders for that
route, filled with: the form's own options, random text, NUL bytes, lone surrogates and invalid
UTF-8, 100 kB and 1 MB strings, repeated keys, extra fields (mass assignment) or nothing at all.
Rate limits are off here (they have their own tests), so every example reaches the view.
About a minute on SQLite and two or three on PostgreSQL, so it is marked slow (make test runs it).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote_from_bytes, urlsplit

import html5lib
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from config import TestConfig
from portal import create_app
from tests.conftest import BACKENDS, csrf_token, make_app, sign_in
from tests.factories import make_user
from tests.security_world import (
    SecurityWorld,
    build_security_world,
    clients_for,
    get_paths,
    module_database,
    owner_of,
    path_for,
    post_rules,
)

EXAMPLES_PER_FORM = 30
LIMITS = ("SIGN_IN_LIMIT_PER_ACCOUNT", "SIGN_IN_LIMIT_PER_ADDRESS", "RESET_LIMIT_PER_ACCOUNT",
          "RESET_LIMIT_PER_ADDRESS", "JOIN_LIMIT_PER_ADDRESS", "CONFIRMATION_RESEND_LIMIT")
# Routes that end or change who is signed in run last, each with a client of its own.
ENDS_THE_SESSION = {"auth.sign_out"}


def post_endpoints() -> list[str]:
    config = TestConfig()
    config.DATABASE_URL = "sqlite://"
    app = create_app(config)
    return sorted({rule.endpoint for rule in post_rules(app)})


HOSTILE = [b"\x00", b"a\x00b", b"\xed\xa0\x80", b"\xed\xbf\xbf", b"\xff\xfe\xfd", b"\xc0\xaf",
           "\u202eevil".encode(), b"\r\nBcc: evil@example.org", b"<script>alert(1)</script>",
           b"' OR '1'='1' --", b"%", b"_", b"\\", b"99999999999999999999", b"-1", b"0", b"1e3",
           b" 1", "\uff11\uff12".encode(), b"1.0", b"true", b"null", b"[]", b"{}",
           b"=HYPERLINK(\"https://evil.example\")", "\U0001f600".encode(), b"\t", b""]
BIG = [b"y" * 100_000, b"x" * 1_000_000]
UPLOADS = st.tuples(
    st.sampled_from([b"champions.csv", b"../../app.py", b"a\x00.csv", b"x" * 300]),
    st.one_of(st.binary(max_size=200), st.sampled_from([
        b"Full name,Work email,Site,Job title\r\nSam,sam@example.org,Head office,\r\n",
        b"\xef\xbb\xbfFull name,Work email,Site,Job title\r\n=1+1,a@b.c,x,\r\n"])))
EXTRA_FIELDS = ["role", "organisation_id", "org_id", "is_coordinator", "status", "score",
                "passed", "user_id", "id", "version", "email_verified_at", "password_hash"]


def values(options: list[str]) -> st.SearchStrategy[bytes]:
    choices = [st.sampled_from(HOSTILE), st.text(max_size=50).map(str.encode),
               st.binary(max_size=30), st.sampled_from(BIG)]
    if options:
        choices.insert(0, st.sampled_from(options).map(str.encode))
    return st.one_of(*choices)


def field_values(options: list[str]) -> st.SearchStrategy[list[bytes]]:
    """Missing ([]), one value, or the key repeated."""
    return st.one_of(st.just([]), values(options).map(lambda v: [v]),
                     st.lists(values(options), min_size=2, max_size=3))


@dataclass
class Form:
    fields: dict[str, list[str]]  # name: the values the page offers (options, prefilled)
    files: list[str]


@dataclass
class Fuzz:
    app: Flask
    world: SecurityWorld
    clients: dict[str, FlaskClient]
    forms: dict[str, Form]
    coordinators: int


def discover_forms(app: Flask, world: SecurityWorld,
                   clients: dict[str, FlaskClient]) -> dict[str, Form]:
    """The POST forms the app renders, by the path they post to, as each person sees them."""
    forms: dict[str, Form] = {}
    for client in clients.values():
        for page_path in get_paths(app, world):
            if page_path.endswith((".pdf", "/pdf", ".csv")):
                continue
            response = client.get(page_path)
            if response.mimetype != "text/html" or response.status_code != 200:
                continue
            document = html5lib.parse(response.get_data(as_text=True), treebuilder="etree",
                                      namespaceHTMLElements=False)
            for form in document.iter("form"):
                if form.get("method", "get").lower() != "post":
                    continue
                action = urlsplit(form.get("action") or page_path).path
                found = forms.setdefault(action, Form({}, []))
                for element in form.iter():
                    name = element.get("name")
                    if not name or name == "csrf_token" or element.tag not in (
                            "input", "select", "textarea"):
                        continue
                    if element.get("type") == "file":
                        found.files.append(name)
                        continue
                    offered = found.fields.setdefault(name, [])
                    offered += [v for v in [element.get("value") or element.text or ""]
                                + [o.get("value", "") for o in element.iter("option")] if v]
    return forms


@pytest.fixture(scope="module", params=BACKENDS)
def fuzz(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
         sqlite_template: Path) -> Fuzz:
    # Limits high enough never to trigger (RATELIMIT_ENABLED=False would switch off the shared
    # Limiter object for every later app in the run).
    app = make_app(module_database(request, tmp_path_factory, sqlite_template),
                   **dict.fromkeys(LIMITS, "1000000 per minute"))
    with app.extensions["portal.sessionmaker"]() as session:
        world = build_security_world(app, session)
    clients = clients_for(app, world)
    forms = discover_forms(app, world, clients)
    for client in clients.values():
        client.get("/sign-in")  # anonymous visitors need a session for their CSRF token
    yield Fuzz(app, world, clients, forms, count_coordinators(app))
    app.extensions["portal.engine"].dispose()


def count_coordinators(app: Flask) -> int:
    with app.extensions["portal.engine"].connect() as connection:
        return connection.scalar(sa.text("SELECT count(*) FROM user_account WHERE is_coordinator"))


def client_for(fuzz: Fuzz, endpoint: str, role: str) -> FlaskClient:
    if endpoint not in ENDS_THE_SESSION:
        return fuzz.clients[role]
    with fuzz.app.extensions["portal.sessionmaker"]() as session:
        user = make_user(session, email=f"leaver-{uuid.uuid4().hex}@example.org")
        session.commit()
    client = fuzz.app.test_client()
    assert sign_in(client, user.email).status_code == 303
    return client


def urlencoded(pairs: list[tuple[str, bytes]]) -> bytes:
    return "&".join(f"{quote_from_bytes(name.encode())}={quote_from_bytes(value)}"
                    for name, value in pairs).encode()


def multipart(pairs: list[tuple[str, bytes]], files: dict[str, tuple[bytes, bytes]]) -> bytes:
    parts = [b'--b\r\nContent-Disposition: form-data; name="' + name.encode() + b'"\r\n\r\n'
             + value + b"\r\n" for name, value in pairs]
    for name, (filename, data) in files.items():
        parts.append(b'--b\r\nContent-Disposition: form-data; name="' + name.encode()
                     + b'"; filename="' + filename.replace(b'"', b"") + b'"\r\n'
                     b"Content-Type: text/csv\r\n\r\n" + data + b"\r\n")
    return b"".join(parts) + b"--b--\r\n"


INVARIANTS = {
    "a membership's site belongs to its organisation":
        "SELECT count(*) FROM membership m JOIN site s ON s.id = m.site_id "
        "WHERE s.organisation_id <> m.organisation_id",
    "an invitation's site belongs to its organisation":
        "SELECT count(*) FROM invitation i JOIN site s ON s.id = i.site_id "
        "WHERE s.organisation_id <> i.organisation_id",
    "every completion comes from a passed attempt":
        "SELECT count(*) FROM module_completion c JOIN quiz_attempt a ON a.id = c.attempt_id "
        "WHERE a.passed IS NOT TRUE OR a.user_id <> c.user_id",
    "a submitted attempt has a score":
        "SELECT count(*) FROM quiz_attempt WHERE status = 'submitted' AND score IS NULL",
    "every approved organisation has a site":
        "SELECT count(*) FROM organisation o WHERE status = 'approved' "
        "AND NOT EXISTS (SELECT 1 FROM site s WHERE s.organisation_id = o.id)",
}


def check_invariants(fuzz: Fuzz) -> None:
    engine = fuzz.app.extensions["portal.engine"]
    with engine.connect() as connection:
        for name, query in INVARIANTS.items():
            assert connection.scalar(sa.text(query)) == 0, name
        for (email,) in connection.execute(sa.text("SELECT email FROM user_account")):
            assert "@" in email and not set(email) & {"\r", "\n", "\x00"}, email
        if engine.dialect.name == "sqlite":
            assert connection.exec_driver_sql("PRAGMA foreign_key_check").all() == []
    assert count_coordinators(fuzz.app) == fuzz.coordinators  # nobody made themselves one


@pytest.mark.slow
@pytest.mark.parametrize("endpoint", sorted(post_endpoints(),
                                            key=lambda e: (e in ENDS_THE_SESSION, e)))
def test_any_input_to_any_form_is_handled(fuzz: Fuzz, endpoint: str) -> None:
    """FUZZ-01: status below 500 and the database invariants hold, for every POST route."""
    rule = next(r for r in fuzz.app.url_map.iter_rules() if r.endpoint == endpoint)
    role = owner_of(fuzz.app, rule)
    client = client_for(fuzz, endpoint, role)
    path = path_for(fuzz.world, rule)
    form = fuzz.forms.get(path, Form({}, []))
    token = csrf_token(client, "/sign-in" if role == "anonymous" else "/dashboard")
    fields = st.fixed_dictionaries(
        {name: field_values(options) for name, options in form.fields.items()},
        # Mass-assignment names the form does not already have (a policy element's form has
        # its own status and version fields).
        optional={name: field_values([]) for name in EXTRA_FIELDS if name not in form.fields})
    files = st.fixed_dictionaries(dict.fromkeys(form.files, UPLOADS))

    @settings(max_examples=EXAMPLES_PER_FORM, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(fields=fields, files=files)
    def post_anything(fields: dict[str, list[bytes]], files: dict) -> None:
        pairs = [("csrf_token", token.encode())]
        pairs += [(name, value) for name, many in fields.items() for value in many]
        if files:
            body, content_type = multipart(pairs, files), "multipart/form-data; boundary=b"
        else:
            body, content_type = urlencoded(pairs), "application/x-www-form-urlencoded"
        response = client.post(path, data=body, content_type=content_type)
        assert response.status_code < 500, (endpoint, response.status_code)
        check_invariants(fuzz)

    post_anything()
