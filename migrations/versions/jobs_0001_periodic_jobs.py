"""core: periodic job runs

Revision ID: jobs_0001
Revises: 0001_core
Create Date: 2026-11-26 12:55:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import onecity.db

revision: str = "jobs_0001"
down_revision: str | Sequence[str] | None = "0001_core"
branch_labels: str | Sequence[str] | None = ("jobs",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "periodic_job_run",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("last_started_at", onecity.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_finished_at", onecity.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_result", sa.Text(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_periodic_job_run")),
    )


def downgrade() -> None:
    op.drop_table("periodic_job_run")
