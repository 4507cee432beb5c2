"""assignments, policy adoption and the champions contact route

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-21 14:11:11.526488
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import portal.models.base

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("policy_document",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("organisation_id", sa.Integer(), nullable=False),
    sa.Column("element_key", sa.String(length=64), nullable=False),
    sa.Column("storage_key", sa.String(length=64), nullable=False),
    sa.Column("filename", sa.String(length=120), nullable=False),
    sa.Column("content_type", sa.String(length=100), nullable=False),
    sa.Column("size_bytes", sa.Integer(), nullable=False),
    sa.Column("sha256", sa.String(length=64), nullable=False),
    sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
    sa.Column("uploaded_at", portal.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"], name=op.f("fk_policy_document_organisation_id_organisation"), ondelete="CASCADE"),
    sa.ForeignKeyConstraint(["uploaded_by_id"], ["user_account.id"], name=op.f("fk_policy_document_uploaded_by_id_user_account"), ondelete="SET NULL"),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_policy_document")),
    sa.UniqueConstraint("storage_key", name=op.f("uq_policy_document_storage_key"))
    )
    with op.batch_alter_table("policy_document", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_policy_document_organisation_id"), ["organisation_id"], unique=False)

    op.create_table("assignment",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("organisation_id", sa.Integer(), nullable=False),
    sa.Column("user_id", sa.Integer(), nullable=False),
    sa.Column("course_id", sa.Integer(), nullable=True),
    sa.Column("module_id", sa.Integer(), nullable=True),
    sa.Column("source", sa.Enum("automatic", "hr_lead", name="assignmentsource", native_enum=False, length=32), nullable=False),
    sa.Column("due_on", sa.Date(), nullable=False),
    sa.Column("assigned_by_id", sa.Integer(), nullable=True),
    sa.Column("created_at", portal.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column("completed_at", portal.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column("cancelled_at", portal.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column("cancelled_by_id", sa.Integer(), nullable=True),
    sa.CheckConstraint("(course_id IS NULL) <> (module_id IS NULL)", name=op.f("ck_assignment_course_or_module")),
    sa.ForeignKeyConstraint(["assigned_by_id"], ["user_account.id"], name=op.f("fk_assignment_assigned_by_id_user_account"), ondelete="SET NULL"),
    sa.ForeignKeyConstraint(["cancelled_by_id"], ["user_account.id"], name=op.f("fk_assignment_cancelled_by_id_user_account"), ondelete="SET NULL"),
    sa.ForeignKeyConstraint(["course_id"], ["course.id"], name=op.f("fk_assignment_course_id_course")),
    sa.ForeignKeyConstraint(["module_id"], ["module.id"], name=op.f("fk_assignment_module_id_module")),
    sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"], name=op.f("fk_assignment_organisation_id_organisation"), ondelete="CASCADE"),
    sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name=op.f("fk_assignment_user_id_user_account"), ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_assignment"))
    )
    with op.batch_alter_table("assignment", schema=None) as batch_op:
        batch_op.create_index("ix_assignment_org_due", ["organisation_id", "due_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_assignment_organisation_id"), ["organisation_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_assignment_user_id"), ["user_id"], unique=False)

    op.create_table("policy_element_record",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("organisation_id", sa.Integer(), nullable=False),
    sa.Column("element_key", sa.String(length=64), nullable=False),
    sa.Column("status", sa.Enum("not_started", "in_progress", "in_place", name="elementstatus", native_enum=False, length=32), nullable=False),
    sa.Column("in_place_on", sa.Date(), nullable=True),
    sa.Column("review_on", sa.Date(), nullable=True),
    sa.Column("evidence_note", sa.String(length=500), nullable=True),
    sa.Column("document_id", sa.Integer(), nullable=True),
    sa.Column("verification", sa.Enum("unverified", "verified", "returned", name="verification", native_enum=False, length=32), nullable=False),
    sa.Column("verification_comment", sa.String(length=500), nullable=True),
    sa.Column("verified_by_id", sa.Integer(), nullable=True),
    sa.Column("verified_at", portal.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column("updated_by_id", sa.Integer(), nullable=True),
    sa.Column("updated_at", portal.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(["document_id"], ["policy_document.id"], name=op.f("fk_policy_element_record_document_id_policy_document"), ondelete="SET NULL"),
    sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"], name=op.f("fk_policy_element_record_organisation_id_organisation"), ondelete="CASCADE"),
    sa.ForeignKeyConstraint(["updated_by_id"], ["user_account.id"], name=op.f("fk_policy_element_record_updated_by_id_user_account"), ondelete="SET NULL"),
    sa.ForeignKeyConstraint(["verified_by_id"], ["user_account.id"], name=op.f("fk_policy_element_record_verified_by_id_user_account"), ondelete="SET NULL"),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_policy_element_record")),
    sa.UniqueConstraint("organisation_id", "element_key", name=op.f("uq_policy_element_record_organisation_id_element_key"))
    )
    with op.batch_alter_table("policy_element_record", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_policy_element_record_element_key"), ["element_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_policy_element_record_organisation_id"), ["organisation_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_policy_element_record_review_on"), ["review_on"], unique=False)

    op.create_table("policy_element_event",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("record_id", sa.Integer(), nullable=False),
    sa.Column("action", sa.String(length=32), nullable=False),
    sa.Column("status", sa.Enum("not_started", "in_progress", "in_place", name="elementstatus", native_enum=False, length=32), nullable=False),
    sa.Column("verification", sa.Enum("unverified", "verified", "returned", name="verification", native_enum=False, length=32), nullable=False),
    sa.Column("in_place_on", sa.Date(), nullable=True),
    sa.Column("review_on", sa.Date(), nullable=True),
    sa.Column("evidence_note", sa.String(length=500), nullable=True),
    sa.Column("document_id", sa.Integer(), nullable=True),
    sa.Column("comment", sa.String(length=500), nullable=True),
    sa.Column("actor_id", sa.Integer(), nullable=True),
    sa.Column("created_at", portal.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(["actor_id"], ["user_account.id"], name=op.f("fk_policy_element_event_actor_id_user_account"), ondelete="SET NULL"),
    sa.ForeignKeyConstraint(["document_id"], ["policy_document.id"], name=op.f("fk_policy_element_event_document_id_policy_document"), ondelete="SET NULL"),
    sa.ForeignKeyConstraint(["record_id"], ["policy_element_record.id"], name=op.f("fk_policy_element_event_record_id_policy_element_record"), ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_policy_element_event"))
    )
    with op.batch_alter_table("policy_element_event", schema=None) as batch_op:
        batch_op.create_index("ix_policy_element_event_record", ["record_id", "created_at"], unique=False)

    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("champion_contact", sa.String(length=200), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.drop_column("champion_contact")

    with op.batch_alter_table("policy_element_event", schema=None) as batch_op:
        batch_op.drop_index("ix_policy_element_event_record")

    op.drop_table("policy_element_event")
    with op.batch_alter_table("policy_element_record", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_policy_element_record_review_on"))
        batch_op.drop_index(batch_op.f("ix_policy_element_record_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_policy_element_record_element_key"))

    op.drop_table("policy_element_record")
    with op.batch_alter_table("assignment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assignment_user_id"))
        batch_op.drop_index(batch_op.f("ix_assignment_organisation_id"))
        batch_op.drop_index("ix_assignment_org_due")

    op.drop_table("assignment")
    with op.batch_alter_table("policy_document", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_policy_document_organisation_id"))

    op.drop_table("policy_document")
