"""each role's training status, for the coordinators' dashboard without its cache (issue 22)

One row per membership with the dates the dashboard compares with the clock (first and latest
certificate of a required champion course, whether one never expires, the latest expiry of
those not revoked, the earliest pending assignment's due date) and copies of what it groups by.
services/training_status.py keeps it in step; this backfill is its rule as of this revision.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 19:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import portal.models.base

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

BACKFILL = """
INSERT INTO training_status (membership_id, organisation_id, site_id, champion, current,
    joined_at, record_key, first_certified_at, last_certified_at, never_expires,
    certified_until, first_due_on)
SELECT m.id, m.organisation_id, m.site_id, m.role = 'champion', m.withdrawn_at IS NULL,
    m.created_at, m.record_key, c.first_issued, c.last_issued, coalesce(c.never, 0) = 1,
    c.until, p.due_on
FROM membership AS m
LEFT OUTER JOIN (
    SELECT user_id, min(issued_at) AS first_issued, max(issued_at) AS last_issued,
        max(CASE WHEN revoked_at IS NULL AND expires_at IS NULL THEN 1 ELSE 0 END) AS never,
        max(CASE WHEN revoked_at IS NULL THEN expires_at END) AS until
    FROM certificate
    WHERE course_id IN (SELECT id FROM course
                        WHERE required AND audience IN ('champion', 'all'))
    GROUP BY user_id) AS c ON c.user_id = m.user_id
LEFT OUTER JOIN (
    SELECT organisation_id, user_id, min(due_on) AS due_on
    FROM assignment
    WHERE cancelled_at IS NULL AND completed_at IS NULL
    GROUP BY organisation_id, user_id) AS p
    ON p.user_id = m.user_id AND p.organisation_id = m.organisation_id
"""


def upgrade() -> None:
    op.create_table(
        "training_status",
        sa.Column("membership_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=True),
        sa.Column("champion", sa.Boolean(), nullable=False),
        sa.Column("current", sa.Boolean(), nullable=False),
        sa.Column("joined_at", portal.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("record_key", sa.SmallInteger(), nullable=False),
        sa.Column("first_certified_at", portal.models.base.UTCDateTime(timezone=True),
                  nullable=True),
        sa.Column("last_certified_at", portal.models.base.UTCDateTime(timezone=True),
                  nullable=True),
        sa.Column("never_expires", sa.Boolean(), nullable=False),
        sa.Column("certified_until", portal.models.base.UTCDateTime(timezone=True),
                  nullable=True),
        sa.Column("first_due_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["membership_id"], ["membership.id"],
                                name=op.f("fk_training_status_membership_id_membership"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"],
                                name=op.f("fk_training_status_organisation_id_organisation"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"],
                                name=op.f("fk_training_status_site_id_site"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("membership_id", name=op.f("pk_training_status")),
    )
    with op.batch_alter_table("training_status", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_training_status_organisation_id"),
                              ["organisation_id"], unique=False)
    op.execute(BACKFILL)


def downgrade() -> None:
    with op.batch_alter_table("training_status", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_training_status_organisation_id"))
    op.drop_table("training_status")
