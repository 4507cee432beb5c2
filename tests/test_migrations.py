"""The schema comes only from the migrations, and they match the models (REL-12)."""

from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import command as alembic_command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from portal.migrations import MIGRATIONS_DIR, alembic_config, head_revision
from portal.models import Base


def test_upgraded_database_matches_the_models(database_url: str) -> None:
    engine = sa.create_engine(database_url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert context.get_current_revision() == head_revision()
        assert compare_metadata(context, Base.metadata) == []
    engine.dispose()


def test_newest_migration_downgrades_and_upgrades_again(database_url: str) -> None:
    config = alembic_config(database_url)
    script = ScriptDirectory.from_config(config)
    head = script.get_revision(head_revision())
    alembic_command.downgrade(config, head.down_revision or "base")
    alembic_command.upgrade(config, "head")
    engine = sa.create_engine(database_url)
    with engine.connect() as connection:
        assert MigrationContext.configure(connection).get_current_revision() == head.revision
    engine.dispose()


def test_one_head_and_numbered_file_names() -> None:
    script = ScriptDirectory.from_config(alembic_config(""))
    assert len(script.get_heads()) == 1
    for revision in script.walk_revisions():
        path = MIGRATIONS_DIR / "versions"
        assert list(path.glob(f"{revision.revision}_*.py")), revision.revision
        # 0001, 0002, ...; or a feature branch's own prefix (d001) until it is renumbered at merge.
        assert re.fullmatch(r"\d{4}|[a-z]\d{3}", revision.revision), revision.revision
