"""services taxes: offices, assessments, receipts

Revision ID: services_taxes_0001
Revises: 0001_core
Create Date: 2026-11-26 19:40:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import onecity.db

revision: str = "services_taxes_0001"
down_revision: str | Sequence[str] | None = "0001_core"
branch_labels: str | Sequence[str] | None = ("services_taxes",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('svc_tax_offices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.String(length=40), nullable=False),
    sa.Column('created_at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_svc_tax_offices')),
    sa.UniqueConstraint('org_id', name=op.f('uq_svc_tax_offices_org_id'))
    )
    op.create_table('svc_tax_receipts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('receipt_no', sa.String(length=40), nullable=False),
    sa.Column('citizen_id', sa.String(length=40), nullable=False),
    sa.Column('payer_name_masked', sa.String(length=50), nullable=False),
    sa.Column('office_org_id', sa.String(length=40), nullable=False),
    sa.Column('items', sa.JSON(), nullable=False),
    sa.Column('total_fen', sa.BigInteger(), nullable=False),
    sa.Column('issued_at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('key_id', sa.String(length=16), nullable=False),
    sa.Column('signature', sa.String(length=100), nullable=False),
    sa.Column('transfer_id', sa.String(length=100), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_svc_tax_receipts')),
    sa.UniqueConstraint('receipt_no', name=op.f('uq_svc_tax_receipts_receipt_no'))
    )
    op.create_index(op.f('ix_svc_tax_receipts_citizen_id'), 'svc_tax_receipts', ['citizen_id'], unique=False)
    op.create_table('svc_tax_assessments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=40), nullable=False),
    sa.Column('citizen_id', sa.String(length=40), nullable=False),
    sa.Column('office_org_id', sa.String(length=40), nullable=False),
    sa.Column('item', sa.String(length=40), nullable=False),
    sa.Column('period', sa.String(length=20), nullable=False),
    sa.Column('description', sa.String(length=200), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('source_ref', sa.String(length=100), nullable=True),
    sa.Column('created_at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('paid_at', onecity.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('receipt_row_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['receipt_row_id'], ['svc_tax_receipts.id'],
                            name=op.f('fk_svc_tax_assessments_receipt_row_id_svc_tax_receipts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_svc_tax_assessments')),
    sa.UniqueConstraint('public_id', name=op.f('uq_svc_tax_assessments_public_id')),
    sa.UniqueConstraint('office_org_id', 'source_ref', name=op.f('uq_svc_tax_assessments_office_org_id_source_ref'))
    )
    op.create_index('ix_svc_tax_assessments_citizen', 'svc_tax_assessments', ['citizen_id', 'status'], unique=False)
    op.create_index(op.f('ix_svc_tax_assessments_receipt_row_id'), 'svc_tax_assessments', ['receipt_row_id'],
                    unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_svc_tax_assessments_receipt_row_id'), table_name='svc_tax_assessments')
    op.drop_index('ix_svc_tax_assessments_citizen', table_name='svc_tax_assessments')
    op.drop_table('svc_tax_assessments')
    op.drop_index(op.f('ix_svc_tax_receipts_citizen_id'), table_name='svc_tax_receipts')
    op.drop_table('svc_tax_receipts')
    op.drop_table('svc_tax_offices')
