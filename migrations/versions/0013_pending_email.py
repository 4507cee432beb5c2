"""user_account.pending_email: a new address waiting for its owner to confirm it

Someone changing their e-mail address in Your account keeps the old one until they open the
link sent to the new one; the new address waits here, so no link or log line carries it.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 14:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pending_email", sa.String(length=320), nullable=True))
        batch_op.add_column(sa.Column("pending_email_at", sa.DateTime(timezone=True),
                                      nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_column("pending_email_at")
        batch_op.drop_column("pending_email")
