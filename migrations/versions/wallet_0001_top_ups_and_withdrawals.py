"""wallet: top-ups and withdrawals

Revision ID: wallet_0001
Revises: 0001_core
Create Date: 2026-11-26 13:45:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import onecity.db

revision: str = 'wallet_0001'
down_revision: str | Sequence[str] | None = '0001_core'
branch_labels: str | Sequence[str] | None = ('wallet',)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('wallet_bank_transfer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('citizen_id', sa.String(length=40), nullable=False),
    sa.Column('card_id', sa.String(length=40), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('client_key', sa.String(length=100), nullable=True),
    sa.Column('created_at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('top_up', 'withdrawal')", name=op.f('ck_wallet_bank_transfer_kind_known')),
    sa.CheckConstraint('amount > 0', name=op.f('ck_wallet_bank_transfer_amount_positive')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wallet_bank_transfer')),
    sa.UniqueConstraint('citizen_id', 'client_key', name=op.f('uq_wallet_bank_transfer_citizen_id_client_key')),
    sa.UniqueConstraint('public_id', name=op.f('uq_wallet_bank_transfer_public_id'))
    )
    with op.batch_alter_table('wallet_bank_transfer', schema=None) as batch_op:
        batch_op.create_index('ix_wallet_bank_transfer_citizen', ['citizen_id', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('wallet_bank_transfer', schema=None) as batch_op:
        batch_op.drop_index('ix_wallet_bank_transfer_citizen')

    op.drop_table('wallet_bank_transfer')
