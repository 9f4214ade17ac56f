"""credentials: issuers of electronic certificates and their signing keys

Revision ID: credentials_0001
Revises: 0001_core
Create Date: 2026-11-26 15:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import onecity.db

revision: str = "credentials_0001"
down_revision: str | Sequence[str] | None = "0001_core"
branch_labels: str | Sequence[str] | None = ("credentials",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "credential_issuer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=40), nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("region", sa.String(length=6), nullable=False),
        sa.Column("alg", sa.String(length=8), nullable=False),
        sa.Column("created_at", onecity.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credential_issuer")),
        sa.UniqueConstraint("public_id", name=op.f("uq_credential_issuer_public_id")),
    )
    with op.batch_alter_table("credential_issuer", schema=None) as batch_op:
        batch_op.create_index("ix_credential_issuer_region", ["region", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_credential_issuer_org_id"), ["org_id"], unique=False)

    op.create_table(
        "credential_issuer_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kid", sa.String(length=16), nullable=False),
        sa.Column("issuer_id", sa.Integer(), nullable=False),
        sa.Column("alg", sa.String(length=8), nullable=False),
        sa.Column("public_key", sa.LargeBinary(), nullable=False),
        sa.Column("private_key_enc", sa.LargeBinary(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("not_before", onecity.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("not_after", onecity.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", onecity.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status_changed_at", onecity.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["issuer_id"], ["credential_issuer.id"],
                                name=op.f("fk_credential_issuer_key_issuer_id_credential_issuer")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credential_issuer_key")),
        sa.UniqueConstraint("kid", name=op.f("uq_credential_issuer_key_kid")),
    )
    with op.batch_alter_table("credential_issuer_key", schema=None) as batch_op:
        batch_op.create_index("ix_credential_issuer_key_issuer", ["issuer_id", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("credential_issuer_key", schema=None) as batch_op:
        batch_op.drop_index("ix_credential_issuer_key_issuer")
    op.drop_table("credential_issuer_key")
    with op.batch_alter_table("credential_issuer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_credential_issuer_org_id"))
        batch_op.drop_index("ix_credential_issuer_region")
    op.drop_table("credential_issuer")
