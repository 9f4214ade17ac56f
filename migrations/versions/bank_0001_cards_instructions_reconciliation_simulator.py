"""bank: bank cards, instructions to banks, reconciliation, the simulated bank

Revision ID: bank_0001
Revises: 0001_core
Create Date: 2026-11-26 13:45:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import onecity.db

revision: str = 'bank_0001'
down_revision: str | Sequence[str] | None = '0001_core'
branch_labels: str | Sequence[str] | None = ('bank',)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('bank_card',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=40), nullable=False),
    sa.Column('citizen_id', sa.String(length=40), nullable=False),
    sa.Column('bank_code', sa.String(length=10), nullable=False),
    sa.Column('number_enc', sa.LargeBinary(), nullable=False),
    sa.Column('number_index', sa.String(length=64), nullable=False),
    sa.Column('masked', sa.String(length=30), nullable=False),
    sa.Column('holder_masked', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('created_at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('unbound_at', onecity.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bank_card')),
    sa.UniqueConstraint('citizen_id', 'number_index', name=op.f('uq_bank_card_citizen_id_number_index')),
    sa.UniqueConstraint('public_id', name=op.f('uq_bank_card_public_id'))
    )
    with op.batch_alter_table('bank_card', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bank_card_citizen_id'), ['citizen_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_bank_card_number_index'), ['number_index'], unique=False)

    op.create_table('bank_instruction',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=40), nullable=False),
    sa.Column('client_ref', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('purpose', sa.String(length=60), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('citizen_id', sa.String(length=40), nullable=True),
    sa.Column('card_id', sa.String(length=40), nullable=True),
    sa.Column('bank_code', sa.String(length=10), nullable=True),
    sa.Column('account_enc', sa.LargeBinary(), nullable=False),
    sa.Column('account_masked', sa.String(length=30), nullable=False),
    sa.Column('holder_enc', sa.LargeBinary(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('ledger_account', sa.String(length=40), nullable=False),
    sa.Column('pending_transfer_id', sa.String(length=100), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_action_at', onecity.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('bank_ref', sa.String(length=64), nullable=True),
    sa.Column('bank_completed_at', onecity.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('bank_date', sa.Date(), nullable=True),
    sa.Column('failure_code', sa.String(length=40), nullable=True),
    sa.Column('resolved_by', sa.String(length=20), nullable=True),
    sa.Column('created_at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("state IN ('created', 'submitted', 'unknown', 'succeeded', 'failed')", name=op.f('ck_bank_instruction_state_known')),
    sa.CheckConstraint('amount > 0', name=op.f('ck_bank_instruction_amount_positive')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bank_instruction')),
    sa.UniqueConstraint('client_ref', name=op.f('uq_bank_instruction_client_ref')),
    sa.UniqueConstraint('public_id', name=op.f('uq_bank_instruction_public_id'))
    )
    with op.batch_alter_table('bank_instruction', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bank_instruction_citizen_id'), ['citizen_id'], unique=False)
        batch_op.create_index('ix_bank_instruction_done', ['bank_date', 'state'], unique=False)
        batch_op.create_index('ix_bank_instruction_due', ['state', 'next_action_at'], unique=False)

    op.create_table('bank_reconciliation_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=40), nullable=False),
    sa.Column('business_date', sa.Date(), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('started_at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('statement_lines', sa.Integer(), nullable=False),
    sa.Column('matched', sa.Integer(), nullable=False),
    sa.Column('resolved', sa.Integer(), nullable=False),
    sa.Column('open', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bank_reconciliation_run')),
    sa.UniqueConstraint('public_id', name=op.f('uq_bank_reconciliation_run_public_id'))
    )
    with op.batch_alter_table('bank_reconciliation_run', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bank_reconciliation_run_business_date'), ['business_date'], unique=False)

    op.create_table('bank_sim_account',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number_index', sa.String(length=64), nullable=False),
    sa.Column('last4', sa.String(length=4), nullable=False),
    sa.Column('holder_index', sa.String(length=64), nullable=False),
    sa.Column('balance', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('created_at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bank_sim_account')),
    sa.UniqueConstraint('number_index', name=op.f('uq_bank_sim_account_number_index'))
    )
    op.create_table('bank_sim_callback',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.String(length=40), nullable=False),
    sa.Column('due_at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('delivered_at', onecity.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bank_sim_callback'))
    )
    with op.batch_alter_table('bank_sim_callback', schema=None) as batch_op:
        batch_op.create_index('ix_bank_sim_callback_due', ['delivered_at', 'due_at'], unique=False)

    op.create_table('bank_sim_submission',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.String(length=40), nullable=False),
    sa.Column('outcome', sa.String(length=10), nullable=False),
    sa.Column('timed_out', sa.Boolean(), nullable=False),
    sa.Column('at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bank_sim_submission'))
    )
    with op.batch_alter_table('bank_sim_submission', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bank_sim_submission_request_id'), ['request_id'], unique=False)

    op.create_table('bank_reconciliation_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('instruction_id', sa.String(length=40), nullable=True),
    sa.Column('bank_ref', sa.String(length=64), nullable=True),
    sa.Column('our_amount', sa.BigInteger(), nullable=True),
    sa.Column('bank_amount', sa.BigInteger(), nullable=True),
    sa.Column('resolution', sa.String(length=10), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['bank_reconciliation_run.id'], name=op.f('fk_bank_reconciliation_item_run_id_bank_reconciliation_run')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bank_reconciliation_item'))
    )
    with op.batch_alter_table('bank_reconciliation_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bank_reconciliation_item_run_id'), ['run_id'], unique=False)

    op.create_table('bank_sim_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.String(length=40), nullable=False),
    sa.Column('bank_ref', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('holder_index', sa.String(length=64), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('failure_code', sa.String(length=40), nullable=True),
    sa.Column('received_at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decide_at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('completed_at', onecity.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('statement_date', sa.Date(), nullable=True),
    sa.Column('fate', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['bank_sim_account.id'], name=op.f('fk_bank_sim_request_account_id_bank_sim_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bank_sim_request')),
    sa.UniqueConstraint('bank_ref', name=op.f('uq_bank_sim_request_bank_ref')),
    sa.UniqueConstraint('request_id', name=op.f('uq_bank_sim_request_request_id'))
    )
    with op.batch_alter_table('bank_sim_request', schema=None) as batch_op:
        batch_op.create_index('ix_bank_sim_request_due', ['status', 'decide_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_bank_sim_request_statement_date'), ['statement_date'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('bank_sim_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bank_sim_request_statement_date'))
        batch_op.drop_index('ix_bank_sim_request_due')

    op.drop_table('bank_sim_request')
    with op.batch_alter_table('bank_reconciliation_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bank_reconciliation_item_run_id'))

    op.drop_table('bank_reconciliation_item')
    with op.batch_alter_table('bank_sim_submission', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bank_sim_submission_request_id'))

    op.drop_table('bank_sim_submission')
    with op.batch_alter_table('bank_sim_callback', schema=None) as batch_op:
        batch_op.drop_index('ix_bank_sim_callback_due')

    op.drop_table('bank_sim_callback')
    op.drop_table('bank_sim_account')
    with op.batch_alter_table('bank_reconciliation_run', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bank_reconciliation_run_business_date'))

    op.drop_table('bank_reconciliation_run')
    with op.batch_alter_table('bank_instruction', schema=None) as batch_op:
        batch_op.drop_index('ix_bank_instruction_due')
        batch_op.drop_index('ix_bank_instruction_done')
        batch_op.drop_index(batch_op.f('ix_bank_instruction_citizen_id'))

    op.drop_table('bank_instruction')
    with op.batch_alter_table('bank_card', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bank_card_number_index'))
        batch_op.drop_index(batch_op.f('ix_bank_card_citizen_id'))

    op.drop_table('bank_card')
