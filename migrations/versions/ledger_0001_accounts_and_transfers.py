"""ledger: accounts and transfers

Revision ID: ledger_0001
Revises: 0001_core
Create Date: 2026-11-26 13:40:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import onecity.db

revision: str = 'ledger_0001'
down_revision: str | Sequence[str] | None = '0001_core'
branch_labels: str | Sequence[str] | None = ('ledger',)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('ledger_account',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('owner', sa.String(length=100), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('flags', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=True),
    sa.Column('debits_pending', sa.BigInteger(), nullable=False),
    sa.Column('debits_posted', sa.BigInteger(), nullable=False),
    sa.Column('credits_pending', sa.BigInteger(), nullable=False),
    sa.Column('credits_posted', sa.BigInteger(), nullable=False),
    sa.Column('created_at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('debits_pending >= 0 AND debits_posted >= 0 AND credits_pending >= 0 AND credits_posted >= 0',
                       name=op.f('ck_ledger_account_balances_non_negative')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_account')),
    sa.UniqueConstraint('key', name=op.f('uq_ledger_account_key')),
    postgresql_with={'fillfactor': 50},
    )
    op.create_table('ledger_transfer',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('transfer_id', sa.String(length=100), nullable=False),
    sa.Column('debit_account_id', sa.String(length=40), nullable=False),
    sa.Column('credit_account_id', sa.String(length=40), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('ref', sa.String(length=200), nullable=True),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('pending_id', sa.String(length=100), nullable=True),
    sa.Column('timeout_at', onecity.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('group_id', sa.String(length=40), nullable=True),
    sa.Column('created_at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('amount > 0', name=op.f('ck_ledger_transfer_amount_positive')),
    sa.CheckConstraint('debit_account_id <> credit_account_id', name=op.f('ck_ledger_transfer_distinct_accounts')),
    sa.CheckConstraint("kind IN ('single', 'pending', 'post', 'void')", name=op.f('ck_ledger_transfer_kind_known')),
    sa.CheckConstraint("status IN ('posted', 'pending', 'voided', 'expired')",
                       name=op.f('ck_ledger_transfer_status_known')),
    sa.ForeignKeyConstraint(['credit_account_id'], ['ledger_account.id'],
                            name=op.f('fk_ledger_transfer_credit_account_id_ledger_account')),
    sa.ForeignKeyConstraint(['debit_account_id'], ['ledger_account.id'],
                            name=op.f('fk_ledger_transfer_debit_account_id_ledger_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_transfer')),
    sa.UniqueConstraint('transfer_id', name=op.f('uq_ledger_transfer_transfer_id'))
    )
    with op.batch_alter_table('ledger_transfer', schema=None) as batch_op:
        batch_op.create_index('ix_ledger_transfer_credit', ['credit_account_id', 'id'], unique=False)
        batch_op.create_index('ix_ledger_transfer_debit', ['debit_account_id', 'id'], unique=False)
        batch_op.create_index('ix_ledger_transfer_ref', ['ref'], unique=False,
                              postgresql_where=sa.text('ref IS NOT NULL'), sqlite_where=sa.text('ref IS NOT NULL'))
        batch_op.create_index('ix_ledger_transfer_pending_timeout', ['timeout_at'], unique=False,
                              postgresql_where=sa.text("status = 'pending'"),
                              sqlite_where=sa.text("status = 'pending'"))


def downgrade() -> None:
    with op.batch_alter_table('ledger_transfer', schema=None) as batch_op:
        batch_op.drop_index('ix_ledger_transfer_pending_timeout')
        batch_op.drop_index('ix_ledger_transfer_ref')
        batch_op.drop_index('ix_ledger_transfer_debit')
        batch_op.drop_index('ix_ledger_transfer_credit')

    op.drop_table('ledger_transfer')
    op.drop_table('ledger_account')
