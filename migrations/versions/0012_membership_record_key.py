"""membership.record_key: a fixed random key per role for rounding published counts

Published counts of people are rounded to a multiple of 5 by the cell-key method
(docs/small-numbers.md): each role gets a random key from 0 to 255 once, kept for ever.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 07:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

RANDOM_KEY = {  # a key from 0 to 255 for each existing row, drawn by the database
    "postgresql": "floor(random() * 256)::smallint",
    "sqlite": "abs(random()) % 256",
}


def upgrade() -> None:
    with op.batch_alter_table("membership", schema=None) as batch_op:
        batch_op.add_column(sa.Column("record_key", sa.SmallInteger(), nullable=True))
    dialect = op.get_bind().dialect.name
    op.execute(f"UPDATE membership SET record_key = {RANDOM_KEY.get(dialect, '0')}")  # noqa: S608  # nosec B608 - fixed text
    with op.batch_alter_table("membership", schema=None) as batch_op:
        batch_op.alter_column("record_key", existing_type=sa.SmallInteger(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("membership", schema=None) as batch_op:
        batch_op.drop_column("record_key")
