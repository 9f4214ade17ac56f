"""Medical-insurance settlement over HTTP: pre-settle + settle of 20-line bills at concurrent institutions.

    .venv/bin/python bench/medinsure.py [--seconds 8] [--institutions 32] [--workers 2] [--load 0.5]

Finds or starts PostgreSQL the way `make test` does (scripts/ensure-postgres.sh), creates two scratch
databases (dropped at the end): one migrated for OneCity, one for `pgbench -i`. Seeds, in one
transaction through the service functions (no HTTP): the demo city's policies, INSTITUTIONS designated
institutions (three hospitals in four, the rest pharmacies), each with its own Ed25519 API key and its
own stream of insured patients (funded personal account and wallet, small-amount limit at its maximum),
and for each institution a queue of visits opened with the patient's counter consent whose 20 fee lines
are uploaded. Then starts `onecity.app` under uvicorn and drives it with one client per institution
(asyncio + httpx, every request signed with the institution's key, an Idempotency-Key on every POST):

1. spread, closed loop: each institution pre-settles and settles (counter path) the bills of its own
   patients one after the other, so patients' accumulator rows do not collide (the pooled fund's
   account and the audit chain's head are shared by every settlement, as in production);
2. spread, paced: the same at `--load` (50 %) of the closed loop's throughput, Poisson arrivals, each
   bill's latency counted from when it was due;
3. hot patient: every institution settles bills of ONE patient (one accumulator row, one personal
   account, one wallet: that person's settlements are applied one after the other; a pre-settlement
   made stale by another settlement in between is pre-settled again, as a counter would);
4. pgbench's built-in tpcb-like script on the same server, as many clients, scale = clients.

A settlement's latency is the pre-settle + settle pair, from the first request to the second answer.
Last line: one JSON object with settlements_per_s (closed loop), p50_ms and p99_ms (paced phase; the
closed loop's are beside them), pgbench_tps, ratio_vs_pgbench (settlements/s ÷ pgbench tps), the hot
phase's figures and the load average. Target: p99 < 100 ms.
"""

# ruff: noqa: S603, S607 - runs pgbench and uvicorn with fixed arguments

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from httpbench import free_port, p50_p99, scratch_env, start_server, stop_server  # noqa: E402
from pgserver import admin, ensure_postgres, init_pgbench, run_pgbench, url_of  # noqa: E402

TAG = os.getpid()
DBNAME, PGBENCH_DB = f"onecity_bench_med_{TAG}", f"onecity_bench_med_pgbench_{TAG}"
URL = url_of(DBNAME)
TMP = scratch_env(URL)

LINES = 20
FUNDS = 10**9  # fen on every personal account and wallet: nobody runs dry during a run


@dataclass
class Institution:
    org_id: str
    app_id: str
    private_pem: str
    visits: list[str] = field(default_factory=list)  # spread phase, this institution's own patients
    hot_visits: list[str] = field(default_factory=list)  # hot phase, all of the one hot patient


