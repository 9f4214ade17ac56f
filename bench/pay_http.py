"""Payment by code over HTTP: merchants scan citizens' payment codes through the signed merchant API.

Starts PostgreSQL the way `make test` does (scripts/ensure-postgres.sh), creates a scratch database,
seeds merchants, citizens with funded wallets and payment-code devices (one code per payment: each
code pays once), starts `onecity serve` against it, and drives it with CLIENTS concurrent clients
(asyncio + httpx, each request signed with the merchant's Ed25519 key) in two phases of the same
length: payments spread over many merchants, then every payment to one merchant (a hot account).

    .venv/bin/python bench/pay_http.py [--seconds 8] [--clients 64] [--merchants 16]

Last line: {"payments_per_s", "p50_ms", "p99_ms", "hot_merchant_ratio", ...}. Targets: p99 < 50 ms,
hot_merchant_ratio >= 0.8.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import platform
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from httpbench import free_port, p50_p99, scratch_env, start_server, stop_server  # noqa: E402
from pgserver import admin, ensure_postgres, url_of  # noqa: E402

DBNAME = f"onecity_bench_pay_{os.getpid()}"
URL = url_of(DBNAME)
TMP = scratch_env(URL)

PRICE = 100  # 1.00 yuan


@dataclass
class Merchant:
    org_id: str
    app_id: str
    private_pem: str


@dataclass
class Device:
    number: str
    secret: bytes


def create_database() -> None:
    admin(f'CREATE DATABASE "{DBNAME}"')


def drop_database() -> None:
    admin(f'DROP DATABASE IF EXISTS "{DBNAME}" WITH (FORCE)')


def seed(merchants: int, citizens: int, devices: int) -> tuple[list[Merchant], list[Device]]:
    """Merchants with API keys, verified citizens with funded wallets, `devices` payment-code devices."""
    from onecity import db
    from onecity.crypto.signing import generate_ed25519
    from onecity.identity import service as identity
    from onecity.identity.orgs import service as orgs
    from onecity.identity.schemas import RegistryRow
    from onecity.ledger import service as ledger
    from onecity.migrate import upgrade
    from onecity.payments.bank import service as bank
    from onecity.payments.codes import service as codes
    from onecity.payments.trade import service as trade
    from onecity.payments.wallet import service as wallet
    from tests.identity.factories import fresh_id_number
    from tests.identity.orgs.factories import fresh_uscc

    db.configure(URL)
    upgrade()
    shops: list[Merchant] = []
    with db.transaction() as s:
        for i in range(merchants):
            org = orgs.create_org(s, kind="merchant", name_zh=f"压测商户{i}", uscc_code=fresh_uscc(), actor="bench")
            priv, pub = generate_ed25519()
            api_key = orgs.register_api_key(s, org_id=org.public_id, public_key_pem=pub, label="bench",
                                            actor="bench", scopes=["cashier"])
            trade.merchant_account_id(s, org.public_id)
            shops.append(Merchant(org.public_id, api_key.app_id, priv))
    people: list[str] = []
    with db.transaction() as s:
        rows = [RegistryRow(name="张伟", id_number=fresh_id_number()) for i in range(citizens)]
        identity.load_registry(s, rows)
        clearing = bank.system_account(s, "bank_clearing")
        for i, row in enumerate(rows):
            c = identity.register_citizen(s, mobile=f"139{i:08d}")
            identity.verify_real_name(s, citizen_id=c.public_id, name=row.name, id_number=row.id_number)
            acc = wallet.wallet_account_id(s, c.public_id)
            ledger.transfer(s, transfer_id=f"bench-fund-{c.public_id}", debit=clearing, credit=acc,
                            amount=10_000_000, code="bench.fund")
            people.append(c.public_id)
    out: list[Device] = []
    with db.transaction() as s:
        for i in range(devices):
            d = codes.provision_device(s, citizen_id=people[i % len(people)], session_id=None, label="bench")
            assert d.secret is not None
            out.append(Device(d.number, base64.urlsafe_b64decode(d.secret + "=" * (-len(d.secret) % 4))))
    db.engine().dispose()
    return shops, out


async def drive(base: str, shops: list[Merchant], devices: list[Device], *, clients: int, seconds: float,
                label: str, rate: float | None = None) -> dict[str, float]:
    """`clients` concurrent clients paying for `seconds`; each payment takes the next unused device.

    Closed loop (rate None): each client sends its next payment when the last one is answered, so
    the figure is the most the server does. Paced (rate = payments per second for all clients
    together): each client sends at exponentially distributed intervals, and a payment's latency
    counts from when it was due, not when it was sent, so a slow server cannot hide its queue
    (no coordinated omission)."""
    import random

    import httpx

    from onecity.identity.orgs.signatures import sign_request
    from onecity.payments.codes import totp

    latencies: list[float] = []
    errors: dict[str, int] = {}
    it = iter(devices)
    stop_at = time.monotonic() + seconds

    rng = random.Random(7)

    async def client(i: int, http: httpx.AsyncClient) -> None:
        n = 0
        due = time.monotonic()
        while time.monotonic() < stop_at:
            if rate is not None:
                due += rng.expovariate(rate / clients)
                if due >= stop_at:
                    break
                await asyncio.sleep(max(0.0, due - time.monotonic()))
            device = next(it, None)
            if device is None:
                errors["out_of_devices"] = errors.get("out_of_devices", 0) + 1
                return
            shop = shops[(i + n) % len(shops)]
            n += 1
            code = totp.payment_code(device.secret, device.number, totp.time_step(int(time.time())))
            body = json.dumps({"out_trade_no": f"B{uuid.uuid4().hex[:24]}", "amount": PRICE,
                               "subject": "bench", "auth_code": code})
            headers = sign_request(shop.private_pem, shop.app_id, "POST", "/v1/merchant/payments", body)
            headers["content-type"] = "application/json"
            t0 = due if rate is not None else time.monotonic()
            r = await http.post("/v1/merchant/payments", content=body, headers=headers)
            dt = (time.monotonic() - t0) * 1000
            if r.status_code == 200 and r.json().get("status") == "TRADE_SUCCESS":
                latencies.append(dt)
            else:
                key = f"{r.status_code}:{r.json().get('code', '?') if r.headers.get('content-type', '').endswith('json') else '?'}"
                errors[key] = errors.get(key, 0) + 1

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as http:
        t0 = time.monotonic()
        await asyncio.gather(*(client(i, http) for i in range(clients)))
        elapsed = time.monotonic() - t0
    p50, p99 = p50_p99(latencies)
    result = {
        "payments": len(latencies),
        "payments_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": p50,
        "p99_ms": p99,
        "errors": sum(errors.values()),
    }
    print(f"{label:>8}: {result['payments']} payments in {elapsed:.1f} s = {result['payments_per_s']}/s, "
          f"p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms, errors {errors or 0}")
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=7.0, help="length of each measured phase")
    ap.add_argument("--clients", type=int, default=64)
    ap.add_argument("--merchants", type=int, default=16)
    ap.add_argument("--citizens", type=int, default=200)
    ap.add_argument("--devices", type=int, default=7000, help="payment-code devices (one per payment)")
    ap.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    ap.add_argument("--load", type=float, default=0.5,
                    help="the paced phase offers this share of the closed-loop throughput")
    args = ap.parse_args()

    ensure_postgres()
    create_database()
    proc = None
    try:
        t0 = time.monotonic()
        shops, devices = seed(args.merchants, args.citizens, args.devices)
        print(f"seeded {len(shops)} merchants, {args.citizens} citizens, {len(devices)} devices "
              f"in {time.monotonic() - t0:.1f} s")
        port = free_port()
        proc = start_server(port, args.workers, TMP / "server.log")
        base = f"http://127.0.0.1:{port}"
        warm, rest = devices[:300], devices[300:]
        third = len(rest) // 3
        asyncio.run(drive(base, shops, warm, clients=args.clients, seconds=2, label="warm-up"))
        spread = asyncio.run(drive(base, shops, rest[:third], clients=args.clients, seconds=args.seconds,
                                   label="spread"))
        hot = asyncio.run(drive(base, shops[:1], rest[third:2 * third], clients=args.clients,
                                seconds=args.seconds, label="hot"))
        rate = round(spread["payments_per_s"] * args.load, 1)
        paced = asyncio.run(drive(base, shops, rest[2 * third:], clients=args.clients, seconds=args.seconds,
                                  label=f"paced {rate}/s", rate=rate))
    finally:
        if proc is not None:
            stop_server(proc)
        drop_database()
    ratio = round(hot["payments_per_s"] / spread["payments_per_s"], 3) if spread["payments_per_s"] else 0.0
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
          f"server: {args.workers} uvicorn workers; clients: {args.clients}")
    print(f"p50/p99 below are the paced phase's ({args.load:.0%} of the closed-loop throughput); closed loop: "
          f"p50 {spread['p50_ms']} ms, p99 {spread['p99_ms']} ms")
    print(json.dumps({
        "payments_per_s": spread["payments_per_s"], "p50_ms": paced["p50_ms"], "p99_ms": paced["p99_ms"],
        "hot_merchant_ratio": ratio, "paced_rate_per_s": rate, "closed_loop_p50_ms": spread["p50_ms"],
        "closed_loop_p99_ms": spread["p99_ms"], "hot_payments_per_s": hot["payments_per_s"],
        "clients": args.clients, "merchants": args.merchants, "workers": args.workers,
        "errors": spread["errors"] + hot["errors"] + paced["errors"], "p99_target_ms": 50, "hot_ratio_target": 0.8,
    }))


if __name__ == "__main__":
    main()
