"""credentials: issued certificates and their issuers' status lists

Revision ID: credentials_0002
Revises: credentials_0001
Create Date: 2026-11-26 15:20:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import onecity.db

revision: str = "credentials_0002"
down_revision: str | Sequence[str] | None = "credentials_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "credential_status_list",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issuer_id", sa.Integer(), nullable=False),
        sa.Column("uri", sa.String(length=200), nullable=False),
        sa.Column("bits", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("created_at", onecity.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["issuer_id"], ["credential_issuer.id"],
                                name=op.f("fk_credential_status_list_issuer_id_credential_issuer")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credential_status_list")),
        sa.UniqueConstraint("issuer_id", name=op.f("uq_credential_status_list_issuer_id")),
        sa.UniqueConstraint("uri", name=op.f("uq_credential_status_list_uri")),
    )
    op.create_table(
        "credential",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=40), nullable=False),
        sa.Column("issuer_id", sa.Integer(), nullable=False),
        sa.Column("type_id", sa.String(length=40), nullable=False),
        sa.Column("holder_citizen_id", sa.String(length=40), nullable=True),
        sa.Column("claims_enc", sa.LargeBinary(), nullable=False),
        sa.Column("holder_alg", sa.String(length=8), nullable=True),
        sa.Column("holder_public_key", sa.LargeBinary(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_list_id", sa.Integer(), nullable=False),
        sa.Column("status_idx", sa.Integer(), nullable=False),
        sa.Column("valid_from", onecity.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("valid_until", onecity.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("issued_at", onecity.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("issued_by", sa.String(length=40), nullable=False),
        sa.Column("status_changed_at", onecity.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("replaced_by", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(["issuer_id"], ["credential_issuer.id"],
                                name=op.f("fk_credential_issuer_id_credential_issuer")),
        sa.ForeignKeyConstraint(["status_list_id"], ["credential_status_list.id"],
                                name=op.f("fk_credential_status_list_id_credential_status_list")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credential")),
        sa.UniqueConstraint("public_id", name=op.f("uq_credential_public_id")),
        sa.UniqueConstraint("status_list_id", "status_idx", name="uq_credential_status_entry"),
    )
    with op.batch_alter_table("credential", schema=None) as batch_op:
        batch_op.create_index("ix_credential_issuer", ["issuer_id", "id"], unique=False)
        batch_op.create_index("ix_credential_holder", ["holder_citizen_id", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("credential", schema=None) as batch_op:
        batch_op.drop_index("ix_credential_holder")
        batch_op.drop_index("ix_credential_issuer")
    op.drop_table("credential")
    op.drop_table("credential_status_list")
