"""medinsure commercial: insurers' accounts, products (immutable versions), policies, accumulators, claims and reversals

Revision ID: medinsure_commercial_0001
Revises: 0001_core
Create Date: 2026-11-26 16:10:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import onecity.db

revision: str = "medinsure_commercial_0001"
down_revision: str | Sequence[str] | None = "0001_core"
branch_labels: str | Sequence[str] | None = ("medinsure_commercial",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('medinsure_commercial_insurer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('insurer_org_id', sa.String(length=40), nullable=False),
    sa.Column('ledger_account_id', sa.String(length=40), nullable=False),
    sa.Column('created_at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_medinsure_commercial_insurer')),
    sa.UniqueConstraint('insurer_org_id', name=op.f('uq_medinsure_commercial_insurer_insurer_org_id'))
    )
    op.create_table('medinsure_commercial_product',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.String(length=40), nullable=False),
    sa.Column('insurer_org_id', sa.String(length=40), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('name_zh', sa.String(length=200), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=False),
    sa.Column('ratio_bp', sa.Integer(), nullable=False),
    sa.Column('deductible_fen', sa.BigInteger(), nullable=False),
    sa.Column('annual_limit_fen', sa.BigInteger(), nullable=False),
    sa.Column('covers_outside', sa.Boolean(), nullable=False),
    sa.Column('excluded_codes', sa.JSON(), nullable=False),
    sa.Column('excluded_categories', sa.JSON(), nullable=False),
    sa.Column('visit_types', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('created_at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_medinsure_commercial_product')),
    sa.UniqueConstraint('insurer_org_id', 'code', 'version', name=op.f('uq_medinsure_commercial_product_insurer_org_id_code_version')),
    sa.UniqueConstraint('product_id', name=op.f('uq_medinsure_commercial_product_product_id'))
    )
    op.create_index(op.f('ix_medinsure_commercial_product_insurer_org_id'), 'medinsure_commercial_product', ['insurer_org_id'], unique=False)
    op.create_table('medinsure_commercial_policy',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('policy_id', sa.String(length=40), nullable=False),
    sa.Column('insurer_org_id', sa.String(length=40), nullable=False),
    sa.Column('policy_no', sa.String(length=64), nullable=False),
    sa.Column('product_row_id', sa.Integer(), nullable=False),
    sa.Column('citizen_id', sa.String(length=40), nullable=False),
    sa.Column('start_on', sa.Date(), nullable=False),
    sa.Column('end_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('created_at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('cancelled_at', onecity.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['product_row_id'], ['medinsure_commercial_product.id'], name=op.f('fk_medinsure_commercial_policy_product_row_id_medinsure_commercial_product')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_medinsure_commercial_policy')),
    sa.UniqueConstraint('insurer_org_id', 'policy_no', name=op.f('uq_medinsure_commercial_policy_insurer_org_id_policy_no')),
    sa.UniqueConstraint('policy_id', name=op.f('uq_medinsure_commercial_policy_policy_id'))
    )
    op.create_index('ix_medinsure_commercial_policy_citizen', 'medinsure_commercial_policy', ['citizen_id', 'status'], unique=False)
    op.create_index('ix_medinsure_commercial_policy_insurer', 'medinsure_commercial_policy', ['insurer_org_id', 'id'], unique=False)
    op.create_index(op.f('ix_medinsure_commercial_policy_product_row_id'), 'medinsure_commercial_policy', ['product_row_id'], unique=False)
    op.create_table('medinsure_commercial_accumulator',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('policy_row_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('deductible_used_fen', sa.BigInteger(), nullable=False),
    sa.Column('paid_fen', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['policy_row_id'], ['medinsure_commercial_policy.id'], name=op.f('fk_medinsure_commercial_accumulator_policy_row_id_medinsure_commercial_policy')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_medinsure_commercial_accumulator')),
    sa.UniqueConstraint('policy_row_id', 'year', name=op.f('uq_medinsure_commercial_accumulator_policy_row_id_year'))
    )
    op.create_table('medinsure_commercial_claim',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('claim_id', sa.String(length=40), nullable=False),
    sa.Column('policy_row_id', sa.Integer(), nullable=False),
    sa.Column('insurer_org_id', sa.String(length=40), nullable=False),
    sa.Column('citizen_id', sa.String(length=40), nullable=False),
    sa.Column('settlement_ref', sa.String(length=64), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('paid_fen', sa.BigInteger(), nullable=False),
    sa.Column('deductible_fen', sa.BigInteger(), nullable=False),
    sa.Column('per_line', sa.JSON(), nullable=False),
    sa.Column('deductible_used_after_fen', sa.BigInteger(), nullable=False),
    sa.Column('paid_after_fen', sa.BigInteger(), nullable=False),
    sa.Column('refunded_fen', sa.BigInteger(), nullable=False),
    sa.Column('deductible_returned_fen', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['policy_row_id'], ['medinsure_commercial_policy.id'], name=op.f('fk_medinsure_commercial_claim_policy_row_id_medinsure_commercial_policy')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_medinsure_commercial_claim')),
    sa.UniqueConstraint('claim_id', name=op.f('uq_medinsure_commercial_claim_claim_id')),
    sa.UniqueConstraint('policy_row_id', 'settlement_ref', name=op.f('uq_medinsure_commercial_claim_policy_row_id_settlement_ref'))
    )
    op.create_index('ix_medinsure_commercial_claim_insurer', 'medinsure_commercial_claim', ['insurer_org_id', 'id'], unique=False)
    op.create_index('ix_medinsure_commercial_claim_insurer_day', 'medinsure_commercial_claim', ['insurer_org_id', 'day'], unique=False)
    op.create_index('ix_medinsure_commercial_claim_ref', 'medinsure_commercial_claim', ['settlement_ref'], unique=False)
    op.create_table('medinsure_commercial_claim_reversal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('claim_row_id', sa.Integer(), nullable=False),
    sa.Column('insurer_org_id', sa.String(length=40), nullable=False),
    sa.Column('refund_fen', sa.BigInteger(), nullable=False),
    sa.Column('deductible_returned_fen', sa.BigInteger(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('created_at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['claim_row_id'], ['medinsure_commercial_claim.id'], name=op.f('fk_medinsure_commercial_claim_reversal_claim_row_id_medinsure_commercial_claim')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_medinsure_commercial_claim_reversal'))
    )
    op.create_index(op.f('ix_medinsure_commercial_claim_reversal_claim_row_id'), 'medinsure_commercial_claim_reversal', ['claim_row_id'], unique=False)
    op.create_index('ix_medinsure_commercial_claim_reversal_insurer_day', 'medinsure_commercial_claim_reversal', ['insurer_org_id', 'day'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_medinsure_commercial_claim_reversal_insurer_day', table_name='medinsure_commercial_claim_reversal')
    op.drop_index(op.f('ix_medinsure_commercial_claim_reversal_claim_row_id'), table_name='medinsure_commercial_claim_reversal')
    op.drop_table('medinsure_commercial_claim_reversal')
    op.drop_index('ix_medinsure_commercial_claim_ref', table_name='medinsure_commercial_claim')
    op.drop_index('ix_medinsure_commercial_claim_insurer_day', table_name='medinsure_commercial_claim')
    op.drop_index('ix_medinsure_commercial_claim_insurer', table_name='medinsure_commercial_claim')
    op.drop_table('medinsure_commercial_claim')
    op.drop_table('medinsure_commercial_accumulator')
    op.drop_index(op.f('ix_medinsure_commercial_policy_product_row_id'), table_name='medinsure_commercial_policy')
    op.drop_index('ix_medinsure_commercial_policy_insurer', table_name='medinsure_commercial_policy')
    op.drop_index('ix_medinsure_commercial_policy_citizen', table_name='medinsure_commercial_policy')
    op.drop_table('medinsure_commercial_policy')
    op.drop_index(op.f('ix_medinsure_commercial_product_insurer_org_id'), table_name='medinsure_commercial_product')
    op.drop_table('medinsure_commercial_product')
    op.drop_table('medinsure_commercial_insurer')
