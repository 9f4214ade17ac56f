"""PostgreSQL for the benchmarks: found or started the way `make test` does, scratch databases by name."""

# ruff: noqa: S603, S607 - runs pg_isready and scripts/ensure-postgres.sh with fixed arguments

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get(
    "ONECITY_TEST_PG_URL", "postgresql+psycopg://onecity:onecity@127.0.0.1:5432/postgres")


def ensure_postgres() -> None:
    if subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1", "-p", "5432"], check=False).returncode != 0:
        subprocess.run(["bash", str(ROOT / "scripts" / "ensure-postgres.sh")], check=True)


def admin(sql: str) -> None:
    """Run one statement on the server's admin database (CREATE/DROP DATABASE)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as c:
        c.execute(text(sql))
    engine.dispose()


def url_of(dbname: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + dbname
