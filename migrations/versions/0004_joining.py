"""joining the scheme: organisation details, sites, commitment signatures, invitations, drafts

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21 13:02:22.960686
"""

from __future__ import annotations

import re
import unicodedata

import sqlalchemy as sa
from alembic import op

import portal.models.base

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('join_draft',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=True),
    sa.Column('created_at', portal.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_join_draft'))
    )
    with op.batch_alter_table('join_draft', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_join_draft_created_at'), ['created_at'], unique=False)

    op.create_table('commitment_signature',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('signatory_name', sa.String(length=200), nullable=False),
    sa.Column('signatory_job_title', sa.String(length=100), nullable=False),
    sa.Column('signed_by_id', sa.Integer(), nullable=True),
    sa.Column('signed_at', portal.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_commitment_signature_organisation_id_organisation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['signed_by_id'], ['user_account.id'], name=op.f('fk_commitment_signature_signed_by_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_commitment_signature'))
    )
    with op.batch_alter_table('commitment_signature', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_commitment_signature_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('site',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('borough', sa.Enum('halton', 'knowsley', 'liverpool', 'sefton', 'st_helens', 'wirral', 'outside', name='borough', native_enum=False, length=32), nullable=False),
    sa.Column('headcount', sa.Integer(), nullable=False),
    sa.Column('created_at', portal.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('headcount >= 1', name=op.f('ck_site_headcount_positive')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_site_organisation_id_organisation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_site')),
    sa.UniqueConstraint('organisation_id', 'name', name=op.f('uq_site_organisation_id_name'))
    )
    with op.batch_alter_table('site', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_site_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('invitation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.Enum('hr_lead', 'champion', name='orgrole', native_enum=False, length=32), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('full_name', sa.String(length=200), nullable=False),
    sa.Column('job_title', sa.String(length=100), nullable=True),
    sa.Column('site_id', sa.Integer(), nullable=True),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('invited_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', portal.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', portal.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_sent_at', portal.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('resend_day', sa.Date(), nullable=True),
    sa.Column('resends_on_day', sa.Integer(), nullable=False),
    sa.Column('accepted_at', portal.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('accepted_by_id', sa.Integer(), nullable=True),
    sa.Column('revoked_at', portal.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint('email = lower(email)', name=op.f('ck_invitation_email_lower_case')),
    sa.ForeignKeyConstraint(['accepted_by_id'], ['user_account.id'], name=op.f('fk_invitation_accepted_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['invited_by_id'], ['user_account.id'], name=op.f('fk_invitation_invited_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_invitation_organisation_id_organisation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], name=op.f('fk_invitation_site_id_site'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invitation')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_invitation_token_hash'))
    )
    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invitation_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index('uq_invitation_open_email', ['organisation_id', 'email'], unique=True, sqlite_where=sa.text('accepted_at IS NULL AND revoked_at IS NULL'), postgresql_where=sa.text('accepted_at IS NULL AND revoked_at IS NULL'))

    with op.batch_alter_table('membership', schema=None) as batch_op:
        batch_op.add_column(sa.Column('site_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('job_title', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('withdrawal_reason', sa.Enum('left_organisation', 'stepped_down', 'not_able_to_continue', 'other', name='withdrawalreason', native_enum=False, length=32), nullable=True))
        batch_op.create_index(batch_op.f('ix_membership_site_id'), ['site_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_membership_site_id_site'), 'site', ['site_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_key', sa.String(length=200), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('registered_number', sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column('sector', sa.Enum('public', 'private', 'voluntary', 'education', 'health_and_care', 'other', name='sector', native_enum=False, length=32), nullable=False, server_default='other'))
        batch_op.add_column(sa.Column('listed_publicly', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('status_reason', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('status_changed_at', portal.models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('submitted_at', portal.models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('approved_at', portal.models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('renewal_due_on', sa.Date(), nullable=True))
        batch_op.create_index(batch_op.f('ix_organisation_name_key'), ['name_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_organisation_registered_number'), ['registered_number'], unique=False)
        batch_op.create_index(batch_op.f('ix_organisation_submitted_at'), ['submitted_at'], unique=False)

    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_verified_at', portal.models.base.UTCDateTime(timezone=True), nullable=True))

    _fill_new_columns()


def _normalise_name(name: str) -> str:
    """A frozen copy of portal.models.organisations.normalise_name as it was in this revision."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    text = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    text = re.sub(r"[^\w\s]|_", " ", text.replace("&", " and "))
    text = re.sub(r"\b(?:ltd|limited)\b", " ", text)
    return " ".join(text.split())


def _fill_new_columns() -> None:
    """Existing organisations get their name key; existing accounts pre-date confirmation links."""
    connection = op.get_bind()
    organisation = sa.table("organisation", sa.column("id"), sa.column("name"),
                            sa.column("name_key"))
    for row in connection.execute(sa.select(organisation.c.id, organisation.c.name)):
        connection.execute(organisation.update().where(organisation.c.id == row.id)
                           .values(name_key=_normalise_name(row.name)))
    user = sa.table("user_account", sa.column("email_verified_at"), sa.column("created_at"))
    connection.execute(user.update().values(email_verified_at=user.c.created_at))



def downgrade() -> None:
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('email_verified_at')

    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_organisation_submitted_at'))
        batch_op.drop_index(batch_op.f('ix_organisation_registered_number'))
        batch_op.drop_index(batch_op.f('ix_organisation_name_key'))
        batch_op.drop_column('renewal_due_on')
        batch_op.drop_column('approved_at')
        batch_op.drop_column('submitted_at')
        batch_op.drop_column('status_changed_at')
        batch_op.drop_column('status_reason')
        batch_op.drop_column('listed_publicly')
        batch_op.drop_column('sector')
        batch_op.drop_column('registered_number')
        batch_op.drop_column('name_key')

    with op.batch_alter_table('membership', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_membership_site_id_site'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_membership_site_id'))
        batch_op.drop_column('withdrawal_reason')
        batch_op.drop_column('job_title')
        batch_op.drop_column('site_id')

    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.drop_index('uq_invitation_open_email', sqlite_where=sa.text('accepted_at IS NULL AND revoked_at IS NULL'), postgresql_where=sa.text('accepted_at IS NULL AND revoked_at IS NULL'))
        batch_op.drop_index(batch_op.f('ix_invitation_organisation_id'))

    op.drop_table('invitation')
    with op.batch_alter_table('site', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_site_organisation_id'))

    op.drop_table('site')
    with op.batch_alter_table('commitment_signature', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_commitment_signature_organisation_id'))

    op.drop_table('commitment_signature')
    with op.batch_alter_table('join_draft', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_join_draft_created_at'))

    op.drop_table('join_draft')
