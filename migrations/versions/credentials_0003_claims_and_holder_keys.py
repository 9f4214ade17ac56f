"""credentials: claiming certificates into the wallet (OpenID4VCI-style pre-authorised codes)

Revision ID: credentials_0003
Revises: credentials_0002
Create Date: 2026-11-26 16:15:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import onecity.db

revision: str = "credentials_0003"
down_revision: str | Sequence[str] | None = "credentials_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("credential", schema=None) as batch_op:
        batch_op.add_column(sa.Column("holder_id_index", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("claimed_at", onecity.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_credential_holder_id_index", ["holder_id_index"], unique=False)
    op.create_table(
        "credential_claim",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=40), nullable=False),
        sa.Column("credential_id", sa.Integer(), nullable=False),
        sa.Column("citizen_id", sa.String(length=40), nullable=False),
        sa.Column("face_grant_id", sa.String(length=40), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("code_expires_at", onecity.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("code_used_at", onecity.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("token_hash", sa.String(length=64), nullable=True),
        sa.Column("token_expires_at", onecity.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("claimed_at", onecity.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", onecity.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["credential_id"], ["credential.id"],
                                name=op.f("fk_credential_claim_credential_id_credential")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credential_claim")),
        sa.UniqueConstraint("public_id", name=op.f("uq_credential_claim_public_id")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_credential_claim_code_hash")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_credential_claim_token_hash")),
    )
    with op.batch_alter_table("credential_claim", schema=None) as batch_op:
        batch_op.create_index("ix_credential_claim_credential", ["credential_id", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("credential_claim", schema=None) as batch_op:
        batch_op.drop_index("ix_credential_claim_credential")
    op.drop_table("credential_claim")
    with op.batch_alter_table("credential", schema=None) as batch_op:
        batch_op.drop_index("ix_credential_holder_id_index")
        batch_op.drop_column("claimed_at")
        batch_op.drop_column("holder_id_index")
