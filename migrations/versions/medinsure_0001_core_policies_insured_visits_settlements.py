"""medinsure core: policies, institutions, insured people and accumulators, insurance codes, visits and
fee lines, settlements with receipts, refunds and refunded lines, pharmacy prices

Revision ID: medinsure_0001
Revises: 0001_core
Create Date: 2026-11-26 16:05:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import onecity.db

revision: str = 'medinsure_0001'
down_revision: str | Sequence[str] | None = '0001_core'
branch_labels: str | Sequence[str] | None = ('medinsure',)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('medinsure_institution',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('city', sa.String(length=40), nullable=False),
    sa.Column('ledger_account_id', sa.String(length=40), nullable=False),
    sa.Column('registered_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_medinsure_institution')),
    sa.UniqueConstraint('org_id', name=op.f('uq_medinsure_institution_org_id'))
    )
    op.create_table('medinsure_insured',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('insured_id', sa.String(length=40), nullable=False),
    sa.Column('citizen_id', sa.String(length=40), nullable=False),
    sa.Column('city', sa.String(length=40), nullable=False),
    sa.Column('scheme', sa.String(length=12), nullable=False),
    sa.Column('retiree', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('personal_account_id', sa.String(length=40), nullable=False),
    sa.Column('name_masked', sa.String(length=40), nullable=True),
    sa.Column('code_activated_at', onecity.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('enrolled_at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_medinsure_insured')),
    sa.UniqueConstraint('citizen_id', name=op.f('uq_medinsure_insured_citizen_id')),
    sa.UniqueConstraint('insured_id', name=op.f('uq_medinsure_insured_insured_id'))
    )
    op.create_table('medinsure_pharmacy_price',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.String(length=40), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('unit_price_fen', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_medinsure_pharmacy_price')),
    sa.UniqueConstraint('org_id', 'code', name=op.f('uq_medinsure_pharmacy_price_org_id_code'))
    )
    op.create_table('medinsure_policy',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('policy_key', sa.String(length=60), nullable=False),
    sa.Column('city', sa.String(length=40), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('document', sa.JSON(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('published_by', sa.String(length=100), nullable=False),
    sa.Column('published_at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_medinsure_policy')),
    sa.UniqueConstraint('city', 'year', 'version', name=op.f('uq_medinsure_policy_city_year_version')),
    sa.UniqueConstraint('policy_key', name=op.f('uq_medinsure_policy_policy_key'))
    )
    op.create_table('medinsure_accumulator',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('insured_row_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('deductible_used', sa.JSON(), nullable=False),
    sa.Column('fund_paid_fen', sa.BigInteger(), nullable=False),
    sa.Column('settlements', sa.Integer(), nullable=False),
    sa.Column('updated_at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['insured_row_id'], ['medinsure_insured.id'], name=op.f('fk_medinsure_accumulator_insured_row_id_medinsure_insured')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_medinsure_accumulator')),
    sa.UniqueConstraint('insured_row_id', 'year', name=op.f('uq_medinsure_accumulator_insured_row_id_year'))
    )
    op.create_table('medinsure_code',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code_id', sa.String(length=40), nullable=False),
    sa.Column('insured_row_id', sa.Integer(), nullable=False),
    sa.Column('shown_by', sa.String(length=40), nullable=False),
    sa.Column('counter_consent', sa.Boolean(), nullable=False),
    sa.Column('issued_at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', onecity.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('used_by_org', sa.String(length=40), nullable=True),
    sa.ForeignKeyConstraint(['insured_row_id'], ['medinsure_insured.id'], name=op.f('fk_medinsure_code_insured_row_id_medinsure_insured')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_medinsure_code')),
    sa.UniqueConstraint('code_id', name=op.f('uq_medinsure_code_code_id'))
    )
    op.create_index('ix_medinsure_code_expires', 'medinsure_code', ['expires_at'], unique=False)
    op.create_index(op.f('ix_medinsure_code_insured_row_id'), 'medinsure_code', ['insured_row_id'], unique=False)
    op.create_table('medinsure_visit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('visit_id', sa.String(length=40), nullable=False),
    sa.Column('institution_org_id', sa.String(length=40), nullable=False),
    sa.Column('insured_row_id', sa.Integer(), nullable=False),
    sa.Column('citizen_id', sa.String(length=40), nullable=False),
    sa.Column('confirmer_id', sa.String(length=40), nullable=False),
    sa.Column('visit_type', sa.String(length=12), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=12), nullable=False),
    sa.Column('code_id', sa.String(length=40), nullable=True),
    sa.Column('counter_consent', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('total_fen', sa.BigInteger(), nullable=False),
    sa.Column('presettlement', sa.JSON(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('opened_at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['insured_row_id'], ['medinsure_insured.id'], name=op.f('fk_medinsure_visit_insured_row_id_medinsure_insured')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_medinsure_visit')),
    sa.UniqueConstraint('visit_id', name=op.f('uq_medinsure_visit_visit_id'))
    )
    op.create_index('ix_medinsure_visit_citizen', 'medinsure_visit', ['citizen_id', 'id'], unique=False)
    op.create_index('ix_medinsure_visit_confirmer_status', 'medinsure_visit', ['confirmer_id', 'status'], unique=False)
    op.create_index('ix_medinsure_visit_institution', 'medinsure_visit', ['institution_org_id', 'id'], unique=False)
    op.create_table('medinsure_fee_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('visit_row_id', sa.Integer(), nullable=False),
    sa.Column('line_no', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('unit_price_fen', sa.BigInteger(), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['visit_row_id'], ['medinsure_visit.id'], name=op.f('fk_medinsure_fee_line_visit_row_id_medinsure_visit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_medinsure_fee_line')),
    sa.UniqueConstraint('visit_row_id', 'line_no', name=op.f('uq_medinsure_fee_line_visit_row_id_line_no'))
    )
    op.create_table('medinsure_settlement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('settlement_id', sa.String(length=40), nullable=False),
    sa.Column('visit_row_id', sa.Integer(), nullable=False),
    sa.Column('institution_org_id', sa.String(length=40), nullable=False),
    sa.Column('citizen_id', sa.String(length=40), nullable=False),
    sa.Column('policy_key', sa.String(length=60), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('channel', sa.String(length=12), nullable=False),
    sa.Column('confirmed_by', sa.String(length=40), nullable=False),
    sa.Column('split', sa.JSON(), nullable=False),
    sa.Column('shares', sa.JSON(), nullable=False),
    sa.Column('payers', sa.JSON(), nullable=False),
    sa.Column('covers', sa.JSON(), nullable=False),
    sa.Column('total_fen', sa.BigInteger(), nullable=False),
    sa.Column('fund_fen', sa.BigInteger(), nullable=False),
    sa.Column('personal_fen', sa.BigInteger(), nullable=False),
    sa.Column('commercial_fen', sa.BigInteger(), nullable=False),
    sa.Column('self_fen', sa.BigInteger(), nullable=False),
    sa.Column('refunded_fen', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('receipt', sa.JSON(), nullable=False),
    sa.Column('receipt_signature', sa.String(length=200), nullable=False),
    sa.Column('settled_at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['visit_row_id'], ['medinsure_visit.id'], name=op.f('fk_medinsure_settlement_visit_row_id_medinsure_visit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_medinsure_settlement')),
    sa.UniqueConstraint('settlement_id', name=op.f('uq_medinsure_settlement_settlement_id')),
    sa.UniqueConstraint('visit_row_id', name=op.f('uq_medinsure_settlement_visit_row_id'))
    )
    op.create_index('ix_medinsure_settlement_day', 'medinsure_settlement', ['day'], unique=False)
    op.create_index('ix_medinsure_settlement_institution', 'medinsure_settlement', ['institution_org_id', 'id'], unique=False)
    op.create_table('medinsure_refund',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('refund_id', sa.String(length=40), nullable=False),
    sa.Column('settlement_row_id', sa.Integer(), nullable=False),
    sa.Column('line_nos', sa.JSON(), nullable=False),
    sa.Column('by_payer', sa.JSON(), nullable=False),
    sa.Column('total_fen', sa.BigInteger(), nullable=False),
    sa.Column('fund_fen', sa.BigInteger(), nullable=False),
    sa.Column('personal_fen', sa.BigInteger(), nullable=False),
    sa.Column('commercial_fen', sa.BigInteger(), nullable=False),
    sa.Column('self_fen', sa.BigInteger(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('created_at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['settlement_row_id'], ['medinsure_settlement.id'], name=op.f('fk_medinsure_refund_settlement_row_id_medinsure_settlement')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_medinsure_refund')),
    sa.UniqueConstraint('refund_id', name=op.f('uq_medinsure_refund_refund_id'))
    )
    op.create_index('ix_medinsure_refund_day', 'medinsure_refund', ['day'], unique=False)
    op.create_index(op.f('ix_medinsure_refund_settlement_row_id'), 'medinsure_refund', ['settlement_row_id'], unique=False)
    op.create_table('medinsure_refunded_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('settlement_row_id', sa.Integer(), nullable=False),
    sa.Column('line_no', sa.Integer(), nullable=False),
    sa.Column('refund_row_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['refund_row_id'], ['medinsure_refund.id'], name=op.f('fk_medinsure_refunded_line_refund_row_id_medinsure_refund')),
    sa.ForeignKeyConstraint(['settlement_row_id'], ['medinsure_settlement.id'], name=op.f('fk_medinsure_refunded_line_settlement_row_id_medinsure_settlement')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_medinsure_refunded_line')),
    sa.UniqueConstraint('settlement_row_id', 'line_no', name=op.f('uq_medinsure_refunded_line_settlement_row_id_line_no'))
    )
    op.create_index(op.f('ix_medinsure_refunded_line_refund_row_id'), 'medinsure_refunded_line', ['refund_row_id'], unique=False)


def downgrade() -> None:
    op.drop_table('medinsure_refunded_line')
    op.drop_table('medinsure_refund')
    op.drop_table('medinsure_settlement')
    op.drop_table('medinsure_fee_line')
    op.drop_table('medinsure_visit')
    op.drop_table('medinsure_code')
    op.drop_table('medinsure_accumulator')
    op.drop_table('medinsure_policy')
    op.drop_table('medinsure_pharmacy_price')
    op.drop_table('medinsure_insured')
    op.drop_table('medinsure_institution')