def bill(catalogue: list[dict], *, pharmacy: bool) -> list[dict]:
    """20 lines of one bill: services at list price and drugs/materials (甲/乙/丙) at a plausible price."""
    items = [c for c in catalogue if not pharmacy or c["kind"] != "service"]
    items.sort(key=lambda c: (c["kind"], c["code"]))
    step = max(1, len(items) // LINES)
    chosen = (items[::step] + items)[:LINES]
    out = []
    for i, c in enumerate(chosen, start=1):
        price = c["list_price_fen"] or c["standard_price_fen"] or 1_200
        out.append({"line_no": i, "code": c["code"], "quantity": 1 + i % 2, "unit_price_fen": int(price)})
    return out


def seed(institutions: int, patients_per: int, visits_per: int, hot_per: int) -> list[Institution]:
    """Everything the run needs, in one transaction through the service functions (no HTTP)."""
    from onecity import db
    from onecity.crypto.signing import generate_ed25519
    from onecity.identity import service as identity
    from onecity.identity.orgs import service as orgs
    from onecity.identity.schemas import RegistryRow
    from onecity.ledger import service as ledger
    from onecity.medinsure import service as med
    from onecity.medinsure.service.insured import insured_row
    from onecity.medinsure.service.policies import policy_for, today
    from onecity.medinsure.service.visits import open_visit, replace_lines
    from onecity.migrate import upgrade
    from onecity.payments.bank import service as bank
    from onecity.payments.codes import service as paycodes
    from onecity.payments.codes.service import MAX_LIMIT_FEN
    from onecity.payments.wallet import service as wallet
    from tests.identity.factories import fresh_id_number
    from tests.identity.orgs.factories import fresh_uscc

    db.configure(URL)
    upgrade()
    insts: list[Institution] = []
    with db.transaction() as s:
        med.seed_policies(s)
        policy = policy_for(s, on=today())
        catalogue = [{"code": it.code, "kind": it.kind, "list_price_fen": it.list_price_fen,
                      "standard_price_fen": it.standard_price_fen} for it in policy.catalogue.values()]
        from onecity.medinsure import rules

        kinds = ["pharmacy" if i % 4 == 3 else "hospital" for i in range(institutions)]
        bills = {k: [rules.BillLine(line_no=ln["line_no"], code=ln["code"], quantity=ln["quantity"],
                                    unit_price_fen=ln["unit_price_fen"]) for ln in bill(catalogue, pharmacy=k == "pharmacy")]
                 for k in ("hospital", "pharmacy")}
        orgs_made = []
        for i, kind in enumerate(kinds):
            org = orgs.create_org(s, kind=kind, name_zh=f"压测{'药店' if kind == 'pharmacy' else '医院'}{i}",
                                  uscc_code=fresh_uscc(), actor="bench")
            med.register_institution(s, org_id=org.public_id, level=0 if kind == "pharmacy" else 1 + i % 3,
                                     actor="bench")
            priv, pub = generate_ed25519()
            api_key = orgs.register_api_key(s, org_id=org.public_id, public_key_pem=pub, label="bench",
                                            actor="bench", scopes=None)
            insts.append(Institution(org.public_id, api_key.app_id, priv))
            orgs_made.append(kind)

        n = institutions * patients_per + 1
        rows = [RegistryRow(name="张伟", id_number=fresh_id_number()) for _ in range(n)]
        identity.load_registry(s, rows)
        clearing = bank.system_account(s, "bank_clearing")
        people = []
        for i, row in enumerate(rows):
            c = identity.register_citizen(s, mobile=f"138{i:08d}")
            identity.verify_real_name(s, citizen_id=c.public_id, name=row.name, id_number=row.id_number)
            med.enrol(s, citizen_id=c.public_id, scheme="employee", actor="bench")
            med.contribute(s, citizen_id=c.public_id, amount=FUNDS, actor="bench", transfer_id=f"bench-pa-{i}")
            ledger.transfer(s, transfer_id=f"bench-w-{i}", debit=clearing,
                            credit=wallet.wallet_account_id(s, c.public_id), amount=FUNDS, code="bench.fund")
            paycodes.set_small_amount_limit(s, citizen_id=c.public_id, limit_fen=MAX_LIMIT_FEN)
            people.append(insured_row(s, c.public_id))
        hot, streams = people[-1], people[:-1]

        def visit(inst: Institution, kind: str, ins: object) -> str:
            v = open_visit(s, institution_org_id=inst.org_id, insured=ins, confirmer_id=ins.citizen_id,  # type: ignore[attr-defined]
                           visit_type="pharmacy" if kind == "pharmacy" else "outpatient", channel="code",
                           code_id=None, counter_consent=True)
            replace_lines(s, v, bills[kind], policy)
            return v.visit_id

        for i, (inst, kind) in enumerate(zip(insts, orgs_made, strict=True)):
            mine = streams[i * patients_per:(i + 1) * patients_per]
            inst.visits = [visit(inst, kind, mine[j % len(mine)]) for j in range(visits_per)]
            inst.hot_visits = [visit(inst, kind, hot) for _ in range(hot_per)]
    db.engine().dispose()
    return insts


async def drive(base: str, queues: list[tuple[Institution, Iterator[str]]], *, seconds: float, label: str,
                rate: float | None = None) -> dict[str, float]:
    """One client per institution, each settling its queue of visits (pre-settle, then settle) until
    `seconds` have passed or its queue is empty.

    Closed loop (rate None): each client starts its next bill when the last is settled, so the figure
    is the most the server does (and a bill's latency includes its wait behind the 31 others). Paced
    (rate = settlements per second for all clients together): each client starts bills at
    exponentially distributed intervals, and the latency counts from when the bill was due, not when
    it was sent, so a slow server cannot hide its queue (no coordinated omission)."""
    import random

    import httpx

    from onecity.identity.orgs.signatures import sign_request

    latencies: list[float] = []
    errors: dict[str, int] = {}
    retries = [0]
    stop_at = time.monotonic() + seconds

    def problem(r: httpx.Response) -> str:
        code = r.json().get("code", "?") if r.headers.get("content-type", "").endswith("json") else "?"
        return f"{r.status_code}:{code}"

    async def post(http: httpx.AsyncClient, inst: Institution, path: str) -> httpx.Response:
        body = b"{}"
        headers = sign_request(inst.private_pem, inst.app_id, "POST", path, body)
        headers["content-type"] = "application/json"
        headers["idempotency-key"] = uuid.uuid4().hex
        return await http.post(path, content=body, headers=headers)

    rng = random.Random(11)

    async def client(inst: Institution, visits: Iterator[str], http: httpx.AsyncClient) -> None:
        due = time.monotonic()
        for vid in visits:
            if rate is not None:
                due += rng.expovariate(rate / len(queues))
                if due >= stop_at:
                    return
                await asyncio.sleep(max(0.0, due - time.monotonic()))
            elif time.monotonic() >= stop_at:
                return
            t0 = due if rate is not None else time.monotonic()
            for _attempt in range(5):
                pre = await post(http, inst, f"/v1/medinsure/visits/{vid}/presettle")
                if pre.status_code != 200 or not pre.json().get("counter_allowed"):
                    key = problem(pre) if pre.status_code != 200 else "presettle:needs_confirmation"
                    errors[key] = errors.get(key, 0) + 1
                    break
                r = await post(http, inst, f"/v1/medinsure/visits/{vid}/settle")
                if r.status_code == 200 and r.json().get("status") == "settled":
                    latencies.append((time.monotonic() - t0) * 1000)
                    break
                key = problem(r)
                if key == "409:medinsure_presettlement_stale":  # another settlement moved the accumulators
                    retries[0] += 1  # between the two calls: pre-settle again, as a counter would
                    continue
                errors[key] = errors.get(key, 0) + 1
                break
        errors["out_of_visits"] = errors.get("out_of_visits", 0) + 1

    limits = httpx.Limits(max_connections=len(queues), max_keepalive_connections=len(queues))
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as http:
        t0 = time.monotonic()
        await asyncio.gather(*(client(inst, visits, http) for inst, visits in queues))
        elapsed = time.monotonic() - t0
    p50, p99 = p50_p99(latencies, digits=1)
    result = {
        "settlements": len(latencies),
        "settlements_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": p50,
        "p99_ms": p99,
        "errors": sum(v for k, v in errors.items() if k != "out_of_visits"),
        "out_of_visits": errors.get("out_of_visits", 0),
        "stale_retries": retries[0],
    }
    print(f"{label:>8}: {result['settlements']} settlements in {elapsed:.1f} s = {result['settlements_per_s']}/s, "
          f"p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms, errors {errors or 0}"
          + (f", re-pre-settled after a stale pre-settlement {retries[0]}x" if retries[0] else ""))
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=8.0, help="length of the closed-loop spread phase")
    ap.add_argument("--paced-seconds", type=float, default=10.0, help="length of the paced phase")
    ap.add_argument("--load", type=float, default=0.5,
                    help="the paced phase offers this share of the closed-loop throughput")
    ap.add_argument("--hot-seconds", type=float, default=3.0, help="length of the hot-patient phase (0: skip)")
    ap.add_argument("--institutions", type=int, default=32, help="concurrent institutions (one client each)")
    ap.add_argument("--patients", type=int, default=4, help="insured patients per institution")
    ap.add_argument("--visits", type=int, default=30, help="prepared visits per institution (spread phase)")
    ap.add_argument("--hot-visits", type=int, default=6, help="prepared visits of the hot patient per institution")
    ap.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    ap.add_argument("--pgbench-seconds", type=int, default=6)
    ap.add_argument("--scale", type=int, default=0, help="pgbench -i scale (default: one branch per client)")
    args = ap.parse_args()

    ensure_postgres()
    admin(f'CREATE DATABASE "{DBNAME}"')
    admin(f'CREATE DATABASE "{PGBENCH_DB}"')
    proc = None
    try:
        t0 = time.monotonic()
        insts = seed(args.institutions, args.patients, args.visits + 1, args.hot_visits)
        print(f"seeded {len(insts)} institutions, {args.institutions * args.patients + 1} insured patients, "
              f"{sum(len(i.visits) + len(i.hot_visits) for i in insts)} visits of {LINES} lines "
              f"in {time.monotonic() - t0:.1f} s")
        port = free_port()
        proc = start_server(port, args.workers, TMP / "server.log")
        base = f"http://127.0.0.1:{port}"
        asyncio.run(drive(base, [(i, iter(i.visits[:1])) for i in insts], seconds=30, label="warm-up"))
        queues = [(i, iter(i.visits[1:])) for i in insts]
        spread = asyncio.run(drive(base, queues, seconds=args.seconds, label="spread"))
        rate = round(spread["settlements_per_s"] * args.load, 1)
        paced = asyncio.run(drive(base, queues, seconds=args.paced_seconds, label=f"paced {rate}/s", rate=rate))
        hot = (asyncio.run(drive(base, [(i, iter(i.hot_visits)) for i in insts], seconds=args.hot_seconds,
                                 label="hot"))
               if args.hot_seconds > 0 else None)
        stop_server(proc)
        proc = None
        t0 = time.monotonic()
        init_pgbench(PGBENCH_DB, scale=args.scale or args.institutions, server_side=True)
        tps, _ = run_pgbench(PGBENCH_DB, clients=args.institutions, seconds=args.pgbench_seconds)
        print(f" pgbench: tpcb-like {tps:,.0f} tps ({args.institutions} clients, {args.pgbench_seconds} s; "
              f"with init {time.monotonic() - t0:.1f} s)")
    finally:
        if proc is not None:
            stop_server(proc)
        admin(f'DROP DATABASE IF EXISTS "{DBNAME}" WITH (FORCE)')
        admin(f'DROP DATABASE IF EXISTS "{PGBENCH_DB}" WITH (FORCE)')
    load = os.getloadavg()
    ratio = round(spread["settlements_per_s"] / tps, 3) if tps else 0.0
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, load average {load[0]:.2f} {load[1]:.2f} "
          f"{load[2]:.2f}, Python {platform.python_version()}; server: {args.workers} uvicorn workers; "
          f"clients: {args.institutions} institutions")
    if spread["out_of_visits"] or paced["out_of_visits"]:
        print("note: some institutions ran out of prepared visits (raise --visits)")
    print(f"settlements/s: the closed loop's; p50/p99: the paced phase's ({args.load:.0%} of that throughput, "
          f"latency from when each bill was due); closed loop: p50 {spread['p50_ms']} ms, p99 {spread['p99_ms']} ms "
          f"({args.institutions} bills always in flight)")
    print(json.dumps({
        "settlements_per_s": spread["settlements_per_s"], "p50_ms": paced["p50_ms"], "p99_ms": paced["p99_ms"],
        "pgbench_tps": round(tps, 1), "ratio_vs_pgbench": ratio, "paced_rate_per_s": rate,
        "closed_loop_p50_ms": spread["p50_ms"], "closed_loop_p99_ms": spread["p99_ms"],
        "hot_patient_settlements_per_s": hot["settlements_per_s"] if hot else None,
        "hot_patient_p50_ms": hot["p50_ms"] if hot else None, "hot_patient_p99_ms": hot["p99_ms"] if hot else None,
        "settlements": spread["settlements"], "errors": spread["errors"] + paced["errors"] + (hot["errors"] if hot else 0),
        "institutions": args.institutions, "lines_per_bill": LINES, "workers": args.workers,
        "load_average_1m": round(load[0], 2), "p99_target_ms": 100,
    }))


if __name__ == "__main__":
    main()
