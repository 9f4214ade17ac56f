"""credentials: CSV imports, consents, the access log, recognised trust lists; a status reason

Revision ID: credentials_0004
Revises: credentials_0003
Create Date: 2026-11-26 16:10:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import onecity.db

revision: str = "credentials_0004"
down_revision: str | Sequence[str] | None = "credentials_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("credential", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status_reason", sa.String(length=200), nullable=True))
    op.create_table(
        "credential_import",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=40), nullable=False),
        sa.Column("issuer_id", sa.Integer(), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("rows_total", sa.Integer(), nullable=False),
        sa.Column("rows_accepted", sa.Integer(), nullable=False),
        sa.Column("rows_rejected", sa.Integer(), nullable=False),
        sa.Column("report", sa.Text(), nullable=False),
        sa.Column("created_at", onecity.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(["issuer_id"], ["credential_issuer.id"],
                                name=op.f("fk_credential_import_issuer_id_credential_issuer")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credential_import")),
        sa.UniqueConstraint("public_id", name=op.f("uq_credential_import_public_id")),
        sa.UniqueConstraint("issuer_id", "file_sha256", name="uq_credential_import_file"),
    )
    with op.batch_alter_table("credential_import", schema=None) as batch_op:
        batch_op.create_index("ix_credential_import_issuer", ["issuer_id", "id"], unique=False)
    op.create_table(
        "credential_consent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=40), nullable=False),
        sa.Column("citizen_id", sa.String(length=40), nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("purpose", sa.String(length=64), nullable=False),
        sa.Column("type_ids", sa.String(length=600), nullable=False),
        sa.Column("granted_at", onecity.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", onecity.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", onecity.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credential_consent")),
        sa.UniqueConstraint("public_id", name=op.f("uq_credential_consent_public_id")),
    )
    with op.batch_alter_table("credential_consent", schema=None) as batch_op:
        batch_op.create_index("ix_credential_consent_citizen", ["citizen_id", "org_id", "purpose"], unique=False)
    op.create_table(
        "credential_access",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=40), nullable=False),
        sa.Column("citizen_id", sa.String(length=40), nullable=False),
        sa.Column("credential_id", sa.String(length=40), nullable=False),
        sa.Column("type_id", sa.String(length=40), nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("purpose", sa.String(length=64), nullable=True),
        sa.Column("fields", sa.String(length=1000), nullable=False),
        sa.Column("verdict", sa.String(length=32), nullable=False),
        sa.Column("at", onecity.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credential_access")),
        sa.UniqueConstraint("public_id", name=op.f("uq_credential_access_public_id")),
    )
    with op.batch_alter_table("credential_access", schema=None) as batch_op:
        batch_op.create_index("ix_credential_access_citizen", ["citizen_id", "id"], unique=False)
    op.create_table(
        "credential_recognised_list",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=6), nullable=False),
        sa.Column("platform_public", sa.LargeBinary(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("expires_at", onecity.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("imported_at", onecity.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("imported_by", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credential_recognised_list")),
        sa.UniqueConstraint("scope", name=op.f("uq_credential_recognised_list_scope")),
    )


def downgrade() -> None:
    op.drop_table("credential_recognised_list")
    with op.batch_alter_table("credential_access", schema=None) as batch_op:
        batch_op.drop_index("ix_credential_access_citizen")
    op.drop_table("credential_access")
    with op.batch_alter_table("credential_consent", schema=None) as batch_op:
        batch_op.drop_index("ix_credential_consent_citizen")
    op.drop_table("credential_consent")
    with op.batch_alter_table("credential_import", schema=None) as batch_op:
        batch_op.drop_index("ix_credential_import_issuer")
    op.drop_table("credential_import")
    with op.batch_alter_table("credential", schema=None) as batch_op:
        batch_op.drop_column("status_reason")
