"""live sessions can be called off and their details changed

A called-off session is kept (its bookings and attendance history point at it) with the time it
was cancelled; each change of its date, time or place raises its calendar invitation's SEQUENCE.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 17:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import portal.models.base

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("live_session", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cancelled_at", portal.models.base.UTCDateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column("invitation_sequence", sa.Integer(), nullable=False,
                                      server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("live_session", schema=None) as batch_op:
        batch_op.drop_column("invitation_sequence")
        batch_op.drop_column("cancelled_at")
