"""family: family links (亲情账户)

Revision ID: family_0001
Revises: identity_0001
Create Date: 2026-11-26 12:10:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import onecity.db

revision: str = 'family_0001'
down_revision: str | Sequence[str] | None = 'identity_0001'
branch_labels: str | Sequence[str] | None = ('family',)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('family_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('relation', sa.String(length=8), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('inviter_id', sa.Integer(), nullable=False),
    sa.Column('invitee_id', sa.Integer(), nullable=True),
    sa.Column('address_kind', sa.String(length=10), nullable=False),
    sa.Column('address_index', sa.String(length=64), nullable=False),
    sa.Column('name_index', sa.String(length=64), nullable=True),
    sa.Column('address_masked', sa.String(length=60), nullable=False),
    sa.Column('inviter_scopes', sa.JSON(), nullable=False),
    sa.Column('invitee_scopes', sa.JSON(), nullable=False),
    sa.Column('pair_key', sa.String(length=40), nullable=True),
    sa.Column('created_at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', onecity.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('accepted_at', onecity.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('ended_at', onecity.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('ended_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['ended_by_id'], ['citizen.id'], name=op.f('fk_family_link_ended_by_id_citizen')),
    sa.ForeignKeyConstraint(['invitee_id'], ['citizen.id'], name=op.f('fk_family_link_invitee_id_citizen')),
    sa.ForeignKeyConstraint(['inviter_id'], ['citizen.id'], name=op.f('fk_family_link_inviter_id_citizen')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_family_link')),
    sa.UniqueConstraint('pair_key', name=op.f('uq_family_link_pair_key')),
    sa.UniqueConstraint('public_id', name=op.f('uq_family_link_public_id'))
    )
    with op.batch_alter_table('family_link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_family_link_address_index'), ['address_index'], unique=False)
        batch_op.create_index(batch_op.f('ix_family_link_invitee_id'), ['invitee_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_family_link_inviter_id'), ['inviter_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_family_link_status'), ['status'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('family_link', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_family_link_status'))
        batch_op.drop_index(batch_op.f('ix_family_link_inviter_id'))
        batch_op.drop_index(batch_op.f('ix_family_link_invitee_id'))
        batch_op.drop_index(batch_op.f('ix_family_link_address_index'))

    op.drop_table('family_link')
