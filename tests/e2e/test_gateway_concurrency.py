"""/gateway.do under concurrent retries, against the live server: the same alipay.trade.pay sent by
twelve cashier threads at once charges the buyer once and answers every thread with the same trade;
one payment code offered to twelve different orders at once pays exactly one of them."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from onecity.db import transaction
from onecity.payments.wallet import service as wallet
from tests.gateway.factories import make_gateway_app, signed, split_reply
from tests.payments.trade.factories import balance, make_buyer, make_merchant, payment_code

pytestmark = pytest.mark.e2e
THREADS = 12


def _post_all(url: str, bodies: list[dict[str, str]]) -> list[dict[str, Any]]:
    with httpx.Client(timeout=60) as http, ThreadPoolExecutor(THREADS) as pool:
        texts = list(pool.map(lambda b: http.post(url + "/gateway.do", data=b).text, bodies))
    return [json.loads(split_reply(t)[1]) for t in texts]


def test_one_pay_retried_concurrently_is_applied_once(live_server):
    with transaction() as s:
        merchant = make_merchant(s)
        app, key = make_gateway_app(s, merchant)
        buyer = make_buyer(s, balance=100_00, small_limit=50_00)
        code = payment_code(s, buyer)
        buyer_id = buyer.public_id
    params = signed(app.app_id, key, "alipay.trade.pay", {"out_trade_no": "RACE-1", "scene": "bar_code",
                                                          "auth_code": code, "total_amount": "9.90", "subject": "x"})
    replies = _post_all(live_server, [params] * THREADS)
    assert {r["code"] for r in replies} == {"10000"}, replies
    assert len({r["trade_no"] for r in replies}) == 1
    with transaction() as s:
        assert balance(s, wallet.wallet_account_id(s, buyer_id)) == 100_00 - 9_90


def test_one_code_offered_to_many_orders_pays_one(live_server):
    with transaction() as s:
        merchant = make_merchant(s)
        app, key = make_gateway_app(s, merchant)
        buyer = make_buyer(s, balance=100_00, small_limit=50_00)
        code = payment_code(s, buyer)
        buyer_id = buyer.public_id
    bodies = [signed(app.app_id, key, "alipay.trade.pay", {"out_trade_no": f"RACE-{i}", "scene": "bar_code",
                                                           "auth_code": code, "total_amount": "1.00", "subject": "x"})
              for i in range(THREADS)]
    replies = _post_all(live_server, bodies)
    assert sorted(r["code"] for r in replies) == ["10000"] + ["40004"] * (THREADS - 1), replies
    assert {r.get("sub_code") for r in replies if r["code"] == "40004"} == {"ACQ.PAYMENT_AUTH_CODE_INVALID"}
    with transaction() as s:
        assert balance(s, wallet.wallet_account_id(s, buyer_id)) == 100_00 - 1_00
