"""support directory: services, the areas they cover and the kinds of help they give

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21 13:02:21.400581
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import portal.models.base

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('support_service',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('summary', sa.String(length=1000), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=True),
    sa.Column('phone_note', sa.String(length=300), nullable=True),
    sa.Column('text_or_chat', sa.String(length=500), nullable=True),
    sa.Column('website', sa.String(length=500), nullable=True),
    sa.Column('email', sa.String(length=320), nullable=True),
    sa.Column('hours', sa.String(length=300), nullable=True),
    sa.Column('open_24_hours', sa.Boolean(), nullable=True),
    sa.Column('search_text', sa.Text(), nullable=False),
    sa.Column('last_checked_at', sa.Date(), nullable=False),
    sa.Column('last_checked_by_id', sa.Integer(), nullable=True),
    sa.Column('retired_at', portal.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('loaded_hash', sa.String(length=64), nullable=True),
    sa.Column('created_at', portal.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', portal.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['last_checked_by_id'], ['user_account.id'], name=op.f('fk_support_service_last_checked_by_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_service')),
    sa.UniqueConstraint('key', name=op.f('uq_support_service_key'))
    )
    with op.batch_alter_table('support_service', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_support_service_last_checked_at'), ['last_checked_at'], unique=False)

    op.create_table('support_service_borough',
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('borough', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['service_id'], ['support_service.id'], name=op.f('fk_support_service_borough_service_id_support_service'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('service_id', 'borough', name=op.f('pk_support_service_borough'))
    )
    with op.batch_alter_table('support_service_borough', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_support_service_borough_borough'), ['borough'], unique=False)

    op.create_table('support_service_category',
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['service_id'], ['support_service.id'], name=op.f('fk_support_service_category_service_id_support_service'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('service_id', 'category', name=op.f('pk_support_service_category'))
    )
    with op.batch_alter_table('support_service_category', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_support_service_category_category'), ['category'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('support_service_category', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_support_service_category_category'))

    op.drop_table('support_service_category')
    with op.batch_alter_table('support_service_borough', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_support_service_borough_borough'))

    op.drop_table('support_service_borough')
    with op.batch_alter_table('support_service', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_support_service_last_checked_at'))

    op.drop_table('support_service')
