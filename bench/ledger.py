"""Ledger transfers per second on PostgreSQL, against pgbench's TPC-B-like run on the same server.

    .venv/bin/python bench/ledger.py [--clients 8] [--seconds 5] [--rounds 2] [--batch 250] [--accounts 20000]

Finds or starts PostgreSQL the way `make test` does (scripts/ensure-postgres.sh, role onecity), makes
two scratch databases (dropped at the end): one migrated for the ledger, one `pgbench -i`. Then, with
the same number of clients and the same duration, alternated for `--rounds` rounds:

1. pgbench's built-in tpcb-like script (5 statements per transaction: 3 UPDATEs, a SELECT, an INSERT);
2. ledger transfers between random no-overdraft wallets, `--batch` transfers per transaction through
   `ledger.service.transfer_group` (each client a process: the GIL would otherwise be the limit);
3. the same, but every transfer credits one HOT account (the metro operator taking every fare).

Prints the figures, then as the last line one JSON object: transfers_per_s, pgbench_tps,
ratio_vs_pgbench, hot_account_ratio (hot throughput / spread throughput), clients, and more.
"""

# ruff: noqa: S603, S607 - runs pgbench and pg_isready from PATH with fixed arguments
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import random
import re
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pgserver import admin, ensure_postgres, init_pgbench, run_pgbench, url_of  # noqa: E402

FUNDS = 10**9  # fen per wallet: no client ever runs a wallet dry during a run


def setup_ledger(url: str, accounts: int) -> tuple[list[str], str, str]:
    """Migrate, open `accounts` wallets plus a bank and a hot metro account, fund every wallet."""
    from onecity import db
    from onecity.ledger import service
    from onecity.ledger.schemas import DEBITS_MUST_NOT_EXCEED_CREDITS, HOT, AccountSpec, TransferSpec
    from onecity.migrate import upgrade

    db.configure(url)
    upgrade()
    with db.transaction() as s:
        bank = service.open_account(s, key="system:bank_clearing:CNY", code="system", owner="platform", flags=HOT)
        metro = service.open_account(s, key="transit:metro:CNY", code="transit", owner="org_metro",
                                     flags=DEBITS_MUST_NOT_EXCEED_CREDITS | HOT)
        opened = service.open_accounts(s, [
            AccountSpec(key=f"wallet:bench{i}:CNY", code="wallet", owner=f"cit_bench{i}",
                        flags=DEBITS_MUST_NOT_EXCEED_CREDITS) for i in range(accounts)])
        wallets = [a.id for a in opened]
        for start in range(0, len(wallets), 2000):
            service.transfer_group(s, [
                TransferSpec(transfer_id=f"fund:{w}", debit=bank.id, credit=w, amount=FUNDS, code="topup")
                for w in wallets[start:start + 2000]])
    with db.engine().connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.exec_driver_sql("VACUUM ANALYZE ledger_account")  # as autovacuum would have by now
        c.exec_driver_sql("VACUUM ANALYZE ledger_transfer")
    db.engine().dispose()
    return wallets, metro.id, bank.id


def client(url: str, wallets: list[str], hot: str | None, batch: int, seconds: float, seed: int,
           start: mp.synchronize.Event, results: mp.Queue) -> None:  # type: ignore[type-arg]
    """One client: transfer_group batches in a loop for `seconds`; reports (transfers, groups, latencies)."""
    from onecity import db
    from onecity.ledger import service
    from onecity.ledger.schemas import TransferSpec

    db.configure(url)
    rnd = random.Random(seed)
    prefix = f"b{seed}-{uuid.uuid4().hex[:6]}-"
    n = groups = 0
    latencies: list[float] = []
    with db.transaction() as s:  # warm up connection and statement caches
        service.balance(s, wallets[0])
    start.wait()
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        specs = []
        for _ in range(batch):
            debit = rnd.choice(wallets)
            credit = hot or rnd.choice(wallets)
            while credit == debit:
                credit = rnd.choice(wallets)
            n += 1
            specs.append(TransferSpec.model_construct(
                transfer_id=f"{prefix}{n}", debit=debit, credit=credit, amount=rnd.randint(1, 10_000),
                code="fare" if hot else "p2p", currency="CNY", ref=None, pending=False, timeout=None))
        t0 = time.perf_counter()
        with db.transaction() as s:
            service.transfer_group(s, specs)
        latencies.append(time.perf_counter() - t0)
        groups += 1
    db.engine().dispose()
    results.put((groups * batch, groups, latencies))


