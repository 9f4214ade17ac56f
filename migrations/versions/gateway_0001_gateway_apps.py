"""gateway: merchants' open-platform apps

Revision ID: gateway_0001
Revises: 0001_core
Create Date: 2026-11-26 13:40:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import onecity.db

revision: str = "gateway_0001"
down_revision: str | Sequence[str] | None = "0001_core"
branch_labels: str | Sequence[str] | None = ("gateway",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "gateway_app",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("app_id", sa.String(length=16), nullable=False),
        sa.Column("merchant_id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("public_key_pem", sa.Text(), nullable=False),
        sa.Column("key_fingerprint", sa.String(length=64), nullable=False),
        sa.Column("notify_url", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", onecity.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=40), nullable=False),
        sa.Column("key_updated_at", onecity.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status_changed_at", onecity.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", onecity.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gateway_app")),
        sa.UniqueConstraint("app_id", name=op.f("uq_gateway_app_app_id")),
    )
    with op.batch_alter_table("gateway_app", schema=None) as batch_op:
        batch_op.create_index("ix_gateway_app_merchant", ["merchant_id", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("gateway_app", schema=None) as batch_op:
        batch_op.drop_index("ix_gateway_app_merchant")
    op.drop_table("gateway_app")
