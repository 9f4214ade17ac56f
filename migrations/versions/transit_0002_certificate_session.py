"""transit: the sign-in session that asked for each device certificate (signing out denies it)

Revision ID: transit_0002
Revises: transit_0001
Create Date: 2026-11-26 17:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "transit_0002"
down_revision: str | Sequence[str] | None = "transit_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("transit_device_certificate", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_id", sa.String(length=40), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_transit_device_certificate_session_id"), ["session_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("transit_device_certificate", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_transit_device_certificate_session_id"))
        batch_op.drop_column("session_id")
