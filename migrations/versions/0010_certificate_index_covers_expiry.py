"""certificate (user_id, course_id) index also carries expires_at on PostgreSQL

Dashboards and tier checks ask "does this champion hold a current certificate?" for every
champion of an organisation; with expires_at in the index that is an index-only lookup per
champion instead of a scan of every certificate (issue 10).

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-21 20:10:00
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("certificate", schema=None) as batch_op:
        batch_op.drop_index("ix_certificate_user_course")
        batch_op.create_index("ix_certificate_user_course", ["user_id", "course_id"],
                              unique=False, postgresql_include=["expires_at"])


def downgrade() -> None:
    with op.batch_alter_table("certificate", schema=None) as batch_op:
        batch_op.drop_index("ix_certificate_user_course")
        batch_op.create_index("ix_certificate_user_course", ["user_id", "course_id"],
                              unique=False)
