"""Tap records ingested per second through the transit upload API on PostgreSQL.

    .venv/bin/python bench/transit_ingest.py [--seconds 6] [--batch 500] [--clients 1]

Creates a scratch PostgreSQL database (started the way `make test` does), installs the demo fare
system, a metro operator with its signing key and `--riders` real-name verified riders each holding a
platform-signed device certificate, and pre-makes ride codes (every tap distinct, as gates store
them). Then it starts `uvicorn onecity.app` (one worker) and has `--clients` uploaders post signed
batches of `--batch` taps to POST /v1/transit/operator/taps, each with an Idempotency-Key, for
`--seconds`: the server re-verifies every code (both Ed25519 signatures), maps stops to networks,
inserts with ON CONFLICT and queues the riders' weeks for pricing. The figure is accepted taps per
second of wall clock; afterwards the rows in `transit_tap` must equal the taps accepted.

From another script (bench/transit.py): `from transit_ingest import taps_ingested_per_s` — it runs this
file in a child process (its own environment, database and CPU affinity) and returns the figure.
Last line when run directly: one JSON object with taps_ingested_per_s, batch, batches, clients,
p50_batch_ms, p99_batch_ms.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent


def taps_ingested_per_s(seconds: float = 6.0, batch: int = 500, clients: int = 1) -> dict[str, Any]:
    """Run the ingest benchmark in a child process; its JSON result (taps_ingested_per_s and more)."""
    out = subprocess.run(  # noqa: S603 - this very script, fixed arguments
        [sys.executable, str(Path(__file__).resolve()), "--seconds", str(seconds), "--batch", str(batch),
         "--clients", str(clients)], cwd=ROOT, capture_output=True, text=True, check=False, timeout=600)
    lines = [x for x in out.stdout.splitlines() if x.startswith("{")]
    if out.returncode != 0 or not lines:
        raise RuntimeError(f"transit ingest benchmark failed:\n{out.stdout[-2000:]}\n{out.stderr[-2000:]}")
    return dict(json.loads(lines[-1]))


def main() -> None:  # noqa: PLR0915 - one linear script
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=6.0)
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--clients", type=int, default=1)
    ap.add_argument("--riders", type=int, default=64)
    args = ap.parse_args()
    if hasattr(os, "sched_setaffinity"):  # a caller pinned to one core (bench/transit.py) must not pin us
        os.sched_setaffinity(0, range(os.cpu_count() or 1))
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(BENCH))
    from httpbench import free_port, p50_p99, scratch_env, spawn_server, stop_server, wait_ready
    from pgserver import admin, ensure_postgres, url_of

    dbname = f"onecity_bench_transit_{os.getpid()}"
    url = url_of(dbname)
    tmp = scratch_env(url, prefix="onecity-bench-transit-", queue_timeout_s=120)
    t_start = time.monotonic()
    ensure_postgres()
    admin(f'CREATE DATABASE "{dbname}"')
    proc = None
    try:
        from onecity import db
        from onecity.crypto.signing import generate_ed25519
        from onecity.identity import service as identity
        from onecity.identity.orgs import service as orgs
        from onecity.identity.orgs.signatures import sign_request
        from onecity.identity.schemas import RegistryRow
        from onecity.migrate import upgrade
        from onecity.transit import service
        from onecity.transit.fares.config import DATA_DIR
        from onecity.transit.ridecode import code
        from onecity.transit.ridecode.keys import SigningKey
        from tests.identity.factories import fresh_id_number
        from tests.identity.orgs.factories import fresh_uscc

        db.configure(url)
        upgrade()
        t_migrated = time.monotonic()
        # the server boots (imports the app) while the riders and codes are made: it needs the database only
        # at the first request
        port = free_port()
        proc = spawn_server(port, 1, tmp / "server.log")
        base = f"http://127.0.0.1:{port}"
        now = int(time.time())
        from datetime import UTC, datetime

        from onecity import clock

        clock.freeze(datetime.fromtimestamp(now - 7200, UTC))  # certificates from two hours ago: taps in the last hour
        phones: list[tuple[bytes, SigningKey]] = []
        with db.transaction() as s:
            service.install_fare_system(s, json.loads((DATA_DIR / "demo_fares.json").read_text(encoding="utf-8")))
            org = orgs.create_org(s, kind="transit", name_zh="压测地铁", uscc_code=fresh_uscc(), actor="bench")
            service.register_operator(s, org_id=org.public_id, system_id="demo_transit_authority",
                                      operator_code="demo_metro")
            pem, pub = generate_ed25519()
            app_id = orgs.register_api_key(s, org_id=org.public_id, public_key_pem=pub, label="bench", actor="bench",
                                           scopes=["operator"]).app_id
            rows = [RegistryRow(name="李娜", id_number=fresh_id_number()) for _ in range(args.riders)]
            identity.load_registry(s, rows)
            for i, row in enumerate(rows):
                c = identity.register_citizen(s, mobile=f"137{i:08d}")
                identity.verify_real_name(s, citizen_id=c.public_id, name=row.name, id_number=row.id_number)
                device = SigningKey.generate()
                cert = service.issue_certificate(s, citizen_id=c.public_id, device_public=device.public)
                phones.append((base64.b64decode(cert.certificate), device))
        db.engine().dispose()
        clock.reset()
        t_riders = time.monotonic()

        stops = ["S01", "S02", "S03", "S04", "S05", "S06", "S07", "S08"]
        # enough batches for the run at up to ~5,000 taps/s per uploader (one worker does ~1,300-3,100 here)
        n_batches = max(4, int(args.seconds * 5000 * args.clients / args.batch) + args.clients + 1)
        batches: list[bytes] = []
        counter = 0
        for _ in range(n_batches):
            taps = []
            for k in range(args.batch):
                counter += 1
                cert, device = phones[counter % len(phones)]
                at = now - 3000 + (counter // len(phones)) % 3000
                text = code.to_qr_text(code.make_code(cert, device, ts=at - 2, counter=counter))
                taps.append({"gate_id": f"g{k % 16}", "stop_id": stops[counter % len(stops)], "network": "metro",
                             "direction": "in" if (counter // len(phones)) % 2 == 0 else "out", "at": at,
                             "code": text})
            batches.append(json.dumps({"taps": taps}).encode())

        t_codes = time.monotonic()
        import httpx

        wait_ready(proc, port, tmp / "server.log")

        t_server = time.monotonic()
        print(f"setup: database and migrations {t_migrated - t_start:.1f} s, {args.riders} riders "
              f"{t_riders - t_migrated:.1f} s, {len(batches) * args.batch:,} codes {t_codes - t_riders:.1f} s, "
              f"server up {t_server - t_codes:.1f} s later")
        lock = threading.Lock()
        queue = list(reversed(batches))
        accepted, latencies, errors = [0], [], []
        path = "/v1/transit/operator/taps"

        def client(stop_at: float) -> None:
            with httpx.Client(base_url=base, timeout=120) as http:
                while time.monotonic() < stop_at:
                    with lock:
                        if not queue:
                            return
                        raw = queue.pop()
                    headers = {**sign_request(pem, app_id, "POST", path, raw), "content-type": "application/json",
                               "idempotency-key": uuid.uuid4().hex}
                    t0 = time.perf_counter()
                    r = http.post(path, content=raw, headers=headers)
                    dt = time.perf_counter() - t0
                    with lock:
                        if r.status_code != 200:
                            errors.append(r.text[:300])
                            return
                        accepted[0] += r.json()["accepted"]
                        latencies.append(dt)

        # one warm-up batch (imports, first connections), not counted
        warm = queue.pop()
        with httpx.Client(base_url=base, timeout=120) as http:
            hdr = {**sign_request(pem, app_id, "POST", path, warm), "content-type": "application/json"}
            first = http.post(path, content=warm, headers=hdr)
            assert first.status_code == 200 and first.json()["accepted"] == args.batch, first.text[:500]
        start = time.monotonic()
        threads = [threading.Thread(target=client, args=(start + args.seconds,)) for _ in range(args.clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - start
        if errors:
            raise SystemExit(f"upload failed: {errors[0]}")
        from sqlalchemy import func, select

        from onecity.transit.models import TransitTap

        db.configure(url)
        with db.transaction() as s:
            stored = s.scalar(select(func.count()).select_from(TransitTap))
        db.engine().dispose()
        assert stored == accepted[0] + args.batch, (stored, accepted[0])
        rate = accepted[0] / elapsed
        p50, p99 = p50_p99([x * 1000 for x in latencies], digits=1)
        print(f"transit upload API (PostgreSQL, 1 uvicorn worker, {args.clients} uploaders, batches of "
              f"{args.batch}): {accepted[0]:,} taps in {elapsed:.1f} s = {rate:,.0f} taps/s; per batch p50 "
              f"{p50:.0f} ms, p99 {p99:.0f} ms")
        print(json.dumps({"taps_ingested_per_s": round(rate), "batch": args.batch, "batches": len(latencies),
                          "clients": args.clients, "p50_batch_ms": p50, "p99_batch_ms": p99}))
    finally:
        if proc is not None:
            stop_server(proc, timeout_s=10)
        admin(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')


if __name__ == "__main__":
    main()
