"""`flask --app portal db ...`: the database schema, by Alembic migrations.
"""

from __future__ import annotations

import click
from alembic import command as alembic_command
from flask import current_app
from flask.cli import AppGroup

from portal.migrations import MIGRATIONS_DIR, alembic_config


@click.group("db", cls=AppGroup, help="Database schema (Alembic migrations).")
def db_group() -> None:
    pass


@db_group.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Migrate the database up to REVISION (default: the newest)."""
    alembic_command.upgrade(alembic_config(current_app.config["DATABASE_URL"]), revision)


@db_group.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Migrate the database down to REVISION (e.g. -1)."""
    alembic_command.downgrade(alembic_config(current_app.config["DATABASE_URL"]), revision)


@db_group.command("revision")
@click.option("-m", "--message", required=True)
def db_revision(message: str) -> None:
    """Write a new migration from the difference between the models and the database."""
    config = alembic_config(current_app.config["DATABASE_URL"])
    existing = list((MIGRATIONS_DIR / "versions").glob("[0-9][0-9][0-9][0-9]_*.py"))
    alembic_command.revision(config, message=message, autogenerate=True,
                             rev_id=f"{len(existing) + 1:04d}")



