"""face: face verification (刷脸核身) challenges, attempts, grants, reference embeddings

Revision ID: face_0001
Revises: identity_0001
Create Date: 2026-11-26 12:20:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import onecity.db

revision: str = 'face_0001'
down_revision: str | Sequence[str] | None = 'identity_0001'
branch_labels: str | Sequence[str] | None = ('face',)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('face_challenge',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=40), nullable=False),
    sa.Column('nonce_sha256', sa.String(length=64), nullable=False),
    sa.Column('citizen_id', sa.Integer(), nullable=False),
    sa.Column('act', sa.String(length=64), nullable=False),
    sa.Column('steps', sa.JSON(), nullable=False),
    sa.Column('created_at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', onecity.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['citizen_id'], ['citizen.id'], name=op.f('fk_face_challenge_citizen_id_citizen')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_face_challenge')),
    sa.UniqueConstraint('nonce_sha256', name=op.f('uq_face_challenge_nonce_sha256')),
    sa.UniqueConstraint('public_id', name=op.f('uq_face_challenge_public_id'))
    )
    with op.batch_alter_table('face_challenge', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_face_challenge_citizen_id'), ['citizen_id'], unique=False)

    op.create_table('face_reference',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('citizen_id', sa.Integer(), nullable=False),
    sa.Column('photo_index', sa.String(length=64), nullable=False),
    sa.Column('embedding_enc', sa.LargeBinary(), nullable=False),
    sa.Column('computed_at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['citizen_id'], ['citizen.id'], name=op.f('fk_face_reference_citizen_id_citizen')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_face_reference')),
    sa.UniqueConstraint('citizen_id', name=op.f('uq_face_reference_citizen_id'))
    )
    op.create_table('face_verification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=40), nullable=False),
    sa.Column('citizen_id', sa.Integer(), nullable=False),
    sa.Column('challenge_id', sa.Integer(), nullable=False),
    sa.Column('act', sa.String(length=64), nullable=False),
    sa.Column('created_at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('frame_count', sa.Integer(), nullable=False),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('threshold', sa.Float(), nullable=False),
    sa.Column('decision', sa.String(length=8), nullable=False),
    sa.Column('reason', sa.String(length=40), nullable=True),
    sa.Column('duration_ms', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['challenge_id'], ['face_challenge.id'], name=op.f('fk_face_verification_challenge_id_face_challenge')),
    sa.ForeignKeyConstraint(['citizen_id'], ['citizen.id'], name=op.f('fk_face_verification_citizen_id_citizen')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_face_verification')),
    sa.UniqueConstraint('public_id', name=op.f('uq_face_verification_public_id'))
    )
    with op.batch_alter_table('face_verification', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_face_verification_challenge_id'), ['challenge_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_face_verification_citizen_id'), ['citizen_id'], unique=False)

    op.create_table('face_grant',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=40), nullable=False),
    sa.Column('citizen_id', sa.Integer(), nullable=False),
    sa.Column('verification_id', sa.Integer(), nullable=False),
    sa.Column('act', sa.String(length=64), nullable=False),
    sa.Column('created_at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', onecity.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('consumed_at', onecity.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['citizen_id'], ['citizen.id'], name=op.f('fk_face_grant_citizen_id_citizen')),
    sa.ForeignKeyConstraint(['verification_id'], ['face_verification.id'], name=op.f('fk_face_grant_verification_id_face_verification')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_face_grant')),
    sa.UniqueConstraint('public_id', name=op.f('uq_face_grant_public_id')),
    sa.UniqueConstraint('verification_id', name=op.f('uq_face_grant_verification_id'))
    )
    with op.batch_alter_table('face_grant', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_face_grant_citizen_id'), ['citizen_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('face_grant', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_face_grant_citizen_id'))

    op.drop_table('face_grant')
    with op.batch_alter_table('face_verification', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_face_verification_citizen_id'))
        batch_op.drop_index(batch_op.f('ix_face_verification_challenge_id'))

    op.drop_table('face_verification')
    op.drop_table('face_reference')
    with op.batch_alter_table('face_challenge', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_face_challenge_citizen_id'))

    op.drop_table('face_challenge')
