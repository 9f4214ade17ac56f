"""services applications: reference serials from a sequence on PostgreSQL (no lock held to commit)

Revision ID: services_applications_0002
Revises: services_applications_0001
Create Date: 2026-11-26 20:00:00

The sequence starts above every serial the per-day counters handed out, so a number taken today
cannot repeat one already given today. SQLite keeps using svc_reference_counters.
"""
from collections.abc import Sequence

from alembic import op

revision: str = "services_applications_0002"
down_revision: str | Sequence[str] | None = "services_applications_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE SEQUENCE svc_application_reference_seq")
    op.execute("SELECT setval('svc_application_reference_seq', "
               "COALESCE((SELECT max(last) FROM svc_reference_counters), 0) + 1, false)")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP SEQUENCE svc_application_reference_seq")
