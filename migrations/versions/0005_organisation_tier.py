"""organisation tier, kept on the organisation and recomputed from its data

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21 14:10:43.016277
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import portal.models.base

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tier", sa.Enum("committed", "active", "established", name="tier", native_enum=False, length=32), nullable=True))
        batch_op.add_column(sa.Column("tier_changed_at", portal.models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_organisation_tier"), ["tier"], unique=False)
    # Every approved member has signed the commitment, so it starts at the first tier; the worker's
    # nightly recalculation moves it on from there.
    op.execute("UPDATE organisation SET tier = 'committed' WHERE status = 'approved'")


def downgrade() -> None:
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_organisation_tier"))
        batch_op.drop_column("tier_changed_at")
        batch_op.drop_column("tier")
