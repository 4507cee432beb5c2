"""REL-12: migrations keep the data they find (issue 21).

For each revision: an empty database is migrated to the revision before it, every table that
exists then gets representative rows, the revision is applied, and every row must still be there
with the same values; the columns the revision adds must hold what it backfills (or nothing).
The newest revision also goes down and up again over a full set of rows.

The rows are made from the models' column types, so a new migration is covered without new code;
a new CHECK constraint or a new backfill needs one line in OVERRIDES or BACKFILLS below.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command as alembic_command
from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url

from portal.migrations import alembic_config, head_revision
from portal.models import Base
from tests.conftest import BACKENDS

ROWS_PER_TABLE = 2
# Stored values are not "the future" or "the past" of anything: any fixed moment would do.
MOMENT = datetime(2026, 11, 3, 14, 25, 36, 123456, tzinfo=UTC)
Row = dict[str, object]

# Values the generic maker cannot guess: CHECK constraints and inputs of a data migration.
OVERRIDES: dict[tuple[str, str], Callable[[int], object]] = {
    # ck_assignment_course_or_module: a course or a module, never both.
    ("assignment", "course_id"): lambda i: 1 if i == 0 else None,
    ("assignment", "module_id"): lambda i: None if i == 0 else 2,
    # 0004 derives name_key from the name: punctuation, accents, "&" and "Ltd"/"Limited".
    ("organisation", "name"): lambda i: ["Mersey Ferries & Co Ltd", "Café Nord Limited"][i],
    # 0005 puts approved members at the first tier.
    ("organisation", "status"): lambda i: ["applied", "approved"][i],
    ("quiz_attempt", "score"): lambda i: [80, 100][i],
    # ck_live_session_ends_after_start: every other timestamp of row i is MOMENT + i days.
    ("live_session", "ends_at"): lambda i: MOMENT + timedelta(days=i, hours=2),
}

# What a revision writes into the columns it adds to rows that were already there; any other
# added column must be empty (NULL) on those rows.
BACKFILLS: dict[str, dict[str, Callable[[list[Row]], list[object]]]] = {
    "0004": {
        "organisation.name_key": lambda rows: ["mersey ferries and co", "cafe nord"],
        "organisation.sector": lambda rows: ["other"] * len(rows),
        "organisation.listed_publicly": lambda rows: [False] * len(rows),
        "user_account.email_verified_at": lambda rows: [row["created_at"] for row in rows],
    },
    "0005": {
        "organisation.tier": lambda rows: [
            "committed" if row["status"] == "approved" else None for row in rows],
    },
    "0011": {
        "user_account.password_change_required": lambda rows: [False] * len(rows),
    },
    # Existing courses keep their behaviour: no live session, renewable any time, and every
    # module part of the refresher; existing certificates show initials on the public check.
    "0016": {
        "course.requires_live_session": lambda rows: [False] * len(rows),
        "course.renewal_window_months": lambda rows: [0] * len(rows),
        "course.renewal_grace_months": lambda rows: [0] * len(rows),
        "module.in_refresher": lambda rows: [True] * len(rows),
        "certificate.show_full_name": lambda rows: [False] * len(rows),
    },
    "0017": {
        "live_session.invitation_sequence": lambda rows: [0] * len(rows),
    },
}
# Tables a revision creates and fills from the rows it finds: the rows expected (in primary key
# order), from the rows as they were before the revision.
NEW_TABLE_BACKFILLS: dict[str, dict[str, Callable[[dict[str, list[Row]]], list[Row]]]] = {
    # Each role's training status (issue 22): the generic courses' audiences are neither
    # "champion" nor "all" and every assignment is cancelled, so only the role's own columns.
    "0018": {
        "training_status": lambda before: [
            {"membership_id": row["id"], "organisation_id": row["organisation_id"],
             "site_id": row["site_id"], "champion": row["role"] == "champion",
             "current": row["withdrawn_at"] is None, "joined_at": row["created_at"],
             "record_key": row["record_key"], "first_certified_at": None,
             "last_certified_at": None, "never_expires": False, "certified_until": None,
             "first_due_on": None}
            for row in before["membership"]],
    },
}
# Columns filled with random values on existing rows: each must hold one, in its range.
RANDOM_BACKFILLS: dict[str, dict[str, range]] = {
    "0012": {"membership.record_key": range(256)},
}


def revisions() -> list[tuple[str | None, str]]:
    """(revision before, revision) for every revision, oldest first."""
    script = ScriptDirectory.from_config(alembic_config(""))
    return [(r.down_revision, r.revision) for r in reversed(list(script.walk_revisions()))]


UPGRADES = [revision for previous, revision in revisions() if previous is not None]


@pytest.fixture(params=BACKENDS)
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no tables at all, of its own for this test."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    admin_url = make_url(request.getfixturevalue("pg_admin_url"))
    name = f"portal_migration_{os.getpid()}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield admin_url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def current_tables(engine: sa.Engine) -> list[sa.Table]:
    """The tables as they are now, in insert order, each column typed as its model types it."""
    inspector = sa.inspect(engine)
    existing = set(inspector.get_table_names()) - {"alembic_version"}
    unknown = existing - set(Base.metadata.tables)
    assert not unknown, f"tables the models no longer have, teach this test about them: {unknown}"
    metadata = sa.MetaData()
    tables = []
    for model_table in Base.metadata.sorted_tables:
        if model_table.name in existing:
            names = [column["name"] for column in inspector.get_columns(model_table.name)]
            tables.append(sa.Table(model_table.name, metadata,
                                   *(_typed(model_table, name) for name in names)))
    return tables


def _typed(model_table: sa.Table, name: str) -> sa.Column:
    assert name in model_table.c, f"{model_table.name}.{name} is not in the models"
    model = model_table.c[name]
    # Enums are plain VARCHAR in the database: read and write their stored values.
    kind = sa.String(32) if isinstance(model.type, sa.Enum) else model.type
    return sa.Column(name, kind, primary_key=model.primary_key)


def value_for(table: sa.Table, column: sa.Column, i: int, seeded: set[str]) -> object:
    override = OVERRIDES.get((table.name, column.name))
    if override is not None:
        return override(i)
    model = Base.metadata.tables[table.name].c[column.name]
    if model.foreign_keys:
        (key,) = model.foreign_keys
        # A reference to a table not filled yet (module.current_version_id) stays empty.
        return i + 1 if key.column.table.name in seeded else None
    if column.primary_key and isinstance(model.type, sa.Integer):
        return i + 1
    return _plain_value(model, i)


def _plain_value(model: sa.Column, i: int) -> object:  # noqa: C901 - one branch per column type
    kind = model.type
    if isinstance(kind, sa.Enum):
        return kind.enums[i % len(kind.enums)]
    if isinstance(kind, sa.Boolean):
        return i % 2 == 0
    if isinstance(kind, sa.BigInteger):
        return 2**40 + i  # beyond a 32-bit integer
    if isinstance(kind, sa.Integer):
        return i + 1
    if isinstance(kind, sa.JSON):
        return {"row": i, "items": [1, "two", None], "text": "ünïcode"}
    if isinstance(kind, sa.Uuid):
        return uuid.UUID(int=i + 1)
    if isinstance(kind, sa.Date):
        return (MOMENT + timedelta(days=i)).date()
    if isinstance(kind, sa.types.TypeDecorator):  # UTCDateTime
        return MOMENT + timedelta(days=i, microseconds=i)
    if isinstance(kind, sa.Text):
        return f"{model.name} {i}\nsecond line – ünïcode"
    if isinstance(kind, sa.String):
        text = f"{model.name.replace('_', '')}{i}é"  # lower case: e-mail columns must be
        return text[-(kind.length or len(text)):]
    raise AssertionError(f"no representative value for {model.table.name}.{model.name}: {kind}")


def seed(engine: sa.Engine) -> dict[str, list[Row]]:
    """Representative rows in every table that exists now; returns them as written."""
    written: dict[str, list[Row]] = {}
    with engine.begin() as connection:
        for table in current_tables(engine):
            rows = [{column.name: value_for(table, column, i, set(written))
                     for column in table.columns} for i in range(ROWS_PER_TABLE)]
            connection.execute(table.insert(), rows)
            written[table.name] = rows
    return written


def read(engine: sa.Engine) -> dict[str, list[Row]]:
    with engine.connect() as connection:
        return {table.name: [dict(row._mapping) for row in connection.execute(
                    sa.select(table).order_by(*table.primary_key.columns))]
                for table in current_tables(engine)}


def assert_rows_survived(before: dict[str, list[Row]], after: dict[str, list[Row]]) -> None:
    for table, rows in before.items():
        assert table in after, f"{table} was dropped"
        assert len(after[table]) == len(rows), table
        for row, stored in zip(rows, after[table], strict=True):
            assert {name: stored[name] for name in row} == row, table


def assert_new_columns(revision: str, before: dict[str, list[Row]],
                       after: dict[str, list[Row]]) -> None:
    backfills = BACKFILLS.get(revision, {})
    for table, rows in before.items():
        for name in after[table][0].keys() - rows[0].keys():
            stored_values = [stored[name] for stored in after[table]]
            allowed = RANDOM_BACKFILLS.get(revision, {}).get(f"{table}.{name}")
            if allowed is not None:
                assert all(value in allowed for value in stored_values), f"{table}.{name}"
                continue
            expected = backfills.get(f"{table}.{name}", lambda rows: [None] * len(rows))(rows)
            assert stored_values == expected, f"{table}.{name}"
    listed = {key.split(".")[0] for key in backfills}
    assert listed <= before.keys(), f"BACKFILLS of {revision} name tables it does not find"
    for table in after.keys() - before.keys():
        expected_rows = NEW_TABLE_BACKFILLS.get(revision, {}).get(table, lambda _: [])(before)
        assert after[table] == expected_rows, table


def migrate(url: str, revision: str) -> None:
    alembic_command.upgrade(alembic_config(url), revision)


@pytest.mark.parametrize("revision", UPGRADES)
def test_upgrade_keeps_the_rows_it_finds(empty_database_url: str, revision: str) -> None:
    """REL-12: the revision keeps every row, value and count it finds, and backfills as it says."""
    previous = {r: p for p, r in revisions()}[revision]
    migrate(empty_database_url, previous)
    engine = sa.create_engine(empty_database_url)
    before = seed(engine)
    assert before, f"no table to fill at {previous}"
    migrate(empty_database_url, revision)
    after = read(engine)
    engine.dispose()
    assert_rows_survived(before, after)
    assert_new_columns(revision, before, after)


def test_newest_revision_down_and_up_keeps_the_rows(empty_database_url: str) -> None:
    """REL-12: down and up again over a full set of rows keeps what the revision before holds."""
    config = alembic_config(empty_database_url)
    head = ScriptDirectory.from_config(config).get_revision(head_revision())
    migrate(empty_database_url, "head")
    engine = sa.create_engine(empty_database_url)
    seeded = seed(engine)
    alembic_command.downgrade(config, head.down_revision or "base")
    kept = read(engine)  # what the revision before can hold: its tables and columns
    alembic_command.upgrade(config, "head")
    after = read(engine)
    engine.dispose()
    assert kept.keys() <= seeded.keys()
    assert_rows_survived({table: [{name: row[name] for name in rows[0]} for row in seeded[table]]
                          for table, rows in kept.items()}, after)
    assert {table: len(rows) for table, rows in after.items()} == {
        table: len(rows) for table, rows in seeded.items()}
