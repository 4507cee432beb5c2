"""organisation_note: coordinators' dated, attributed log of contact with an organisation;
report_subscription: coordinators who asked for the board report's monthly e-mail link

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 16:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import portal.models.base

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("organisation_note",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("organisation_id", sa.Integer(), nullable=False),
    sa.Column("kind", sa.Enum("call", "meeting", "email", "action", "decision", "other", name="notekind", native_enum=False, length=32), nullable=False),
    sa.Column("body", sa.String(length=1000), nullable=False),
    sa.Column("author_id", sa.Integer(), nullable=True),
    sa.Column("created_at", portal.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(["author_id"], ["user_account.id"], name=op.f("fk_organisation_note_author_id_user_account"), ondelete="SET NULL"),
    sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"], name=op.f("fk_organisation_note_organisation_id_organisation"), ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_organisation_note"))
    )
    with op.batch_alter_table("organisation_note", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_organisation_note_author_id"), ["author_id"], unique=False)
        batch_op.create_index("ix_organisation_note_org_time", ["organisation_id", "created_at"], unique=False)

    op.create_table("report_subscription",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("user_id", sa.Integer(), nullable=False),
    sa.Column("created_at", portal.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name=op.f("fk_report_subscription_user_id_user_account"), ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_report_subscription")),
    sa.UniqueConstraint("user_id", name=op.f("uq_report_subscription_user_id"))
    )


def downgrade() -> None:
    op.drop_table("report_subscription")

    with op.batch_alter_table("organisation_note", schema=None) as batch_op:
        batch_op.drop_index("ix_organisation_note_org_time")
        batch_op.drop_index(batch_op.f("ix_organisation_note_author_id"))

    op.drop_table("organisation_note")
