"""services applications: applications, their events, attachments, notices, reference counters

Revision ID: services_applications_0001
Revises:
Create Date: 2026-11-26 19:10:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import onecity.db

revision: str = "services_applications_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("services_applications",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('svc_applications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=40), nullable=False),
    sa.Column('reference', sa.String(length=40), nullable=False),
    sa.Column('service_code', sa.String(length=80), nullable=False),
    sa.Column('service_version', sa.Integer(), nullable=False),
    sa.Column('city_code', sa.String(length=12), nullable=False),
    sa.Column('agency_org_id', sa.String(length=40), nullable=False),
    sa.Column('workflow', sa.String(length=40), nullable=False),
    sa.Column('citizen_id', sa.String(length=40), nullable=False),
    sa.Column('submitted_by', sa.String(length=100), nullable=False),
    sa.Column('state', sa.String(length=30), nullable=False),
    sa.Column('outcome', sa.String(length=12), nullable=True),
    sa.Column('form_enc', sa.LargeBinary(), nullable=False),
    sa.Column('attachments', sa.JSON(), nullable=False),
    sa.Column('assignee', sa.String(length=40), nullable=True),
    sa.Column('trips_needed', sa.Integer(), nullable=False),
    sa.Column('visits', sa.Integer(), nullable=False),
    sa.Column('fee_fen', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('payment_state', sa.String(length=12), nullable=True),
    sa.Column('payment_transfer_id', sa.String(length=100), nullable=True),
    sa.Column('credential_id', sa.String(length=60), nullable=True),
    sa.Column('resubmits', sa.String(length=40), nullable=True),
    sa.Column('submitted_at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('due_at', onecity.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('completed_at', onecity.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('overdue_notified_at', onecity.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('updated_at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_svc_applications')),
    sa.UniqueConstraint('public_id', name=op.f('uq_svc_applications_public_id')),
    sa.UniqueConstraint('reference', name=op.f('uq_svc_applications_reference'))
    )
    op.create_index('ix_svc_applications_citizen', 'svc_applications', ['citizen_id', 'id'], unique=False)
    op.create_index('ix_svc_applications_open_due', 'svc_applications', ['outcome', 'due_at'], unique=False)
    op.create_index('ix_svc_applications_queue', 'svc_applications', ['agency_org_id', 'state', 'due_at'], unique=False)
    op.create_table('svc_attachments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=40), nullable=False),
    sa.Column('citizen_id', sa.String(length=40), nullable=False),
    sa.Column('application_id', sa.String(length=40), nullable=True),
    sa.Column('slot', sa.String(length=60), nullable=True),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('data_enc', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_svc_attachments')),
    sa.UniqueConstraint('public_id', name=op.f('uq_svc_attachments_public_id'))
    )
    op.create_index(op.f('ix_svc_attachments_application_id'), 'svc_attachments', ['application_id'], unique=False)
    op.create_index(op.f('ix_svc_attachments_citizen_id'), 'svc_attachments', ['citizen_id'], unique=False)
    op.create_table('svc_notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=40), nullable=False),
    sa.Column('citizen_id', sa.String(length=40), nullable=False),
    sa.Column('title_zh', sa.String(length=200), nullable=False),
    sa.Column('title_en', sa.String(length=200), nullable=False),
    sa.Column('body_zh', sa.Text(), nullable=False),
    sa.Column('body_en', sa.Text(), nullable=False),
    sa.Column('link', sa.String(length=300), nullable=True),
    sa.Column('created_at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('read_at', onecity.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_svc_notices')),
    sa.UniqueConstraint('public_id', name=op.f('uq_svc_notices_public_id'))
    )
    op.create_index('ix_svc_notices_citizen', 'svc_notices', ['citizen_id', 'id'], unique=False)
    op.create_table('svc_reference_counters',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('city_code', sa.String(length=12), nullable=False),
    sa.Column('day', sa.String(length=8), nullable=False),
    sa.Column('last', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_svc_reference_counters')),
    sa.UniqueConstraint('city_code', 'day', name=op.f('uq_svc_reference_counters_city_code_day'))
    )
    op.create_table('svc_application_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_row_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=30), nullable=False),
    sa.Column('from_state', sa.String(length=30), nullable=True),
    sa.Column('to_state', sa.String(length=30), nullable=False),
    sa.Column('actor_kind', sa.String(length=12), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['application_row_id'], ['svc_applications.id'], name=op.f('fk_svc_application_events_application_row_id_svc_applications')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_svc_application_events'))
    )
    op.create_index(op.f('ix_svc_application_events_application_row_id'), 'svc_application_events', ['application_row_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_svc_application_events_application_row_id'), table_name='svc_application_events')
    op.drop_table('svc_application_events')
    op.drop_table('svc_reference_counters')
    op.drop_index('ix_svc_notices_citizen', table_name='svc_notices')
    op.drop_table('svc_notices')
    op.drop_index(op.f('ix_svc_attachments_citizen_id'), table_name='svc_attachments')
    op.drop_index(op.f('ix_svc_attachments_application_id'), table_name='svc_attachments')
    op.drop_table('svc_attachments')
    op.drop_index('ix_svc_applications_queue', table_name='svc_applications')
    op.drop_index('ix_svc_applications_open_due', table_name='svc_applications')
    op.drop_index('ix_svc_applications_citizen', table_name='svc_applications')
    op.drop_table('svc_applications')
