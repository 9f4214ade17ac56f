"""PostgreSQL for the benchmarks: found or started the way `make test` does, scratch databases by name,
pgbench's tpcb-like run on the same server for comparison."""

# ruff: noqa: S603, S607 - runs pg_isready, pgbench and scripts/ensure-postgres.sh with fixed arguments

from __future__ import annotations

import os
import re
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


def pg_env() -> dict[str, str]:
    """The environment the PostgreSQL command-line tools (pgbench) need to reach the server."""
    from sqlalchemy.engine import make_url

    u = make_url(PG_ADMIN_URL)
    return os.environ | {"PGHOST": u.host or "127.0.0.1", "PGPORT": str(u.port or 5432),
                         "PGUSER": u.username or "onecity", "PGPASSWORD": u.password or ""}


def init_pgbench(dbname: str, *, scale: int, server_side: bool = False) -> None:
    """`pgbench -i` on a scratch database; server_side generates the data in the server (quicker)."""
    steps = ["-I", "dtGvp"] if server_side else []
    subprocess.run(["pgbench", "-i", "-q", *steps, "-s", str(scale), dbname], check=True, env=pg_env(),
                   capture_output=True)


def run_pgbench(dbname: str, *, clients: int, seconds: int) -> tuple[float, str]:
    """pgbench's built-in tpcb-like script: transactions per second (without connection time) and its output."""
    out = subprocess.run(["pgbench", "-n", "-c", str(clients), "-j", str(min(clients, os.cpu_count() or 2)),
                          "-T", str(seconds), "-b", "tpcb-like", dbname],
                         check=True, env=pg_env(), capture_output=True, text=True).stdout
    m = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", out) or re.search(r"tps = ([0-9.]+)", out)
    assert m is not None, out
    return float(m.group(1)), out
