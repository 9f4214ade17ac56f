"""paycodes: payment-code devices, uses, small-amount settings, guess counters

Revision ID: paycodes_0001
Revises: 0001_core
Create Date: 2026-11-26 13:40:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import onecity.db

revision: str = 'paycodes_0001'
down_revision: str | Sequence[str] | None = '0001_core'
branch_labels: str | Sequence[str] | None = ('paycodes',)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('paycode_device',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=40), nullable=False),
    sa.Column('citizen_id', sa.String(length=40), nullable=False),
    sa.Column('session_id', sa.String(length=40), nullable=True),
    sa.Column('number', sa.String(length=8), nullable=False),
    sa.Column('secret_enc', sa.LargeBinary(), nullable=False),
    sa.Column('label', sa.String(length=80), nullable=False),
    sa.Column('created_at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', onecity.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_used_step', sa.BigInteger(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_paycode_device')),
    sa.UniqueConstraint('number', name=op.f('uq_paycode_device_number')),
    sa.UniqueConstraint('public_id', name=op.f('uq_paycode_device_public_id'))
    )
    with op.batch_alter_table('paycode_device', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_paycode_device_citizen_id'), ['citizen_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_paycode_device_session_id'), ['session_id'], unique=False)

    op.create_table('paycode_use',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=40), nullable=False),
    sa.Column('device_id', sa.Integer(), nullable=False),
    sa.Column('step', sa.BigInteger(), nullable=False),
    sa.Column('merchant_id', sa.String(length=40), nullable=False),
    sa.Column('used_at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['device_id'], ['paycode_device.id'], name=op.f('fk_paycode_use_device_id_paycode_device')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_paycode_use')),
    sa.UniqueConstraint('device_id', 'step', name=op.f('uq_paycode_use_device_id_step')),
    sa.UniqueConstraint('public_id', name=op.f('uq_paycode_use_public_id'))
    )
    with op.batch_alter_table('paycode_use', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_paycode_use_merchant_id'), ['merchant_id'], unique=False)

    op.create_table('paycode_setting',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('citizen_id', sa.String(length=40), nullable=False),
    sa.Column('small_amount_limit_fen', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_paycode_setting')),
    sa.UniqueConstraint('citizen_id', name=op.f('uq_paycode_setting_citizen_id'))
    )
    op.create_table('paycode_guess_counter',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('merchant_id', sa.String(length=40), nullable=False),
    sa.Column('window_start', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_paycode_guess_counter')),
    sa.UniqueConstraint('merchant_id', 'window_start', name=op.f('uq_paycode_guess_counter_merchant_id_window_start'))
    )


def downgrade() -> None:
    op.drop_table('paycode_guess_counter')
    op.drop_table('paycode_setting')
    with op.batch_alter_table('paycode_use', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_paycode_use_merchant_id'))
    op.drop_table('paycode_use')
    with op.batch_alter_table('paycode_device', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_paycode_device_session_id'))
        batch_op.drop_index(batch_op.f('ix_paycode_device_citizen_id'))
    op.drop_table('paycode_device')
