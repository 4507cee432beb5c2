"""training

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 13:00:53.746806
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import portal.models.base

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('course',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('audience', sa.String(length=16), nullable=False),
    sa.Column('required', sa.Boolean(), nullable=False),
    sa.Column('refresher_months', sa.Integer(), nullable=False),
    sa.Column('description_html', sa.Text(), nullable=False),
    sa.Column('retired_at', portal.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('updated_at', portal.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_course')),
    sa.UniqueConstraint('key', name=op.f('uq_course_key'))
    )
    op.create_table('module',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('current_version_id', sa.Integer(), nullable=True),
    sa.Column('retired_at', portal.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['course_id'], ['course.id'], name=op.f('fk_module_course_id_course')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_module')),
    sa.UniqueConstraint('key', name=op.f('uq_module_key'))
    )
    with op.batch_alter_table('module', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_module_course_id'), ['course_id'], unique=False)

    op.create_table('module_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('module_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('minutes', sa.Integer(), nullable=True),
    sa.Column('content_note', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('pass_mark', sa.Integer(), nullable=False),
    sa.Column('questions_per_attempt', sa.Integer(), nullable=True),
    sa.Column('shuffle_answers', sa.Boolean(), nullable=False),
    sa.Column('max_attempts', sa.Integer(), nullable=False),
    sa.Column('sources', sa.JSON(), nullable=False),
    sa.Column('questions', sa.JSON(), nullable=False),
    sa.Column('created_at', portal.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['module_id'], ['module.id'], name=op.f('fk_module_version_module_id_module')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_module_version')),
    sa.UniqueConstraint('module_id', 'content_hash', name=op.f('uq_module_version_module_id_content_hash'))
    )
    with op.batch_alter_table('module_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_module_version_module_id'), ['module_id'], unique=False)
    # module and module_version point at each other: this key can only come once both exist.
    with op.batch_alter_table('module', schema=None) as batch_op:
        batch_op.create_foreign_key(op.f('fk_module_current_version_id_module_version'), 'module_version', ['current_version_id'], ['id'])

    op.create_table('quiz_attempt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('module_id', sa.Integer(), nullable=False),
    sa.Column('module_version_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('in_progress', 'submitted', name='attemptstatus', native_enum=False, length=32), nullable=False),
    sa.Column('drawn', sa.JSON(), nullable=False),
    sa.Column('selected', sa.JSON(), nullable=True),
    sa.Column('correct_count', sa.Integer(), nullable=True),
    sa.Column('score', sa.Integer(), nullable=True),
    sa.Column('passed', sa.Boolean(), nullable=True),
    sa.Column('started_at', portal.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', portal.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint('score IS NULL OR (score >= 0 AND score <= 100)', name=op.f('ck_quiz_attempt_score_range')),
    sa.ForeignKeyConstraint(['module_id'], ['module.id'], name=op.f('fk_quiz_attempt_module_id_module')),
    sa.ForeignKeyConstraint(['module_version_id'], ['module_version.id'], name=op.f('fk_quiz_attempt_module_version_id_module_version')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_quiz_attempt_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quiz_attempt')),
    sa.UniqueConstraint('public_id', name=op.f('uq_quiz_attempt_public_id'))
    )
    with op.batch_alter_table('quiz_attempt', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quiz_attempt_user_id'), ['user_id'], unique=False)
        batch_op.create_index('uq_quiz_attempt_one_in_progress', ['user_id', 'module_id'], unique=True, postgresql_where=sa.text("status = 'in_progress'"), sqlite_where=sa.text("status = 'in_progress'"))

    op.create_table('module_completion',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('module_id', sa.Integer(), nullable=False),
    sa.Column('module_version_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('attempt_id', sa.Integer(), nullable=False),
    sa.Column('completed_at', portal.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['attempt_id'], ['quiz_attempt.id'], name=op.f('fk_module_completion_attempt_id_quiz_attempt')),
    sa.ForeignKeyConstraint(['module_id'], ['module.id'], name=op.f('fk_module_completion_module_id_module')),
    sa.ForeignKeyConstraint(['module_version_id'], ['module_version.id'], name=op.f('fk_module_completion_module_version_id_module_version')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_module_completion_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_module_completion')),
    sa.UniqueConstraint('attempt_id', name=op.f('uq_module_completion_attempt_id'))
    )
    with op.batch_alter_table('module_completion', schema=None) as batch_op:
        batch_op.create_index('ix_module_completion_user_module', ['user_id', 'module_id'], unique=False)

    op.create_table('certificate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('completion_id', sa.Integer(), nullable=False),
    sa.Column('issued_at', portal.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', portal.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['completion_id'], ['module_completion.id'], name=op.f('fk_certificate_completion_id_module_completion')),
    sa.ForeignKeyConstraint(['course_id'], ['course.id'], name=op.f('fk_certificate_course_id_course')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_certificate_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certificate')),
    sa.UniqueConstraint('code', name=op.f('uq_certificate_code')),
    sa.UniqueConstraint('completion_id', name=op.f('uq_certificate_completion_id'))
    )
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.create_index('ix_certificate_user_course', ['user_id', 'course_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.drop_index('ix_certificate_user_course')

    op.drop_table('certificate')
    with op.batch_alter_table('module_completion', schema=None) as batch_op:
        batch_op.drop_index('ix_module_completion_user_module')

    op.drop_table('module_completion')
    with op.batch_alter_table('quiz_attempt', schema=None) as batch_op:
        batch_op.drop_index('uq_quiz_attempt_one_in_progress', postgresql_where=sa.text("status = 'in_progress'"), sqlite_where=sa.text("status = 'in_progress'"))
        batch_op.drop_index(batch_op.f('ix_quiz_attempt_user_id'))

    op.drop_table('quiz_attempt')
    with op.batch_alter_table('module_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_module_version_module_id'))

    with op.batch_alter_table('module', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('fk_module_current_version_id_module_version'), type_='foreignkey')
    op.drop_table('module_version')
    with op.batch_alter_table('module', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_module_course_id'))

    op.drop_table('module')
    op.drop_table('course')
