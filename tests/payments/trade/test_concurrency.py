"""Concurrency on PostgreSQL, each call in its own transaction as a request would be: the same payment
retried 50 times at once is applied once; 200 payments at once from a wallet that can afford exactly
10 — exactly 10 succeed, and the ledger stays sound."""

from __future__ import annotations

import os
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import func, select

from onecity.db import transaction
from onecity.ledger import service as ledger
from onecity.payments.codes import service as codes
from onecity.payments.trade import service as trade
from onecity.payments.trade.models import TradeOrder
from onecity.payments.wallet import service as wallet
from tests.concurrency_helpers import run_all
from tests.payments.trade.factories import balance, make_buyer, make_merchant, payment_code

pytestmark = pytest.mark.skipif(os.environ.get("ONECITY_TEST_DB") != "postgres",
                                reason="row locks and concurrent transactions are tested on PostgreSQL")

WORKERS = 16  # below the engine's pool (10 + 20 overflow), and polite to a shared server


def test_the_same_payment_by_code_50_times_at_once_is_applied_once(session):
    m = make_merchant(session)
    buyer = make_buyer(session, balance=100_000)
    code = payment_code(session, buyer)
    session.commit()

    def pay() -> Any:
        with transaction() as s:
            return trade.pay_by_code(s, merchant_id=m.public_id, out_trade_no="SAME-1", amount=1_888,
                                     subject="并发", auth_code=code)

    results = run_all([pay] * 50, workers=WORKERS)
    assert all(not isinstance(r, Exception) for r in results), Counter(type(r).__name__ for r in results)
    assert {r.trade_no for r in results} == {results[0].trade_no}
    assert {r.status for r in results} == {"TRADE_SUCCESS"}
    assert session.scalar(select(func.count()).select_from(TradeOrder)) == 1
    assert len(ledger.transfers_by_ref(session, results[0].trade_no)) == 1
    assert wallet.wallet_balance(session, buyer.public_id) == 100_000 - 1_888
    assert balance(session, trade.merchant_account_id(session, m.public_id)) == 1_888


def test_the_same_confirmation_50_times_at_once_pays_once(session):
    m = make_merchant(session)
    buyer = make_buyer(session, balance=100_000)
    o = trade.precreate(session, merchant_id=m.public_id, out_trade_no="QR-1", amount=2_500, subject="并发")
    session.commit()

    def pay() -> Any:
        with transaction() as s:
            return trade.pay_as_citizen(s, citizen_id=buyer.public_id, trade_no=o.trade_no)

    results = run_all([pay] * 50, workers=WORKERS)
    assert all(not isinstance(r, Exception) and r.status == "TRADE_SUCCESS" for r in results)
    assert len(ledger.transfers_by_ref(session, o.trade_no)) == 1
    assert wallet.wallet_balance(session, buyer.public_id) == 100_000 - 2_500


def test_200_payments_against_a_wallet_affording_10(session):
    price = 1_234
    merchants = [make_merchant(session) for _ in range(4)]
    buyer = make_buyer(session, balance=10 * price)
    # 200 payment codes of the same citizen (one per device: each code pays once).
    codes_ = [payment_code(session, buyer) for _ in range(200)]
    assert codes.small_amount_limit(session, buyer.public_id) >= price
    session.commit()

    def pay(i: int) -> Any:
        def call() -> Any:
            with transaction() as s:
                return trade.pay_by_code(s, merchant_id=merchants[i % 4].public_id, out_trade_no=f"M-{i}",
                                         amount=price, subject="并发", auth_code=codes_[i])
        return call

    results = run_all([pay(i) for i in range(200)], workers=WORKERS)
    outcome = Counter(r.status if not isinstance(r, Exception) else r.code for r in results)
    assert outcome == {"TRADE_SUCCESS": 10, "buyer_balance_insufficient": 190}, outcome
    assert wallet.wallet_balance(session, buyer.public_id) == 0
    assert sum(balance(session, trade.merchant_account_id(session, mm.public_id)) for mm in merchants) == 10 * price
    # Failed payments left nothing behind: no order, no used code.
    assert session.scalar(select(func.count()).select_from(TradeOrder)) == 10
    assert ledger.check(session) == []
