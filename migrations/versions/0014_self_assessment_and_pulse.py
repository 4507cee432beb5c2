"""the staff awareness pulse: pulses and their running answer counts

A pulse keeps only totals (one row per question and answer, and the number who answered): no
row per response and no time of any answer.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 16:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import portal.models.base

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("awareness_pulse",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("organisation_id", sa.Integer(), nullable=False),
    sa.Column("site_id", sa.Integer(), nullable=True),
    sa.Column("token", sa.String(length=64), nullable=False),
    sa.Column("opens_on", sa.Date(), nullable=False),
    sa.Column("closes_on", sa.Date(), nullable=False),
    sa.Column("respondents", sa.Integer(), nullable=False),
    sa.Column("created_by_id", sa.Integer(), nullable=True),
    sa.Column("created_at", portal.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"], name=op.f("fk_awareness_pulse_organisation_id_organisation"), ondelete="CASCADE"),
    sa.ForeignKeyConstraint(["site_id"], ["site.id"], name=op.f("fk_awareness_pulse_site_id_site"), ondelete="CASCADE"),
    sa.ForeignKeyConstraint(["created_by_id"], ["user_account.id"], name=op.f("fk_awareness_pulse_created_by_id_user_account"), ondelete="SET NULL"),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_awareness_pulse")),
    sa.UniqueConstraint("token", name=op.f("uq_awareness_pulse_token"))
    )
    with op.batch_alter_table("awareness_pulse", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_awareness_pulse_organisation_id"), ["organisation_id"], unique=False)

    op.create_table("awareness_pulse_count",
    sa.Column("pulse_id", sa.Integer(), nullable=False),
    sa.Column("question_key", sa.String(length=32), nullable=False),
    sa.Column("answer_key", sa.String(length=32), nullable=False),
    sa.Column("total", sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(["pulse_id"], ["awareness_pulse.id"], name=op.f("fk_awareness_pulse_count_pulse_id_awareness_pulse"), ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("pulse_id", "question_key", "answer_key", name=op.f("pk_awareness_pulse_count"))
    )


def downgrade() -> None:
    op.drop_table("awareness_pulse_count")
    with op.batch_alter_table("awareness_pulse", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_awareness_pulse_organisation_id"))
    op.drop_table("awareness_pulse")
