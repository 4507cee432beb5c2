"""the employer self-assessment, its action plan, and the staff awareness pulse

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
    op.create_table("self_assessment",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("organisation_id", sa.Integer(), nullable=False),
    sa.Column("question_set_version", sa.Integer(), nullable=False),
    sa.Column("answers", sa.JSON(), nullable=False),
    sa.Column("scores", sa.JSON(), nullable=True),
    sa.Column("started_by_id", sa.Integer(), nullable=True),
    sa.Column("started_at", portal.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column("updated_at", portal.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column("submitted_by_id", sa.Integer(), nullable=True),
    sa.Column("submitted_at", portal.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"], name=op.f("fk_self_assessment_organisation_id_organisation"), ondelete="CASCADE"),
    sa.ForeignKeyConstraint(["started_by_id"], ["user_account.id"], name=op.f("fk_self_assessment_started_by_id_user_account"), ondelete="SET NULL"),
    sa.ForeignKeyConstraint(["submitted_by_id"], ["user_account.id"], name=op.f("fk_self_assessment_submitted_by_id_user_account"), ondelete="SET NULL"),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_self_assessment"))
    )
    with op.batch_alter_table("self_assessment", schema=None) as batch_op:
        batch_op.create_index("ix_self_assessment_org_submitted", ["organisation_id", "submitted_at"], unique=False)

    op.create_table("plan_action",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("organisation_id", sa.Integer(), nullable=False),
    sa.Column("question_key", sa.String(length=64), nullable=True),
    sa.Column("element_key", sa.String(length=64), nullable=True),
    sa.Column("title", sa.String(length=200), nullable=False),
    sa.Column("owner_role", sa.Enum("hr_lead", "leadership", "line_managers", "champions", "communications", "facilities", name="ownerrole", native_enum=False, length=32), nullable=False),
    sa.Column("due_on", sa.Date(), nullable=False),
    sa.Column("status", sa.Enum("not_started", "in_progress", "done", name="actionstatus", native_enum=False, length=32), nullable=False),
    sa.Column("completed_on", sa.Date(), nullable=True),
    sa.Column("created_at", portal.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column("updated_at", portal.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column("updated_by_id", sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"], name=op.f("fk_plan_action_organisation_id_organisation"), ondelete="CASCADE"),
    sa.ForeignKeyConstraint(["updated_by_id"], ["user_account.id"], name=op.f("fk_plan_action_updated_by_id_user_account"), ondelete="SET NULL"),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_action"))
    )
    with op.batch_alter_table("plan_action", schema=None) as batch_op:
        batch_op.create_index("ix_plan_action_org_status", ["organisation_id", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_plan_action_due_on"), ["due_on"], unique=False)

    op.create_table("awareness_pulse",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("organisation_id", sa.Integer(), nullable=False),
    sa.Column("site_id", sa.Integer(), nullable=True),
    sa.Column("token", sa.String(length=64), nullable=False),
    sa.Column("opens_on", sa.Date(), nullable=False),
    sa.Column("closes_on", sa.Date(), nullable=False),
    sa.Column("closed_early", sa.Boolean(), nullable=False),
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
    with op.batch_alter_table("plan_action", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_action_due_on"))
        batch_op.drop_index("ix_plan_action_org_status")
    op.drop_table("plan_action")
    with op.batch_alter_table("self_assessment", schema=None) as batch_op:
        batch_op.drop_index("ix_self_assessment_org_submitted")
    op.drop_table("self_assessment")
