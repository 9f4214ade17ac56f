"""medinsure pay-later: allowed citizens, debts and their movements

Revision ID: medinsure_paylater_0001
Revises: 0001_core
Create Date: 2026-11-26 16:10:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import onecity.db

revision: str = "medinsure_paylater_0001"
down_revision: str | Sequence[str] | None = "0001_core"
branch_labels: str | Sequence[str] | None = ("medinsure_paylater",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('medinsure_paylater_citizen',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('citizen_id', sa.String(length=40), nullable=False),
    sa.Column('allowed', sa.Boolean(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('updated_by', sa.String(length=100), nullable=False),
    sa.Column('updated_at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_medinsure_paylater_citizen')),
    sa.UniqueConstraint('citizen_id', name=op.f('uq_medinsure_paylater_citizen_citizen_id'))
    )
    op.create_table('medinsure_paylater_debt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('debt_id', sa.String(length=40), nullable=False),
    sa.Column('citizen_id', sa.String(length=40), nullable=False),
    sa.Column('settlement_ref', sa.String(length=64), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('refunded_fen', sa.BigInteger(), nullable=False),
    sa.Column('collected_fen', sa.BigInteger(), nullable=False),
    sa.Column('returned_fen', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('due_at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('settled_at', onecity.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_medinsure_paylater_debt')),
    sa.UniqueConstraint('debt_id', name=op.f('uq_medinsure_paylater_debt_debt_id')),
    sa.UniqueConstraint('settlement_ref', name=op.f('uq_medinsure_paylater_debt_settlement_ref'))
    )
    op.create_index('ix_medinsure_paylater_debt_citizen', 'medinsure_paylater_debt', ['citizen_id', 'status'], unique=False)
    op.create_index('ix_medinsure_paylater_debt_due', 'medinsure_paylater_debt', ['status', 'due_at'], unique=False)
    op.create_table('medinsure_paylater_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('debt_row_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('ref', sa.String(length=100), nullable=True),
    sa.Column('transfer_id', sa.String(length=100), nullable=True),
    sa.Column('created_at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['debt_row_id'], ['medinsure_paylater_debt.id'], name=op.f('fk_medinsure_paylater_entry_debt_row_id_medinsure_paylater_debt')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_medinsure_paylater_entry')),
    sa.UniqueConstraint('ref', name=op.f('uq_medinsure_paylater_entry_ref'))
    )
    op.create_index(op.f('ix_medinsure_paylater_entry_debt_row_id'), 'medinsure_paylater_entry', ['debt_row_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_medinsure_paylater_entry_debt_row_id'), table_name='medinsure_paylater_entry')
    op.drop_table('medinsure_paylater_entry')
    op.drop_index('ix_medinsure_paylater_debt_due', table_name='medinsure_paylater_debt')
    op.drop_index('ix_medinsure_paylater_debt_citizen', table_name='medinsure_paylater_debt')
    op.drop_table('medinsure_paylater_debt')
    op.drop_table('medinsure_paylater_citizen')
