"""Fixtures: an app per test on SQLite and (when TEST_DATABASE_URL is set) PostgreSQL.

The schema always comes from the Alembic migrations, never from create_all (SECURITY.md B.0).
SQLite tests copy a migrated template file; PostgreSQL tests use a database created for this
run, migrated once and emptied between tests.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command as alembic_command
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, object_session

from config import TestConfig
from portal import create_app
from portal.migrations import alembic_config
from portal.models import Base, User
from tests.factories import DEFAULT_PASSWORD
from tests.smtp import SmtpServer
from tests.two_factor import complete_two_factor

CSRF_INPUT = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|'
                        r'name="csrf_token" value="([^"]+)"')
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)]
# What differs between two answers by design, not by what they are about: each page's CSP nonce,
# and when two requests straddle a second, the seconds the session has left (the timeout
# warning) and the CSRF token (signed with a timestamp). Tests that compare two pages byte for
# byte (no existence oracle, identical sign-in failures) compare them without these.
PER_REQUEST = re.compile(r'nonce="[^"]*"|data-seconds-left="[0-9]+"|'
                         r'<input[^>]*name="csrf_token"[^>]*>')


def comparable_page(response) -> str:  # noqa: ANN001 - a Flask test response
    return PER_REQUEST.sub("", response.get_data(as_text=True))


def visible_text(html: str) -> str:
    """What a reader sees: the page without scripts, styles and tags (so without attributes such
    as the random CSP nonce and CSRF token), whitespace collapsed. Assertions that a number or
    word is absent look here: a random token can contain any digits."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S | re.I)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))



def _sleep_that_survives_faketime() -> None:
    """`make test-future` runs this suite under Debian's libfaketime (0.9.10) with the machine's
    clock moved ahead and the monotonic clock left alone. That version fails every
    `time.sleep` with EINVAL (it shifts clock_nanosleep's absolute monotonic deadline as if it
    were wall-clock time), and faking the monotonic clock instead hangs every timed wait. A
    timed wait on an Event is unaffected, so under faketime sleeping waits on one."""
    if os.environ.get("FAKETIME"):
        time.sleep = lambda seconds: threading.Event().wait(seconds)  # type: ignore[assignment]


_sleep_that_survives_faketime()


def migrate(url: str) -> None:
    alembic_command.upgrade(alembic_config(url), "head")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "portal.db"
    migrate(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_admin_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        pytest.skip("PostgreSQL tests need TEST_DATABASE_URL (CI sets it)")
    return url


@pytest.fixture(scope="session")
def pg_database_url(pg_admin_url: str) -> Iterator[str]:
    """A database of our own on the PostgreSQL server, migrated once for the whole run."""
    admin_url = make_url(pg_admin_url)
    name = f"portal_test_{os.getpid()}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = admin_url.set(database=name).render_as_string(hide_password=False)
    migrate(url)
    yield url
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def empty_postgres(url: str) -> None:
    engine = sa.create_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    if request.param == "sqlite":
        path = tmp_path / "portal.db"
        shutil.copyfile(sqlite_template, path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("pg_database_url")
    empty_postgres(url)
    return url


@pytest.fixture
def pg_url(pg_database_url: str) -> str:
    """For tests that only make sense on PostgreSQL (locking, concurrency)."""
    empty_postgres(pg_database_url)
    return pg_database_url


def make_app(database_url: str, **overrides: object) -> Flask:
    config = TestConfig()
    config.DATABASE_URL = database_url
    for key, value in overrides.items():
        setattr(config, key, value)
    return create_app(config)


@pytest.fixture
def app_factory(database_url: str) -> Iterator[Callable[..., Flask]]:
    apps: list[Flask] = []

    def factory(**overrides: object) -> Flask:
        app = make_app(database_url, **overrides)
        apps.append(app)
        return app

    yield factory
    for app in apps:
        app.extensions["portal.engine"].dispose()


@pytest.fixture
def app(app_factory: Callable[..., Flask]) -> Flask:
    return app_factory()


@pytest.fixture
def session(app: Flask) -> Iterator[Session]:
    # Deliberately not inside app.app_context(): each test-client request gets its own context,
    # or `g` (our db session, Flask-Login's cached user) would leak between requests.
    with app.extensions["portal.sessionmaker"]() as session:
        yield session


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def csrf_token(client: FlaskClient, path: str) -> str:
    """Load a page as a browser would and read its CSRF token (CSRF stays on in tests)."""
    html = client.get(path).get_data(as_text=True)
    match = CSRF_INPUT.search(html)
    assert match, f"no CSRF token on {path}"
    return match.group(1) or match.group(2)


def sign_in(client: FlaskClient, email: str, password: str = DEFAULT_PASSWORD, *,
            next_url: str | None = None, second_factor: bool = True):  # noqa: ANN201
    """Sign in through the real form; coordinators also pass the code step, unless
    `second_factor` is False (then the response is the password step's)."""
    token = csrf_token(client, "/sign-in")
    path = "/sign-in" + (f"?next={next_url}" if next_url is not None else "")
    response = client.post(path, data={"email": email, "password": password,
                                       "csrf_token": token})
    return complete_two_factor(client, response) if second_factor else response


@pytest.fixture
def signed_in(app: Flask) -> Callable[[User], FlaskClient]:
    """A new client signed in through the real form, past the first-time interruption."""
    def factory(user: User) -> FlaskClient:
        object_session(user).commit()  # requests use their own session: commit test data first
        client = app.test_client()
        response = sign_in(client, user.email)
        assert response.status_code == 303, response.get_data(as_text=True)[:500]
        return client
    return factory


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get("REDIS_URL")
    if not url:
        pytest.skip("Shared rate-limit tests need REDIS_URL (CI sets it)")
    return url


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()
