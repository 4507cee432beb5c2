"""live sessions with bookings and attendance; renewal windows; revocable certificates

Courses may require a live session; sessions are booked (with a waiting list) and attendance is
marked; certificates can be revoked with a reason from a list and their holders may show their
full name on the public check; e-mails may carry one attachment (a calendar invitation).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 16:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import portal.models.base

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

ACTIVE = "status IN ('booked', 'waiting')"


def upgrade() -> None:
    with op.batch_alter_table("course", schema=None) as batch_op:
        batch_op.add_column(sa.Column("requires_live_session", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column("renewal_window_months", sa.Integer(), nullable=False,
                                      server_default="0"))
        batch_op.add_column(sa.Column("renewal_grace_months", sa.Integer(), nullable=False,
                                      server_default="0"))

    with op.batch_alter_table("module", schema=None) as batch_op:
        batch_op.add_column(sa.Column("in_refresher", sa.Boolean(), nullable=False,
                                      server_default=sa.true()))

    with op.batch_alter_table("certificate", schema=None) as batch_op:
        batch_op.add_column(sa.Column("revoked_at", portal.models.base.UTCDateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column("revoked_reason", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("revoked_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("show_full_name", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.create_foreign_key(batch_op.f("fk_certificate_revoked_by_id_user_account"),
                                    "user_account", ["revoked_by_id"], ["id"],
                                    ondelete="SET NULL")

    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attachment_name", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("attachment_type", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("attachment_text", sa.Text(), nullable=True))

    op.create_table("live_session",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("course_id", sa.Integer(), nullable=False),
    sa.Column("mode", sa.Enum("in_person", "online", name="sessionmode", native_enum=False, length=32), nullable=False),
    sa.Column("venue", sa.String(length=200), nullable=False),
    sa.Column("borough", sa.Enum("halton", "knowsley", "liverpool", "sefton", "st_helens", "wirral", "outside", name="borough", native_enum=False, length=32), nullable=True),
    sa.Column("access_info", sa.Text(), nullable=False),
    sa.Column("joining_link", sa.String(length=500), nullable=False),
    sa.Column("starts_at", portal.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column("ends_at", portal.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column("capacity", sa.Integer(), nullable=False),
    sa.Column("booked_count", sa.Integer(), nullable=False),
    sa.Column("trainer_id", sa.Integer(), nullable=True),
    sa.Column("created_by_id", sa.Integer(), nullable=True),
    sa.Column("created_at", portal.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("capacity > 0", name=op.f("ck_live_session_capacity_positive")),
    sa.CheckConstraint("booked_count >= 0 AND booked_count <= capacity", name=op.f("ck_live_session_booked_within_capacity")),
    sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_live_session_ends_after_start")),
    sa.ForeignKeyConstraint(["course_id"], ["course.id"], name=op.f("fk_live_session_course_id_course")),
    sa.ForeignKeyConstraint(["trainer_id"], ["user_account.id"], name=op.f("fk_live_session_trainer_id_user_account"), ondelete="SET NULL"),
    sa.ForeignKeyConstraint(["created_by_id"], ["user_account.id"], name=op.f("fk_live_session_created_by_id_user_account"), ondelete="SET NULL"),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_live_session"))
    )
    with op.batch_alter_table("live_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_live_session_course_id"), ["course_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_live_session_trainer_id"), ["trainer_id"], unique=False)
        batch_op.create_index("ix_live_session_starts_at", ["starts_at"], unique=False)

    op.create_table("session_booking",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("session_id", sa.Integer(), nullable=False),
    sa.Column("user_id", sa.Integer(), nullable=False),
    sa.Column("status", sa.Enum("booked", "waiting", "cancelled", name="bookingstatus", native_enum=False, length=32), nullable=False),
    sa.Column("booked_by_id", sa.Integer(), nullable=True),
    sa.Column("created_at", portal.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column("promoted_at", portal.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column("cancelled_at", portal.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column("attendance", sa.Enum("attended", "absent", "left_early", name="attendance", native_enum=False, length=32), nullable=True),
    sa.Column("attendance_marked_at", portal.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column("attendance_marked_by_id", sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(["session_id"], ["live_session.id"], name=op.f("fk_session_booking_session_id_live_session"), ondelete="CASCADE"),
    sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name=op.f("fk_session_booking_user_id_user_account"), ondelete="CASCADE"),
    sa.ForeignKeyConstraint(["booked_by_id"], ["user_account.id"], name=op.f("fk_session_booking_booked_by_id_user_account"), ondelete="SET NULL"),
    sa.ForeignKeyConstraint(["attendance_marked_by_id"], ["user_account.id"], name=op.f("fk_session_booking_attendance_marked_by_id_user_account"), ondelete="SET NULL"),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_session_booking"))
    )
    with op.batch_alter_table("session_booking", schema=None) as batch_op:
        batch_op.create_index("uq_session_booking_active", ["session_id", "user_id"], unique=True, sqlite_where=sa.text(ACTIVE), postgresql_where=sa.text(ACTIVE))
        batch_op.create_index("ix_session_booking_user", ["user_id"], unique=False)
        batch_op.create_index("ix_session_booking_queue", ["session_id", "status", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("session_booking", schema=None) as batch_op:
        batch_op.drop_index("ix_session_booking_queue")
        batch_op.drop_index("ix_session_booking_user")
        batch_op.drop_index("uq_session_booking_active", sqlite_where=sa.text(ACTIVE), postgresql_where=sa.text(ACTIVE))
    op.drop_table("session_booking")
    with op.batch_alter_table("live_session", schema=None) as batch_op:
        batch_op.drop_index("ix_live_session_starts_at")
        batch_op.drop_index(batch_op.f("ix_live_session_trainer_id"))
        batch_op.drop_index(batch_op.f("ix_live_session_course_id"))
    op.drop_table("live_session")

    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_column("attachment_text")
        batch_op.drop_column("attachment_type")
        batch_op.drop_column("attachment_name")

    with op.batch_alter_table("certificate", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_certificate_revoked_by_id_user_account"), type_="foreignkey")
        batch_op.drop_column("show_full_name")
        batch_op.drop_column("revoked_by_id")
        batch_op.drop_column("revoked_reason")
        batch_op.drop_column("revoked_at")

    with op.batch_alter_table("module", schema=None) as batch_op:
        batch_op.drop_column("in_refresher")

    with op.batch_alter_table("course", schema=None) as batch_op:
        batch_op.drop_column("renewal_grace_months")
        batch_op.drop_column("renewal_window_months")
        batch_op.drop_column("requires_live_session")
