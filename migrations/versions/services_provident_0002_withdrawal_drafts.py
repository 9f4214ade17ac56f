"""services provident: withdrawal drafts kept server-side during the face check

Revision ID: services_provident_0002
Revises: services_provident_0001
Create Date: 2026-11-26 19:40:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import onecity.db

revision: str = "services_provident_0002"
down_revision: str | Sequence[str] | None = "services_provident_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('svc_hpf_drafts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=40), nullable=False),
    sa.Column('citizen_id', sa.String(length=40), nullable=False),
    sa.Column('data_enc', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_svc_hpf_drafts')),
    sa.UniqueConstraint('public_id', name=op.f('uq_svc_hpf_drafts_public_id'))
    )
    op.create_index(op.f('ix_svc_hpf_drafts_citizen_id'), 'svc_hpf_drafts', ['citizen_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_svc_hpf_drafts_citizen_id'), table_name='svc_hpf_drafts')
    op.drop_table('svc_hpf_drafts')
