"""services provident: fund centres, accounts, contribution postings, contributions, withdrawals

Revision ID: services_provident_0001
Revises:
Create Date: 2026-11-26 19:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import onecity.db

revision: str = "services_provident_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("services_provident",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('svc_hpf_centres',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('city_code', sa.String(length=6), nullable=False),
    sa.Column('org_id', sa.String(length=40), nullable=False),
    sa.Column('created_at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_svc_hpf_centres')),
    sa.UniqueConstraint('city_code', name=op.f('uq_svc_hpf_centres_city_code'))
    )
    op.create_table('svc_hpf_accounts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_no', sa.String(length=20), nullable=False),
    sa.Column('city_code', sa.String(length=6), nullable=False),
    sa.Column('citizen_id', sa.String(length=40), nullable=False),
    sa.Column('employer_name', sa.String(length=200), nullable=False),
    sa.Column('employer_uscc', sa.String(length=18), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('base_fen', sa.BigInteger(), nullable=False),
    sa.Column('employee_rate_bp', sa.Integer(), nullable=False),
    sa.Column('employer_rate_bp', sa.Integer(), nullable=False),
    sa.Column('ledger_account_id', sa.String(length=40), nullable=False),
    sa.Column('opened_at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_svc_hpf_accounts')),
    sa.UniqueConstraint('account_no', name=op.f('uq_svc_hpf_accounts_account_no')),
    sa.UniqueConstraint('citizen_id', name=op.f('uq_svc_hpf_accounts_citizen_id'))
    )
    op.create_index('ix_svc_hpf_accounts_employer', 'svc_hpf_accounts', ['employer_uscc'], unique=False)
    op.create_table('svc_hpf_postings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=40), nullable=False),
    sa.Column('city_code', sa.String(length=6), nullable=False),
    sa.Column('employer_uscc', sa.String(length=18), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('lines', sa.Integer(), nullable=False),
    sa.Column('total_fen', sa.BigInteger(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('posted_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_svc_hpf_postings')),
    sa.UniqueConstraint('employer_uscc', 'month', name='uq_svc_hpf_postings_employer_month'),
    sa.UniqueConstraint('public_id', name=op.f('uq_svc_hpf_postings_public_id'))
    )
    op.create_table('svc_hpf_contributions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_row_id', sa.Integer(), nullable=False),
    sa.Column('posting_row_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('base_fen', sa.BigInteger(), nullable=False),
    sa.Column('employee_rate_bp', sa.Integer(), nullable=False),
    sa.Column('employer_rate_bp', sa.Integer(), nullable=False),
    sa.Column('employee_fen', sa.BigInteger(), nullable=False),
    sa.Column('employer_fen', sa.BigInteger(), nullable=False),
    sa.Column('transfer_id', sa.String(length=100), nullable=False),
    sa.Column('created_at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_row_id'], ['svc_hpf_accounts.id'], name=op.f('fk_svc_hpf_contributions_account_row_id_svc_hpf_accounts')),
    sa.ForeignKeyConstraint(['posting_row_id'], ['svc_hpf_postings.id'], name=op.f('fk_svc_hpf_contributions_posting_row_id_svc_hpf_postings')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_svc_hpf_contributions')),
    sa.UniqueConstraint('account_row_id', 'month', name='uq_svc_hpf_contributions_account_month')
    )
    op.create_index(op.f('ix_svc_hpf_contributions_account_row_id'), 'svc_hpf_contributions', ['account_row_id'], unique=False)
    op.create_index(op.f('ix_svc_hpf_contributions_posting_row_id'), 'svc_hpf_contributions', ['posting_row_id'], unique=False)
    op.create_table('svc_hpf_withdrawals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=40), nullable=False),
    sa.Column('account_row_id', sa.Integer(), nullable=False),
    sa.Column('citizen_id', sa.String(length=40), nullable=False),
    sa.Column('reason', sa.String(length=20), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('decision', sa.String(length=10), nullable=False),
    sa.Column('decision_code', sa.String(length=40), nullable=False),
    sa.Column('rules_version', sa.String(length=20), nullable=False),
    sa.Column('period_key', sa.String(length=10), nullable=False),
    sa.Column('registered_lease', sa.Boolean(), nullable=False),
    sa.Column('price_fen', sa.BigInteger(), nullable=True),
    sa.Column('property_masked', sa.String(length=40), nullable=True),
    sa.Column('property_index', sa.String(length=64), nullable=True),
    sa.Column('application_id', sa.String(length=40), nullable=True),
    sa.Column('payout_card_id', sa.String(length=40), nullable=True),
    sa.Column('hold_transfer_id', sa.String(length=100), nullable=False),
    sa.Column('refusal', sa.Text(), nullable=True),
    sa.Column('created_at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decided_at', onecity.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['account_row_id'], ['svc_hpf_accounts.id'], name=op.f('fk_svc_hpf_withdrawals_account_row_id_svc_hpf_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_svc_hpf_withdrawals')),
    sa.UniqueConstraint('public_id', name=op.f('uq_svc_hpf_withdrawals_public_id'))
    )
    op.create_index('ix_svc_hpf_withdrawals_account', 'svc_hpf_withdrawals', ['account_row_id', 'reason', 'period_key'], unique=False)
    op.create_index('ix_svc_hpf_withdrawals_property', 'svc_hpf_withdrawals', ['account_row_id', 'property_index'], unique=False)
    op.create_index(op.f('ix_svc_hpf_withdrawals_application_id'), 'svc_hpf_withdrawals', ['application_id'], unique=False)
    op.create_index(op.f('ix_svc_hpf_withdrawals_citizen_id'), 'svc_hpf_withdrawals', ['citizen_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_svc_hpf_withdrawals_citizen_id'), table_name='svc_hpf_withdrawals')
    op.drop_index(op.f('ix_svc_hpf_withdrawals_application_id'), table_name='svc_hpf_withdrawals')
    op.drop_index('ix_svc_hpf_withdrawals_property', table_name='svc_hpf_withdrawals')
    op.drop_index('ix_svc_hpf_withdrawals_account', table_name='svc_hpf_withdrawals')
    op.drop_table('svc_hpf_withdrawals')
    op.drop_index(op.f('ix_svc_hpf_contributions_posting_row_id'), table_name='svc_hpf_contributions')
    op.drop_index(op.f('ix_svc_hpf_contributions_account_row_id'), table_name='svc_hpf_contributions')
    op.drop_table('svc_hpf_contributions')
    op.drop_table('svc_hpf_postings')
    op.drop_index('ix_svc_hpf_accounts_employer', table_name='svc_hpf_accounts')
    op.drop_table('svc_hpf_accounts')
    op.drop_table('svc_hpf_centres')
