"""A payment server killed with SIGKILL under load, then restarted: `onecity ledger check` is clean and
every payment the server acknowledged is present exactly once (order paid, one ledger transfer)."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
from sqlalchemy.orm import Session

from onecity.ledger import service as ledger
from onecity.payments.codes import service as codes
from onecity.payments.trade import service as trade
from tests.payments.conftest import ServerProcess
from tests.payments.test_reliability import PRICE, make_buyer, make_shop, pay, pytestmark  # noqa: F401

CLIENTS = 12


def all_orders(session: Session, merchant_id: str) -> list[trade.OrderOut]:
    out: list[trade.OrderOut] = []
    after = None
    while True:
        page, after = trade.list_orders(session, merchant_id=merchant_id, after=after, limit=200)
        out += page
        if after is None:
            return out


def test_sigkill_under_payment_load_loses_nothing_and_applies_nothing_twice(session: Session,
                                                                             server: ServerProcess) -> None:
    shop = make_shop(session)
    buyers = [make_buyer(session, devices=40, balance=1_000 * PRICE) for _ in range(CLIENTS)]
    session.commit()
    queues = [[codes.current_code(session, device_id=d) for d in b.device_ids] for b in buyers]

    acknowledged: dict[str, str] = {}  # out_trade_no -> trade_no, for every 200 TRADE_SUCCESS received
    refused: list[str] = []
    lock = threading.Lock()
    killed = threading.Event()

    def client(i: int) -> None:
        with httpx.Client(base_url=server.url, timeout=30) as http:
            for n, code in enumerate(queues[i]):
                out_trade_no = f"K{i:02d}-{n:03d}"
                try:
                    r = pay(http, shop, out_trade_no=out_trade_no, auth_code=code)
                except httpx.HTTPError:
                    if killed.is_set():
                        return
                    raise
                with lock:
                    if r.status_code == 200 and r.json()["status"] == "TRADE_SUCCESS":
                        acknowledged[out_trade_no] = r.json()["trade_no"]
                    else:
                        refused.append(f"{r.status_code} {r.text[:200]}")

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 60
    while len(acknowledged) < 60 and time.monotonic() < deadline:
        time.sleep(0.02)
    killed.set()
    server.kill()  # mid-flight: requests are being processed on every client thread
    for t in threads:
        t.join(timeout=60)
    assert not refused, refused[:5]
    assert len(acknowledged) >= 60
    in_flight_when_killed = CLIENTS * 40 - len(acknowledged)
    assert in_flight_when_killed > 0

    server.start()
    check = subprocess.run([str(Path(sys.executable).parent / "onecity"), "ledger", "check"],  # noqa: S603
                           capture_output=True, text=True, timeout=120)
    assert check.returncode == 0, check.stdout + check.stderr

    session.expire_all()
    with httpx.Client(base_url=server.url, timeout=30) as http:
        for out_trade_no, trade_no in acknowledged.items():
            from onecity.identity.orgs.signatures import sign_request

            path = f"/v1/merchant/orders/{out_trade_no}"
            r = http.get(path, headers=sign_request(shop.private_pem, shop.app_id, "GET", path))
            assert r.status_code == 200, r.text
            assert (r.json()["trade_no"], r.json()["status"]) == (trade_no, "TRADE_SUCCESS")
            assert [t.amount for t in ledger.transfers_by_ref(session, trade_no)] == [PRICE]

    # Whatever committed without being acknowledged is whole too: every paid order has exactly one
    # transfer, and the merchant holds exactly what the paid orders add up to.
    orders = all_orders(session, shop.merchant_id)
    paid = [o for o in orders if o.status == "TRADE_SUCCESS"]
    assert {o.out_trade_no for o in paid} >= set(acknowledged)
    for o in paid:
        assert len(ledger.transfers_by_ref(session, o.trade_no)) == 1
    merchant = trade.merchant_account_id(session, shop.merchant_id)
    assert ledger.balance(session, merchant).posted_balance == PRICE * len(paid)
    spent = sum(1_000 * PRICE - ledger.balance(session, b.wallet_id).posted_balance for b in buyers)
    assert spent == PRICE * len(paid)
    assert ledger.check(session) == []
