"""Reliability of payments under concurrency, on PostgreSQL, over real HTTP.

Merchants pay by scanning payment codes through the signed merchant API of a live uvicorn server:
- 200 concurrent payments against a wallet that can afford exactly 10: exactly 10 succeed;
- the same payment retried 50 times at once is applied once (by out_trade_no, and by Idempotency-Key);
- (tests/payments/test_crash.py) a server killed with SIGKILL under load leaves the ledger clean.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections import Counter
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy.orm import Session

from onecity.identity.orgs.signatures import sign_request
from onecity.ledger import service as ledger
from onecity.payments.bank import service as bank
from onecity.payments.codes import service as codes
from onecity.payments.trade import service as trade
from onecity.payments.wallet import service as wallet
from tests.conftest import DB_KIND
from tests.identity.factories import make_citizen
from tests.identity.orgs.factories import make_api_key, make_org
from tests.payments.conftest import ServerProcess

pytestmark = pytest.mark.skipif(DB_KIND != "postgres", reason="concurrency is proven on PostgreSQL (SQLite serialises writers)")

PRICE = 1_250  # 12.50 yuan per payment


@dataclass
class Shop:
    merchant_id: str
    app_id: str
    private_pem: str


@dataclass
class Buyer:
    citizen_id: str
    wallet_id: str
    device_ids: list[str]


def fund(session: Session, account_id: str, amount: int) -> None:
    """Money arrives from the bank (as a confirmed top-up would bring it)."""
    clearing = bank.system_account(session, "bank_clearing")
    ledger.transfer(session, transfer_id=f"test-fund-{uuid.uuid4().hex}", debit=clearing, credit=account_id,
                    amount=amount, code="test.fund")


def make_shop(session: Session) -> Shop:
    org = make_org(session, kind="merchant")
    app_id, priv = make_api_key(session, org, scopes=["cashier"])
    trade.merchant_account_id(session, org.public_id)
    return Shop(org.public_id, app_id, priv)


def make_buyer(session: Session, *, devices: int, balance: int, limit: int = 100_000) -> Buyer:
    citizen = make_citizen(session)
    wallet_id = wallet.wallet_account_id(session, citizen.public_id)
    if balance:
        fund(session, wallet_id, balance)
    codes.set_small_amount_limit(session, citizen_id=citizen.public_id, limit_fen=limit)
    ids = [codes.provision_device(session, citizen_id=citizen.public_id, session_id=None).device_id
           for _ in range(devices)]
    return Buyer(citizen.public_id, wallet_id, ids)


def pay(http: httpx.Client, shop: Shop, *, out_trade_no: str, auth_code: str, amount: int = PRICE,
        idempotency_key: str | None = None) -> httpx.Response:
    body = json.dumps({"out_trade_no": out_trade_no, "amount": amount, "subject": "咖啡 coffee",
                       "auth_code": auth_code})
    headers = sign_request(shop.private_pem, shop.app_id, "POST", "/v1/merchant/payments", body)
    headers["content-type"] = "application/json"
    if idempotency_key:
        headers["Idempotency-Key"] = idempotency_key
    return http.post("/v1/merchant/payments", content=body, headers=headers)


def run_all(n: int, fn) -> list:  # type: ignore[no-untyped-def]
    """Run fn(i) in n threads released together; returns the results in order."""
    start = threading.Barrier(n)
    results: list = [None] * n

    def worker(i: int) -> None:
        start.wait()
        try:
            results[i] = fn(i)
        except Exception as exc:  # noqa: BLE001 - recorded for the assertion message
            results[i] = exc

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


def outcome(r: object) -> str:
    if isinstance(r, Exception):
        return f"exception {type(r).__name__}: {r}"
    assert isinstance(r, httpx.Response)
    if r.status_code == 200:
        return str(r.json()["status"])
    return str(r.json().get("code"))


def test_200_concurrent_payments_from_a_wallet_affording_exactly_10(session: Session, server: ServerProcess) -> None:
    shop = make_shop(session)
    buyer = make_buyer(session, devices=200, balance=10 * PRICE)
    session.commit()
    auth_codes = [codes.current_code(session, device_id=d) for d in buyer.device_ids]
    assert len(set(auth_codes)) == 200

    with httpx.Client(base_url=server.url, timeout=120,
                      limits=httpx.Limits(max_connections=200, max_keepalive_connections=200)) as http:
        results = run_all(200, lambda i: pay(http, shop, out_trade_no=f"R200-{i:03d}", auth_code=auth_codes[i]))

    counts = Counter(outcome(r) for r in results)
    assert counts == {"TRADE_SUCCESS": 10, "buyer_balance_insufficient": 190}, counts
    session.expire_all()
    assert ledger.balance(session, buyer.wallet_id).posted_balance == 0
    merchant = trade.merchant_account_id(session, shop.merchant_id)
    assert ledger.balance(session, merchant).posted_balance == 10 * PRICE
    paid = [r.json()["trade_no"] for r in results if outcome(r) == "TRADE_SUCCESS"]
    for trade_no in paid:
        assert [t.amount for t in ledger.transfers_by_ref(session, trade_no)] == [PRICE]
    assert ledger.check(session) == []


def test_the_same_payment_retried_50_times_at_once_is_applied_once(session: Session, server: ServerProcess) -> None:
    shop = make_shop(session)
    buyer = make_buyer(session, devices=1, balance=100 * PRICE)
    session.commit()
    code = codes.current_code(session, device_id=buyer.device_ids[0])

    with httpx.Client(base_url=server.url, timeout=120,
                      limits=httpx.Limits(max_connections=50, max_keepalive_connections=50)) as http:
        results = run_all(50, lambda i: pay(http, shop, out_trade_no="RETRY-1", auth_code=code))

    counts = Counter(outcome(r) for r in results)
    assert counts == {"TRADE_SUCCESS": 50}, counts
    trade_nos = {r.json()["trade_no"] for r in results}
    assert len(trade_nos) == 1
    session.expire_all()
    assert ledger.balance(session, buyer.wallet_id).posted_balance == 99 * PRICE
    assert [t.amount for t in ledger.transfers_by_ref(session, trade_nos.pop())] == [PRICE]
    assert ledger.check(session) == []


def test_50_concurrent_retries_under_one_idempotency_key_apply_once(session: Session, server: ServerProcess) -> None:
    shop = make_shop(session)
    buyer = make_buyer(session, devices=1, balance=100 * PRICE)
    session.commit()
    code = codes.current_code(session, device_id=buyer.device_ids[0])
    key = f"idem-{uuid.uuid4().hex}"

    with httpx.Client(base_url=server.url, timeout=120,
                      limits=httpx.Limits(max_connections=50, max_keepalive_connections=50)) as http:
        results = run_all(50, lambda i: pay(http, shop, out_trade_no="RETRY-2", auth_code=code,
                                            idempotency_key=key))
        # Whoever arrived while the first was running was told so; a retry afterwards gets the answer.
        counts = Counter(outcome(r) for r in results)
        assert set(counts) <= {"TRADE_SUCCESS", "idempotency_in_progress"}, counts
        assert counts["TRADE_SUCCESS"] >= 1
        again = pay(http, shop, out_trade_no="RETRY-2", auth_code=code, idempotency_key=key)
    assert again.status_code == 200 and again.json()["status"] == "TRADE_SUCCESS"
    session.expire_all()
    assert ledger.balance(session, buyer.wallet_id).posted_balance == 99 * PRICE
    assert ledger.check(session) == []
