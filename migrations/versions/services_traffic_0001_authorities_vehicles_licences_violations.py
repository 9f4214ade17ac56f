"""services traffic: authorities, vehicles, driving licences, violations

Revision ID: services_traffic_0001
Revises: 0001_core
Create Date: 2026-11-26 19:10:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import onecity.db

revision: str = "services_traffic_0001"
down_revision: str | Sequence[str] | None = "0001_core"
branch_labels: str | Sequence[str] | None = ("services_traffic",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('svc_traffic_authorities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.String(length=40), nullable=False),
    sa.Column('prefix', sa.String(length=4), nullable=False),
    sa.Column('created_at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_svc_traffic_authorities')),
    sa.UniqueConstraint('org_id', name=op.f('uq_svc_traffic_authorities_org_id'))
    )
    op.create_table('svc_traffic_vehicles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=40), nullable=False),
    sa.Column('plate', sa.String(length=10), nullable=False),
    sa.Column('plate_kind', sa.String(length=12), nullable=False),
    sa.Column('vehicle_type', sa.String(length=20), nullable=False),
    sa.Column('owner_citizen_id', sa.String(length=40), nullable=False),
    sa.Column('created_at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_svc_traffic_vehicles')),
    sa.UniqueConstraint('public_id', name=op.f('uq_svc_traffic_vehicles_public_id')),
    sa.UniqueConstraint('plate', name=op.f('uq_svc_traffic_vehicles_plate'))
    )
    op.create_index(op.f('ix_svc_traffic_vehicles_owner_citizen_id'), 'svc_traffic_vehicles', ['owner_citizen_id'],
                    unique=False)
    op.create_table('svc_traffic_licences',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=40), nullable=False),
    sa.Column('citizen_id', sa.String(length=40), nullable=False),
    sa.Column('number_index', sa.String(length=64), nullable=False),
    sa.Column('number_enc', sa.LargeBinary(), nullable=False),
    sa.Column('number_masked', sa.String(length=20), nullable=False),
    sa.Column('licence_class', sa.String(length=12), nullable=False),
    sa.Column('first_cycle_start', sa.Date(), nullable=False),
    sa.Column('cycle_start', sa.Date(), nullable=False),
    sa.Column('points_used', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('created_at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_svc_traffic_licences')),
    sa.UniqueConstraint('public_id', name=op.f('uq_svc_traffic_licences_public_id')),
    sa.UniqueConstraint('citizen_id', name=op.f('uq_svc_traffic_licences_citizen_id')),
    sa.UniqueConstraint('number_index', name=op.f('uq_svc_traffic_licences_number_index'))
    )
    op.create_table('svc_traffic_violations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=40), nullable=False),
    sa.Column('decision_no', sa.String(length=40), nullable=False),
    sa.Column('authority_org_id', sa.String(length=40), nullable=False),
    sa.Column('vehicle_row_id', sa.Integer(), nullable=False),
    sa.Column('plate', sa.String(length=10), nullable=False),
    sa.Column('licence_row_id', sa.Integer(), nullable=True),
    sa.Column('occurred_at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('place', sa.String(length=200), nullable=False),
    sa.Column('code', sa.String(length=8), nullable=False),
    sa.Column('description', sa.String(length=300), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('fine_fen', sa.BigInteger(), nullable=False),
    sa.Column('decided_at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decided_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('source', sa.String(length=8), nullable=False),
    sa.Column('source_ref', sa.String(length=100), nullable=True),
    sa.Column('recorded_by', sa.String(length=100), nullable=False),
    sa.Column('paid_at', onecity.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('paid_by_citizen_id', sa.String(length=40), nullable=True),
    sa.Column('penalty_fen', sa.BigInteger(), nullable=True),
    sa.Column('paid_fen', sa.BigInteger(), nullable=True),
    sa.Column('transfer_id', sa.String(length=100), nullable=True),
    sa.ForeignKeyConstraint(['vehicle_row_id'], ['svc_traffic_vehicles.id'],
                            name=op.f('fk_svc_traffic_violations_vehicle_row_id_svc_traffic_vehicles')),
    sa.ForeignKeyConstraint(['licence_row_id'], ['svc_traffic_licences.id'],
                            name=op.f('fk_svc_traffic_violations_licence_row_id_svc_traffic_licences')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_svc_traffic_violations')),
    sa.UniqueConstraint('public_id', name=op.f('uq_svc_traffic_violations_public_id')),
    sa.UniqueConstraint('decision_no', name=op.f('uq_svc_traffic_violations_decision_no')),
    sa.UniqueConstraint('authority_org_id', 'source_ref',
                        name=op.f('uq_svc_traffic_violations_authority_org_id_source_ref'))
    )
    op.create_index('ix_svc_traffic_violations_authority', 'svc_traffic_violations', ['authority_org_id', 'status'],
                    unique=False)
    op.create_index(op.f('ix_svc_traffic_violations_vehicle_row_id'), 'svc_traffic_violations', ['vehicle_row_id'],
                    unique=False)
    op.create_index(op.f('ix_svc_traffic_violations_licence_row_id'), 'svc_traffic_violations', ['licence_row_id'],
                    unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_svc_traffic_violations_licence_row_id'), table_name='svc_traffic_violations')
    op.drop_index(op.f('ix_svc_traffic_violations_vehicle_row_id'), table_name='svc_traffic_violations')
    op.drop_index('ix_svc_traffic_violations_authority', table_name='svc_traffic_violations')
    op.drop_table('svc_traffic_violations')
    op.drop_table('svc_traffic_licences')
    op.drop_index(op.f('ix_svc_traffic_vehicles_owner_citizen_id'), table_name='svc_traffic_vehicles')
    op.drop_table('svc_traffic_vehicles')
    op.drop_table('svc_traffic_authorities')
