"""transit: platform transit keys, fare systems, operators, riders and device certificates, taps,
corrections, the pricing queue, charges and the versioned deny-list

Revision ID: transit_0001
Revises: 0001_core
Create Date: 2026-11-26 16:40:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import onecity.db

revision: str = 'transit_0001'
down_revision: str | Sequence[str] | None = '0001_core'
branch_labels: str | Sequence[str] | None = ('transit',)
depends_on: str | Sequence[str] | None = None

TABLES = ('transit_charge', 'transit_correction', 'transit_deny_change', 'transit_deny_entry', 'transit_deny_head',
          'transit_device_certificate', 'transit_fare_system', 'transit_operator', 'transit_platform_key',
          'transit_pricing_due', 'transit_rider', 'transit_tap')


def upgrade() -> None:
    op.create_table('transit_charge',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('charge_id', sa.String(length=40), nullable=False),
    sa.Column('rider_ref', sa.String(length=16), nullable=False),
    sa.Column('system_id', sa.String(length=60), nullable=False),
    sa.Column('operator_id', sa.String(length=40), nullable=False),
    sa.Column('service_day', sa.Date(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('paid_from', sa.String(length=10), nullable=True),
    sa.Column('transfer_id', sa.String(length=80), nullable=True),
    sa.Column('created_at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('settled_at', onecity.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transit_charge')),
    sa.UniqueConstraint('charge_id', name=op.f('uq_transit_charge_charge_id'))
    )
    op.create_index('ix_transit_charge_operator_day', 'transit_charge', ['operator_id', 'service_day'], unique=False)
    op.create_index('ix_transit_charge_rider_status', 'transit_charge', ['rider_ref', 'status'], unique=False)
    op.create_table('transit_correction',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tap_id', sa.String(length=40), nullable=False),
    sa.Column('rider_ref', sa.String(length=16), nullable=False),
    sa.Column('stop_id', sa.String(length=60), nullable=False),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('actor', sa.String(length=80), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('created_at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transit_correction')),
    sa.UniqueConstraint('tap_id', name=op.f('uq_transit_correction_tap_id'))
    )
    op.create_index(op.f('ix_transit_correction_rider_ref'), 'transit_correction', ['rider_ref'], unique=False)
    op.create_table('transit_deny_change',
    sa.Column('version', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('value', sa.String(length=24), nullable=False),
    sa.Column('op', sa.String(length=6), nullable=False),
    sa.Column('created_at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('version', name=op.f('pk_transit_deny_change'))
    )
    op.create_table('transit_deny_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('value', sa.String(length=24), nullable=False),
    sa.Column('reason', sa.String(length=20), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transit_deny_entry')),
    sa.UniqueConstraint('kind', 'value', name=op.f('uq_transit_deny_entry_kind_value'))
    )
    op.create_table('transit_deny_head',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transit_deny_head'))
    )
    op.create_table('transit_device_certificate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('serial', sa.BigInteger(), nullable=False),
    sa.Column('rider_ref', sa.String(length=16), nullable=False),
    sa.Column('device_public', sa.LargeBinary(), nullable=False),
    sa.Column('kid', sa.String(length=4), nullable=False),
    sa.Column('not_before', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('not_after', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('issued_at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transit_device_certificate')),
    sa.UniqueConstraint('serial', name=op.f('uq_transit_device_certificate_serial'))
    )
    op.create_index(op.f('ix_transit_device_certificate_rider_ref'), 'transit_device_certificate', ['rider_ref'], unique=False)
    op.create_table('transit_fare_system',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('system_id', sa.String(length=60), nullable=False),
    sa.Column('config', sa.JSON(), nullable=False),
    sa.Column('updated_at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transit_fare_system')),
    sa.UniqueConstraint('system_id', name=op.f('uq_transit_fare_system_system_id'))
    )
    op.create_table('transit_operator',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.String(length=40), nullable=False),
    sa.Column('system_id', sa.String(length=60), nullable=False),
    sa.Column('operator_code', sa.String(length=60), nullable=False),
    sa.Column('ledger_account_id', sa.String(length=40), nullable=False),
    sa.Column('created_at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transit_operator')),
    sa.UniqueConstraint('org_id', name=op.f('uq_transit_operator_org_id')),
    sa.UniqueConstraint('system_id', 'operator_code', name=op.f('uq_transit_operator_system_id_operator_code'))
    )
    op.create_table('transit_platform_key',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kid', sa.String(length=4), nullable=False),
    sa.Column('public_key', sa.LargeBinary(), nullable=False),
    sa.Column('private_key_enc', sa.LargeBinary(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('created_at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('retire_after', onecity.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transit_platform_key')),
    sa.UniqueConstraint('kid', name=op.f('uq_transit_platform_key_kid'))
    )
    op.create_table('transit_pricing_due',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rider_ref', sa.String(length=16), nullable=False),
    sa.Column('system_id', sa.String(length=60), nullable=False),
    sa.Column('week_start', sa.Date(), nullable=False),
    sa.Column('due_at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transit_pricing_due')),
    sa.UniqueConstraint('rider_ref', 'system_id', 'week_start', name=op.f('uq_transit_pricing_due_rider_ref_system_id_week_start'))
    )
    op.create_index(op.f('ix_transit_pricing_due_due_at'), 'transit_pricing_due', ['due_at'], unique=False)
    op.create_table('transit_rider',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rider_ref', sa.String(length=16), nullable=False),
    sa.Column('citizen_id', sa.String(length=40), nullable=False),
    sa.Column('payment_mode', sa.String(length=10), nullable=False),
    sa.Column('in_arrears', sa.Boolean(), nullable=False),
    sa.Column('created_at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transit_rider')),
    sa.UniqueConstraint('citizen_id', name=op.f('uq_transit_rider_citizen_id')),
    sa.UniqueConstraint('rider_ref', name=op.f('uq_transit_rider_rider_ref'))
    )
    op.create_table('transit_tap',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tap_id', sa.String(length=40), nullable=False),
    sa.Column('rider_ref', sa.String(length=16), nullable=False),
    sa.Column('serial', sa.BigInteger(), nullable=False),
    sa.Column('operator_id', sa.String(length=40), nullable=False),
    sa.Column('system_id', sa.String(length=60), nullable=False),
    sa.Column('network_id', sa.String(length=60), nullable=False),
    sa.Column('gate_id', sa.String(length=60), nullable=False),
    sa.Column('stop_id', sa.String(length=60), nullable=False),
    sa.Column('direction', sa.String(length=3), nullable=False),
    sa.Column('at', sa.BigInteger(), nullable=False),
    sa.Column('code_ts', sa.BigInteger(), nullable=False),
    sa.Column('service_day', sa.Date(), nullable=False),
    sa.Column('uploaded_at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transit_tap')),
    sa.UniqueConstraint('tap_id', name=op.f('uq_transit_tap_tap_id'))
    )
    op.create_index('ix_transit_tap_operator_day', 'transit_tap', ['operator_id', 'service_day'], unique=False)
    op.create_index('ix_transit_tap_rider_at', 'transit_tap', ['rider_ref', 'at'], unique=False)


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table)