def run_ledger(url: str, wallets: list[str], hot: str | None, *, clients: int, batch: int,
               seconds: float) -> dict[str, float]:
    ctx = mp.get_context("fork")
    start, results = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=client, args=(url, wallets, hot, batch, seconds, i + (1000 if hot else 0),
                                              start, results)) for i in range(clients)]
    for p in procs:
        p.start()
    time.sleep(1.0)  # let every client connect before the clock starts
    t0 = time.perf_counter()
    start.set()
    got = [results.get(timeout=seconds + 120) for _ in procs]
    elapsed = time.perf_counter() - t0
    for p in procs:
        p.join()
    transfers = sum(g[0] for g in got)
    lat = sorted(x for g in got for x in g[2])
    return {"transfers": transfers, "groups": sum(g[1] for g in got), "seconds": elapsed,
            "transfers_per_s": transfers / elapsed,
            "group_p50_ms": lat[len(lat) // 2] * 1000 if lat else 0.0,
            "group_p99_ms": lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000 if lat else 0.0}


def check(url: str) -> list[str]:
    from onecity import db
    from onecity.ledger import service

    db.configure(url)
    with db.transaction() as s:
        problems = service.check(s)
    db.engine().dispose()
    return problems


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--seconds", type=int, default=5, help="length of each run")
    ap.add_argument("--rounds", type=int, default=2, help="pgbench / spread / hot runs, alternated")
    ap.add_argument("--batch", type=int, default=250, help="transfers per transaction (transfer_group)")
    ap.add_argument("--accounts", type=int, default=20_000)
    ap.add_argument("--scale", type=int, default=8, help="pgbench -i scale (>= clients avoids branch contention)")
    args = ap.parse_args()

    ensure_postgres()
    tag = f"{os.getpid()}_{uuid.uuid4().hex[:6]}"
    ledger_db, pgbench_db = f"onecity_bench_ledger_{tag}", f"onecity_bench_pgbench_{tag}"
    admin(f'CREATE DATABASE "{ledger_db}"')
    admin(f'CREATE DATABASE "{pgbench_db}"')
    pg_tps: list[float] = []
    spreads: list[dict[str, float]] = []
    hots: list[dict[str, float]] = []
    try:
        t0 = time.perf_counter()
        wallets, metro, _bank = setup_ledger(url_of(ledger_db), args.accounts)
        init_pgbench(pgbench_db, scale=args.scale)
        print(f"setup: {len(wallets)} wallets opened and funded, pgbench -i -s {args.scale}: "
              f"{time.perf_counter() - t0:.1f} s")
        # Alternate the runs, so a change in the machine's load during the benchmark hits both sides.
        for r in range(args.rounds):
            tps, out = run_pgbench(pgbench_db, clients=args.clients, seconds=args.seconds)
            latency = re.search(r"latency average = ([0-9.]+) ms", out)
            pg_tps.append(tps)
            print(f"[{r + 1}] pgbench tpcb-like: {tps:,.0f} tps ({args.clients} clients, {args.seconds} s, "
                  f"latency avg {latency.group(1) if latency else '?'} ms)")
            spread = run_ledger(url_of(ledger_db), wallets, None, clients=args.clients, batch=args.batch,
                                seconds=args.seconds)
            spreads.append(spread)
            print(f"[{r + 1}] ledger spread: {spread['transfers_per_s']:,.0f} transfers/s ({spread['transfers']:,} "
                  f"transfers between random wallets in groups of {args.batch}; group p50 "
                  f"{spread['group_p50_ms']:.0f} ms, p99 {spread['group_p99_ms']:.0f} ms)")
            hot = run_ledger(url_of(ledger_db), wallets, metro, clients=args.clients, batch=args.batch,
                             seconds=args.seconds)
            hots.append(hot)
            print(f"[{r + 1}] ledger hot:    {hot['transfers_per_s']:,.0f} transfers/s (every transfer credits "
                  f"one HOT account; group p50 {hot['group_p50_ms']:.0f} ms, p99 {hot['group_p99_ms']:.0f} ms)")
        problems = check(url_of(ledger_db))
        print(f"ledger check: {'clean' if not problems else problems[:5]}")
    finally:
        admin(f'DROP DATABASE IF EXISTS "{ledger_db}" WITH (FORCE)')
        admin(f'DROP DATABASE IF EXISTS "{pgbench_db}" WITH (FORCE)')
    pgbench_tps = sum(pg_tps) / len(pg_tps)
    spread = {"transfers_per_s": sum(x["transfers"] for x in spreads) / sum(x["seconds"] for x in spreads)}
    hot = {"transfers_per_s": sum(x["transfers"] for x in hots) / sum(x["seconds"] for x in hots)}
    ratio = spread["transfers_per_s"] / pgbench_tps if pgbench_tps else 0.0
    print(f"machine: {platform.machine()} {os.cpu_count()} cores, {platform.platform()}")
    print(json.dumps({
        "transfers_per_s": round(spread["transfers_per_s"], 1),
        "pgbench_tps": round(pgbench_tps, 1),
        "ratio_vs_pgbench": round(ratio, 2),
        "hot_account_ratio": round(hot["transfers_per_s"] / spread["transfers_per_s"], 2),
        "hot_transfers_per_s": round(hot["transfers_per_s"], 1),
        "clients": args.clients,
        "batch": args.batch,
        "seconds": args.seconds * args.rounds,
        "check_clean": not problems,
    }))


if __name__ == "__main__":
    main()
