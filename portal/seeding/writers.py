"""Writing synthetic rows in batches: COPY on PostgreSQL, executemany elsewhere.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import sqlalchemy as sa

from portal.models import (
    Assignment,
    Certificate,
    CommitmentSignature,
    Membership,
    ModuleCompletion,
    Organisation,
    PolicyElementEvent,
    PolicyElementRecord,
    QuizAttempt,
    Site,
    User,
)
from portal.seeding.plans import BATCH_ROWS, SeedReport

# --------------------------------------------------------------------------------------------
# Writing rows in batches: COPY on PostgreSQL, executemany elsewhere.
# --------------------------------------------------------------------------------------------

TABLE_ORDER = [t.__table__ for t in (
    User, Organisation, Site, Membership, CommitmentSignature, QuizAttempt, ModuleCompletion,
    Certificate, Assignment, PolicyElementRecord, PolicyElementEvent)]
COLUMNS = {
    User.__table__: ("id", "email", "full_name", "password_hash", "is_coordinator", "is_active",
                     "session_version", "email_verified_at", "exit_explained_at",
                     "last_signed_in_at", "created_at"),
    Organisation.__table__: ("id", "name", "name_key", "registered_number", "sector",
                             "listed_publicly", "status", "status_changed_at", "submitted_at",
                             "approved_at", "renewal_due_on", "tier", "tier_changed_at",
                             "champion_contact", "created_at"),
    Site.__table__: ("id", "organisation_id", "name", "borough", "headcount", "created_at"),
    Membership.__table__: ("id", "user_id", "organisation_id", "role", "site_id", "job_title",
                           "created_at", "withdrawn_at", "withdrawal_reason", "record_key"),
    CommitmentSignature.__table__: ("id", "organisation_id", "version", "signatory_name",
                                    "signatory_job_title", "signed_by_id", "signed_at"),
    QuizAttempt.__table__: ("id", "public_id", "user_id", "module_id", "module_version_id",
                            "status", "drawn", "selected", "correct_count", "score", "passed",
                            "started_at", "submitted_at"),
    ModuleCompletion.__table__: ("id", "user_id", "module_id", "module_version_id", "version",
                                 "attempt_id", "completed_at"),
    Certificate.__table__: ("id", "code", "user_id", "course_id", "completion_id", "issued_at",
                            "expires_at"),
    Assignment.__table__: ("id", "organisation_id", "user_id", "course_id", "module_id",
                           "source", "due_on", "assigned_by_id", "created_at", "completed_at",
                           "cancelled_at"),
    PolicyElementRecord.__table__: ("id", "organisation_id", "element_key", "status",
                                    "in_place_on", "review_on", "evidence_note", "verification",
                                    "verified_by_id", "verified_at", "updated_by_id",
                                    "updated_at", "version"),
    PolicyElementEvent.__table__: ("id", "record_id", "action", "status", "verification",
                                   "in_place_on", "review_on", "evidence_note", "actor_id",
                                   "created_at"),
}
JSON_COLUMNS = {QuizAttempt.__table__: (6, 7)}  # drawn, selected: written as JSON text by COPY


class CoreWriter:
    """Any database: SQLAlchemy Core executemany (insertmanyvalues) in big batches."""

    def __init__(self, connection: sa.Connection) -> None:
        self.connection = connection

    def write(self, table: sa.Table, rows: list[tuple]) -> None:
        names = COLUMNS[table]
        self.connection.execute(table.insert(), [dict(zip(names, row, strict=True))
                                                 for row in rows])


class CopyWriter:
    """PostgreSQL: COPY ... FROM STDIN through psycopg, several times faster than INSERTs."""

    def __init__(self, connection: sa.Connection) -> None:
        self.connection = connection
        self.dbapi = connection.connection.driver_connection
        self.json_cache: dict[int, tuple[object, str]] = {}

    def write(self, table: sa.Table, rows: list[tuple]) -> None:
        columns = ", ".join(f'"{name}"' for name in COLUMNS[table])
        json_columns = JSON_COLUMNS.get(table, ())
        with self.dbapi.cursor() as cursor, cursor.copy(
                f'COPY "{table.name}" ({columns}) FROM STDIN') as copy:
            for row in rows:
                if json_columns:
                    row = self._with_json_text(row, json_columns)
                copy.write_row(row)

    def _with_json_text(self, row: tuple, positions: Sequence[int]) -> tuple:
        values = list(row)
        for position in positions:
            values[position] = self._json(values[position])
        return tuple(values)

    def _json(self, value: object) -> str | None:
        if value is None:
            return None
        cached = self.json_cache.get(id(value))
        if cached is None:  # values are shared variants, so this is computed a few times only
            cached = self.json_cache[id(value)] = (value, json.dumps(value))
        return cached[1]


class Buffers:
    """Rows waiting to be written; flushed in foreign-key order so references always exist."""

    def __init__(self, writer: CoreWriter | CopyWriter, report: SeedReport) -> None:
        self.writer = writer
        self.report = report
        self.rows: dict[sa.Table, list[tuple]] = {table: [] for table in TABLE_ORDER}

    def add(self, table: sa.Table, row: tuple) -> None:
        rows = self.rows[table]
        rows.append(row)
        if len(rows) >= BATCH_ROWS:
            self.flush()

    def flush(self) -> None:
        for table in TABLE_ORDER:
            rows = self.rows[table]
            if rows:
                self.writer.write(table, rows)
                self.report.rows[table.name] += len(rows)
                self.rows[table] = []


class Ids:
    """The next free id of each table, numbered on from the largest stored."""

    def __init__(self, connection: sa.Connection) -> None:
        self.next_ids = {table: (connection.scalar(sa.select(sa.func.max(table.c.id))) or 0) + 1
                         for table in TABLE_ORDER}

    def take(self, table: sa.Table) -> int:
        value = self.next_ids[table]
        self.next_ids[table] = value + 1
        return value




