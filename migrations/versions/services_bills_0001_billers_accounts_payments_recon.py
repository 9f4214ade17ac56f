"""services bills: biller profiles, bill accounts, payments, autopay runs, reconciliation files, simulator

Revision ID: services_bills_0001
Revises:
Create Date: 2026-11-26 19:10:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import onecity.db

revision: str = "services_bills_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("services_bills",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('svc_bill_accounts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=40), nullable=False),
    sa.Column('citizen_id', sa.String(length=40), nullable=False),
    sa.Column('biller_org_id', sa.String(length=40), nullable=False),
    sa.Column('number_enc', sa.LargeBinary(), nullable=False),
    sa.Column('number_index', sa.String(length=64), nullable=False),
    sa.Column('number_masked', sa.String(length=40), nullable=False),
    sa.Column('alias', sa.String(length=40), nullable=False),
    sa.Column('autopay', sa.Boolean(), nullable=False),
    sa.Column('autopay_limit', sa.BigInteger(), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('created_at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_svc_bill_accounts')),
    sa.UniqueConstraint('public_id', name=op.f('uq_svc_bill_accounts_public_id'))
    )
    op.create_index('ix_svc_bill_accounts_number', 'svc_bill_accounts', ['citizen_id', 'biller_org_id', 'number_index'], unique=True)
    op.create_index('ix_svc_bill_accounts_owner', 'svc_bill_accounts', ['citizen_id', 'status'], unique=False)
    op.create_table('svc_bill_billers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.String(length=40), nullable=False),
    sa.Column('product', sa.String(length=16), nullable=False),
    sa.Column('account_pattern', sa.String(length=200), nullable=False),
    sa.Column('check_digit', sa.String(length=10), nullable=False),
    sa.Column('account_hint_zh', sa.String(length=100), nullable=True),
    sa.Column('account_hint_en', sa.String(length=100), nullable=True),
    sa.Column('connector', sa.String(length=16), nullable=False),
    sa.Column('endpoint', sa.String(length=300), nullable=True),
    sa.Column('topup_amounts', sa.JSON(), nullable=False),
    sa.Column('recon_enabled', sa.Boolean(), nullable=False),
    sa.Column('recon_mask_accounts', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('created_at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_svc_bill_billers')),
    sa.UniqueConstraint('org_id', name=op.f('uq_svc_bill_billers_org_id'))
    )
    op.create_table('svc_bill_recon_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=40), nullable=False),
    sa.Column('biller_org_id', sa.String(length=40), nullable=False),
    sa.Column('business_date', sa.Date(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('total', sa.BigInteger(), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('signature', sa.String(length=200), nullable=False),
    sa.Column('key_id', sa.String(length=16), nullable=False),
    sa.Column('created_at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_svc_bill_recon_files')),
    sa.UniqueConstraint('public_id', name=op.f('uq_svc_bill_recon_files_public_id'))
    )
    op.create_index('ix_svc_bill_recon_files_day', 'svc_bill_recon_files', ['biller_org_id', 'business_date'], unique=True)
    op.create_table('svc_bill_sim_accounts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('biller_org_id', sa.String(length=40), nullable=False),
    sa.Column('account_no', sa.String(length=40), nullable=False),
    sa.Column('holder_masked', sa.String(length=40), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_svc_bill_sim_accounts'))
    )
    op.create_index('ix_svc_bill_sim_accounts_no', 'svc_bill_sim_accounts', ['biller_org_id', 'account_no'], unique=True)
    op.create_table('svc_bill_sim_advices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ref', sa.String(length=40), nullable=False),
    sa.Column('biller_org_id', sa.String(length=40), nullable=False),
    sa.Column('bill_id', sa.String(length=64), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('biller_ref', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('failure_code', sa.String(length=40), nullable=True),
    sa.Column('fate', sa.JSON(), nullable=False),
    sa.Column('received', sa.Integer(), nullable=False),
    sa.Column('received_at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decide_at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decided_at', onecity.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_svc_bill_sim_advices')),
    sa.UniqueConstraint('ref', name=op.f('uq_svc_bill_sim_advices_ref'))
    )
    op.create_table('svc_bill_sim_bills',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('biller_org_id', sa.String(length=40), nullable=False),
    sa.Column('account_no', sa.String(length=40), nullable=False),
    sa.Column('bill_id', sa.String(length=64), nullable=False),
    sa.Column('holder_masked', sa.String(length=40), nullable=False),
    sa.Column('period', sa.String(length=20), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('paid_ref', sa.String(length=40), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_svc_bill_sim_bills'))
    )
    op.create_index('ix_svc_bill_sim_bills_account', 'svc_bill_sim_bills', ['biller_org_id', 'account_no'], unique=False)
    op.create_index('ix_svc_bill_sim_bills_bill', 'svc_bill_sim_bills', ['biller_org_id', 'bill_id'], unique=True)
    op.create_table('svc_bill_autopay_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_key', sa.String(length=160), nullable=False),
    sa.Column('account_row_id', sa.Integer(), nullable=False),
    sa.Column('bill_id', sa.String(length=64), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('payment_id', sa.String(length=40), nullable=True),
    sa.Column('detail', sa.String(length=200), nullable=True),
    sa.Column('created_at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_row_id'], ['svc_bill_accounts.id'], name=op.f('fk_svc_bill_autopay_runs_account_row_id_svc_bill_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_svc_bill_autopay_runs')),
    sa.UniqueConstraint('run_key', name=op.f('uq_svc_bill_autopay_runs_run_key'))
    )
    op.create_index(op.f('ix_svc_bill_autopay_runs_account_row_id'), 'svc_bill_autopay_runs', ['account_row_id'], unique=False)
    op.create_table('svc_bill_payments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=40), nullable=False),
    sa.Column('bill_key', sa.String(length=120), nullable=True),
    sa.Column('account_row_id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.String(length=40), nullable=False),
    sa.Column('owner_id', sa.String(length=40), nullable=False),
    sa.Column('payer_id', sa.String(length=40), nullable=False),
    sa.Column('biller_org_id', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('bill_id', sa.String(length=64), nullable=False),
    sa.Column('period', sa.String(length=20), nullable=True),
    sa.Column('due_date', sa.Date(), nullable=True),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('via', sa.String(length=10), nullable=False),
    sa.Column('state', sa.String(length=14), nullable=False),
    sa.Column('biller_ref', sa.String(length=64), nullable=True),
    sa.Column('acks', sa.Integer(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_action_at', onecity.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.String(length=200), nullable=True),
    sa.Column('failure_code', sa.String(length=40), nullable=True),
    sa.Column('transfer_id', sa.String(length=100), nullable=False),
    sa.Column('refund_transfer_id', sa.String(length=100), nullable=True),
    sa.Column('created_at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('confirmed_at', onecity.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['account_row_id'], ['svc_bill_accounts.id'], name=op.f('fk_svc_bill_payments_account_row_id_svc_bill_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_svc_bill_payments')),
    sa.UniqueConstraint('bill_key', name=op.f('uq_svc_bill_payments_bill_key')),
    sa.UniqueConstraint('public_id', name=op.f('uq_svc_bill_payments_public_id'))
    )
    op.create_index('ix_svc_bill_payments_account', 'svc_bill_payments', ['account_row_id', 'created_at'], unique=False)
    op.create_index('ix_svc_bill_payments_biller_day', 'svc_bill_payments', ['biller_org_id', 'state', 'confirmed_at'], unique=False)
    op.create_index('ix_svc_bill_payments_due', 'svc_bill_payments', ['state', 'next_action_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_svc_bill_payments_due', table_name='svc_bill_payments')
    op.drop_index('ix_svc_bill_payments_biller_day', table_name='svc_bill_payments')
    op.drop_index('ix_svc_bill_payments_account', table_name='svc_bill_payments')
    op.drop_table('svc_bill_payments')
    op.drop_index(op.f('ix_svc_bill_autopay_runs_account_row_id'), table_name='svc_bill_autopay_runs')
    op.drop_table('svc_bill_autopay_runs')
    op.drop_index('ix_svc_bill_sim_bills_bill', table_name='svc_bill_sim_bills')
    op.drop_index('ix_svc_bill_sim_bills_account', table_name='svc_bill_sim_bills')
    op.drop_table('svc_bill_sim_bills')
    op.drop_table('svc_bill_sim_advices')
    op.drop_index('ix_svc_bill_sim_accounts_no', table_name='svc_bill_sim_accounts')
    op.drop_table('svc_bill_sim_accounts')
    op.drop_index('ix_svc_bill_recon_files_day', table_name='svc_bill_recon_files')
    op.drop_table('svc_bill_recon_files')
    op.drop_table('svc_bill_billers')
    op.drop_index('ix_svc_bill_accounts_owner', table_name='svc_bill_accounts')
    op.drop_index('ix_svc_bill_accounts_number', table_name='svc_bill_accounts')
    op.drop_table('svc_bill_accounts')
