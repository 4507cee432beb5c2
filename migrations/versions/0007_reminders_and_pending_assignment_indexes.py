"""reminders sent, and at most one pending assignment per person, course or module

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-21 14:17:28.221437
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import portal.models.base

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("reminder",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("kind", sa.String(length=32), nullable=False),
    sa.Column("user_id", sa.Integer(), nullable=False),
    sa.Column("reference", sa.String(length=100), nullable=False),
    sa.Column("sent_on", sa.Date(), nullable=False),
    sa.Column("created_at", portal.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name=op.f("fk_reminder_user_id_user_account"), ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_reminder")),
    sa.UniqueConstraint("kind", "user_id", "reference", name=op.f("uq_reminder_kind_user_id_reference"))
    )
    with op.batch_alter_table("reminder", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reminder_sent_on"), ["sent_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_reminder_user_id"), ["user_id"], unique=False)

    with op.batch_alter_table("assignment", schema=None) as batch_op:
        batch_op.create_index("ix_assignment_pending_due", ["due_on"], unique=False, sqlite_where=sa.text("cancelled_at IS NULL AND completed_at IS NULL"), postgresql_where=sa.text("cancelled_at IS NULL AND completed_at IS NULL"))
        batch_op.create_index("uq_assignment_pending_course", ["organisation_id", "user_id", "course_id"], unique=True, sqlite_where=sa.text("cancelled_at IS NULL AND completed_at IS NULL AND course_id IS NOT NULL"), postgresql_where=sa.text("cancelled_at IS NULL AND completed_at IS NULL AND course_id IS NOT NULL"))
        batch_op.create_index("uq_assignment_pending_module", ["organisation_id", "user_id", "module_id"], unique=True, sqlite_where=sa.text("cancelled_at IS NULL AND completed_at IS NULL AND module_id IS NOT NULL"), postgresql_where=sa.text("cancelled_at IS NULL AND completed_at IS NULL AND module_id IS NOT NULL"))

    with op.batch_alter_table("certificate", schema=None) as batch_op:
        batch_op.create_index("ix_certificate_expires_at", ["expires_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("certificate", schema=None) as batch_op:
        batch_op.drop_index("ix_certificate_expires_at")

    with op.batch_alter_table("assignment", schema=None) as batch_op:
        batch_op.drop_index("uq_assignment_pending_module", sqlite_where=sa.text("cancelled_at IS NULL AND completed_at IS NULL AND module_id IS NOT NULL"), postgresql_where=sa.text("cancelled_at IS NULL AND completed_at IS NULL AND module_id IS NOT NULL"))
        batch_op.drop_index("uq_assignment_pending_course", sqlite_where=sa.text("cancelled_at IS NULL AND completed_at IS NULL AND course_id IS NOT NULL"), postgresql_where=sa.text("cancelled_at IS NULL AND completed_at IS NULL AND course_id IS NOT NULL"))
        batch_op.drop_index("ix_assignment_pending_due", sqlite_where=sa.text("cancelled_at IS NULL AND completed_at IS NULL"), postgresql_where=sa.text("cancelled_at IS NULL AND completed_at IS NULL"))

    with op.batch_alter_table("reminder", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reminder_user_id"))
        batch_op.drop_index(batch_op.f("ix_reminder_sent_on"))

    op.drop_table("reminder")
