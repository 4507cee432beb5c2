"""REL-14 (PostgreSQL): the restore drill of the README. A database seeded with seed-demo and
seed-scale is dumped with pg_dump and restored with pg_restore into a fresh one, which answers
/readyz and gives the same dashboard figures and exactly the same rows in every table."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.engine import URL, make_url

from portal.models import Base, utcnow
from portal.services import monitoring, monitoring_filters
from tests.conftest import make_app, migrate

pytestmark = [pytest.mark.pg, pytest.mark.slow]


def postgres_tool(name: str) -> str:
    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
                                                   reverse=True)), None)
    if found is None:
        pytest.skip(f"{name} is not installed")
    return found


@pytest.fixture
def two_databases(pg_admin_url: str) -> Iterator[tuple[URL, URL]]:
    """A seeded-to-be source database and an empty target, both dropped afterwards."""
    admin_url = make_url(pg_admin_url)
    names = [f"portal_drill_{role}_{os.getpid()}" for role in ("source", "target")]
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")

    def drop_all() -> None:
        with admin.connect() as connection:
            for name in names:
                connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    drop_all()
    with admin.connect() as connection:
        for name in names:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield tuple(admin_url.set(database=name) for name in names)
    drop_all()
    admin.dispose()


def libpq(url: URL) -> str:
    """The URL as pg_dump and pg_restore take it (no SQLAlchemy driver name)."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def seed(app: Flask) -> None:
    runner = app.test_cli_runner()
    for args in (["seed-demo"], ["seed-scale", "--organisations", "12", "--people", "600",
                                 "--attempts", "1500"]):
        result = runner.invoke(args=args)
        assert result.exit_code == 0, result.output


def figures(app: Flask, now: object) -> tuple[monitoring.Dashboard, dict[str, list[tuple]]]:
    """The coordinator dashboard's figures, and every row of every table."""
    # The app's own sessions carry its settings (the coverage target), as the portal's do.
    with app.extensions["portal.sessionmaker"]() as session:
        board = monitoring.dashboard(session, monitoring_filters.Filters(), now)
        rows = {table.name: [tuple(row) for row in session.execute(
                    sa.select(table).order_by(*table.primary_key.columns))]
                for table in Base.metadata.sorted_tables}
    return board, rows


def test_dump_and_restore_into_a_fresh_database(two_databases: tuple[URL, URL],
                                                tmp_path: Path) -> None:
    """REL-14: the drill, as the README runs it by hand."""
    source_url, target_url = (url.render_as_string(hide_password=False) for url in two_databases)
    migrate(source_url)
    source = make_app(source_url)
    seed(source)
    now = utcnow()
    seeded = figures(source, now)
    assert seeded[0].headline.members > 0 and len(seeded[1]["quiz_attempt"]) > 1000

    dump = tmp_path / "portal.dump"
    subprocess.run([postgres_tool("pg_dump"), "--format=custom", "--no-owner",
                    f"--file={dump}", libpq(two_databases[0])], check=True, timeout=300)
    subprocess.run([postgres_tool("pg_restore"), "--no-owner", "--exit-on-error",
                    f"--dbname={libpq(two_databases[1])}", str(dump)], check=True, timeout=300)

    restored = make_app(target_url)
    response = restored.test_client().get("/readyz")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert figures(restored, now) == seeded
    for app in (source, restored):
        app.extensions["portal.engine"].dispose()
