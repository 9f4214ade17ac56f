"""identity: accounts (one-time codes, sessions, rate-limit counters)

Revision ID: identity_0002
Revises: identity_0001
Create Date: 2026-11-26 12:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import onecity.db

revision: str = 'identity_0002'
down_revision: str | Sequence[str] | None = 'identity_0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('citizen', schema=None) as batch_op:
        batch_op.add_column(sa.Column('real_name_masked', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('password_changed_at', onecity.db.UTCDateTime(timezone=True), nullable=True))

    op.create_table('otp_challenge',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=40), nullable=False),
    sa.Column('mobile_index', sa.String(length=64), nullable=False),
    sa.Column('purpose', sa.String(length=16), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('used', sa.Boolean(), nullable=False),
    sa.Column('used_at', onecity.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_otp_challenge')),
    sa.UniqueConstraint('public_id', name=op.f('uq_otp_challenge_public_id'))
    )
    with op.batch_alter_table('otp_challenge', schema=None) as batch_op:
        batch_op.create_index('ix_otp_challenge_mobile_purpose', ['mobile_index', 'purpose', 'created_at'], unique=False)

    op.create_table('auth_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=40), nullable=False),
    sa.Column('token_sha256', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('subject_id', sa.String(length=40), nullable=False),
    sa.Column('credential', sa.String(length=10), nullable=False),
    sa.Column('label', sa.String(length=100), nullable=True),
    sa.Column('user_agent', sa.String(length=300), nullable=True),
    sa.Column('created_at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', onecity.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', onecity.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_auth_session')),
    sa.UniqueConstraint('public_id', name=op.f('uq_auth_session_public_id')),
    sa.UniqueConstraint('token_sha256', name=op.f('uq_auth_session_token_sha256'))
    )
    with op.batch_alter_table('auth_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_auth_session_subject_id'), ['subject_id'], unique=False)

    op.create_table('rate_limit_counter',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bucket', sa.String(length=128), nullable=False),
    sa.Column('window_start', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('hits', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rate_limit_counter')),
    sa.UniqueConstraint('bucket', 'window_start', name=op.f('uq_rate_limit_counter_bucket_window_start'))
    )


def downgrade() -> None:
    op.drop_table('rate_limit_counter')
    with op.batch_alter_table('auth_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_auth_session_subject_id'))
    op.drop_table('auth_session')
    with op.batch_alter_table('otp_challenge', schema=None) as batch_op:
        batch_op.drop_index('ix_otp_challenge_mobile_purpose')
    op.drop_table('otp_challenge')
    with op.batch_alter_table('citizen', schema=None) as batch_op:
        batch_op.drop_column('password_changed_at')
        batch_op.drop_column('real_name_masked')
