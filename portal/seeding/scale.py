"""The whole synthetic run: `flask --app portal seed-scale` calls seed_scale().
"""

# ruff: noqa: S311 - seeded pseudo-random numbers make repeatable synthetic data, not secrets

from __future__ import annotations

import random
import time
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.models import (
    Organisation,
    User,
)
from portal.seeding.activity import policy_records, signatures
from portal.seeding.people import allocate_people, people
from portal.seeding.plans import (
    BENCH_ORGANISATION,
    COORDINATOR_EMAIL,
    Generator,
    Scale,
    ScaleError,
    SeedReport,
    training_plan,
)
from portal.seeding.training import attempt_quotas, train
from portal.seeding.writers import TABLE_ORDER, Buffers, CopyWriter, CoreWriter, Ids
from portal.services import training_status
from portal.services.tiers import refresh_all_tiers

# --------------------------------------------------------------------------------------------
# The whole run.
# --------------------------------------------------------------------------------------------

def seed_scale(engine: sa.Engine, scale: Scale, *, password_hash: str, commitment_version: int,
               coverage_target: float,
               seed: int = 1) -> SeedReport:
    """Add `scale` worth of synthetic data in one transaction; refuse to run twice."""
    report = SeedReport()
    started = time.perf_counter()
    with engine.begin() as connection:
        _check_fresh(connection)
        postgres = connection.dialect.name == "postgresql"
        if postgres:
            connection.exec_driver_sql("SET LOCAL statement_timeout = 0")
            _skip_foreign_key_triggers(connection)
        writer = CopyWriter(connection) if postgres else CoreWriter(connection)
        buffers, ids = Buffers(writer, report), Ids(connection)
        plan = training_plan(Session(connection), random.Random(seed))
        gen = Generator(scale, buffers, ids, plan, password_hash, seed)
        _generate(gen, commitment_version)
        buffers.flush()
        _fill_training_status(connection)
        _check_tiers(connection, gen.now, coverage_target)
        if postgres:
            _reset_sequences(connection)
        report.bench_organisation_id = connection.scalar(sa.select(Organisation.id).where(
            Organisation.name == BENCH_ORGANISATION).order_by(Organisation.id.desc()).limit(1))
    if engine.dialect.name == "postgresql":
        # Statistics for the planner, and the visibility map autovacuum would build in a
        # running database (index-only scans depend on it); outside any transaction.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")
    report.seconds = time.perf_counter() - started
    return report


def _fill_training_status(connection: sa.Connection) -> None:
    """Each role's training status (the dashboard's summary), worked out from the rows written
    by the same rule as every change in the portal: one INSERT ... SELECT, in this transaction."""
    with Session(connection) as session:
        training_status.rebuild(session)
        session.flush()


def _check_tiers(connection: sa.Connection, now: datetime, target: float) -> None:
    """The tiers drawn above are a plan; what is stored is what the tier rules give for the
    data written, worked out by the same code as the nightly re-check (services/tiers.py)."""
    with Session(connection) as session:
        refresh_all_tiers(session, now, target=target)
        session.flush()


def _skip_foreign_key_triggers(connection: sa.Connection) -> None:
    """Every reference is made to a row written earlier, so PostgreSQL need not check each one.

    Only a superuser may switch the triggers off; anyone else loads with the checks on (slower).
    """
    try:
        with connection.begin_nested():
            connection.exec_driver_sql("SET LOCAL session_replication_role = replica")
    except sa.exc.DBAPIError:
        pass


def _check_fresh(connection: sa.Connection) -> None:
    if connection.scalar(sa.select(User.id).where(User.email == COORDINATOR_EMAIL)):
        raise ScaleError("This database already holds scale data; seed a fresh database.")


def _generate(gen: Generator, commitment_version: int) -> None:
    gen.coordinator_id = gen.ids.take(User.__table__)
    gen.buffers.add(User.__table__, (gen.coordinator_id, COORDINATOR_EMAIL, "Scale Coordinator",
                                     gen.password_hash, True, True, 1, gen.start, gen.start,
                                     None, gen.start))
    orgs = gen.organisations()
    allocate_people(gen, orgs)
    persons = people(gen, orgs)
    for person, quota in zip(persons, attempt_quotas(gen, persons), strict=True):
        train(gen, person, quota)
    signatures(gen, orgs, commitment_version)
    policy_records(gen, orgs)


def _reset_sequences(connection: sa.Connection) -> None:
    """Explicit ids leave PostgreSQL's sequences behind; move each past the largest id."""
    for table in TABLE_ORDER:  # our own table names, not input
        connection.exec_driver_sql(
            f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', 'id'), "  # noqa: S608  # nosec B608 - our table names
            f"(SELECT coalesce(max(id), 0) + 1 FROM \"{table.name}\"), false)")


