"""Refunds: partial and several, never above what was paid, idempotent by out_request_no, the fee
returned in proportion (worked examples below), TRADE_CLOSED when fully refunded."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onecity.ledger import service as ledger
from onecity.payments.trade import service as trade
from onecity.payments.wallet import service as wallet
from tests.payments.trade.factories import balance, make_buyer, make_merchant


@pytest.mark.parametrize(("amount", "rate", "fee"), [
    (1234, 38, 5),     # 1234 × 38 / 10000 = 4.6892 → 5
    (100, 38, 0),      # 0.38 → 0
    (1000, 38, 4),     # 3.8 → 4
    (100, 50, 1),      # 0.5 exactly → 1 (half up)
    (300, 50, 2),      # 1.5 → 2
    (10_000, 38, 38),  # 38.0 → 38
    (1, 1000, 0),      # 0.1 → 0
])
def test_fee_rounds_half_up_to_the_fen(amount, rate, fee):
    assert trade.fee_for(amount, rate) == fee


def test_fee_refund_worked_example():
    # Order 1 000 fen, fee 4 fen. Refund 300: 4 × 300 / 1000 = 1.2 → 1; refund 500: 4 × 500 / 1000 = 2.0 → 2;
    # the last 200 completes the order and returns what is left: 4 − 1 − 2 = 1. Total returned 4 = the fee.
    assert trade.fee_refund_for(fee=4, fee_refunded=0, amount=1000, refunded_before=0, refund_amount=300) == 1
    assert trade.fee_refund_for(fee=4, fee_refunded=1, amount=1000, refunded_before=300, refund_amount=500) == 2
    assert trade.fee_refund_for(fee=4, fee_refunded=3, amount=1000, refunded_before=800, refund_amount=200) == 1
    # Order 1 234 fen, fee 5: refund 617 (half) → 5 × 617 / 1234 = 2.5 → 3 (half up).
    assert trade.fee_refund_for(fee=5, fee_refunded=0, amount=1234, refunded_before=0, refund_amount=617) == 3


def _paid(session, amount=1000):
    m = make_merchant(session)
    buyer = make_buyer(session, balance=20_000)
    o = trade.create_order(session, merchant_id=m.public_id, out_trade_no="R-1", amount=amount, subject="退款测试")
    trade.pay_as_citizen(session, citizen_id=buyer.public_id, trade_no=o.trade_no)
    return m, buyer, o


def test_partial_refunds_until_closed(session):
    m, buyer, o = _paid(session)
    r1 = trade.refund(session, merchant_id=m.public_id, out_trade_no="R-1", refund_amount=300, out_request_no="q1",
                      reason="少一件")
    assert (r1.refund_amount, r1.total_refunded, r1.fee_refunded, r1.status) == (300, 300, 1, "TRADE_SUCCESS")
    # The same request again: the same refund, no money moved.
    again = trade.refund(session, merchant_id=m.public_id, trade_no=o.trade_no, refund_amount=300, out_request_no="q1")
    assert again.refund_id == r1.refund_id
    with pytest.raises(trade.RefundConflict):
        trade.refund(session, merchant_id=m.public_id, out_trade_no="R-1", refund_amount=301, out_request_no="q1")
    with pytest.raises(trade.RefundExceedsPaid):
        trade.refund(session, merchant_id=m.public_id, out_trade_no="R-1", refund_amount=701, out_request_no="q2")
    r2 = trade.refund(session, merchant_id=m.public_id, out_trade_no="R-1", refund_amount=500, out_request_no="q2")
    assert (r2.total_refunded, r2.fee_refunded) == (800, 2)
    r3 = trade.refund(session, merchant_id=m.public_id, out_trade_no="R-1", refund_amount=200, out_request_no="q3")
    assert (r3.total_refunded, r3.fee_refunded, r3.status) == (1000, 1, "TRADE_CLOSED")
    with pytest.raises(trade.RefundExceedsPaid):
        trade.refund(session, merchant_id=m.public_id, out_trade_no="R-1", refund_amount=1, out_request_no="q4")
    assert wallet.wallet_balance(session, buyer.public_id) == 20_000
    assert balance(session, trade.merchant_account_id(session, m.public_id)) == 0
    assert len(ledger.transfers_by_ref(session, o.trade_no)) == 4  # pay + three refunds
    assert [r.out_request_no for r in trade.refunds_of(session, merchant_id=m.public_id, trade_no=o.trade_no)] == [
        "q1", "q2", "q3"]


def test_unpaid_orders_cannot_be_refunded(session):
    m = make_merchant(session)
    trade.create_order(session, merchant_id=m.public_id, out_trade_no="U-1", amount=100, subject="x")
    with pytest.raises(trade.TradeStateInvalid):
        trade.refund(session, merchant_id=m.public_id, out_trade_no="U-1", refund_amount=1, out_request_no="a")


def test_refund_needs_the_merchant_balance(session):
    m, buyer, o = _paid(session)
    # Move the merchant's money away (as a settlement payout would), then refunds cannot be covered.
    from tests.payments.trade.factories import funding_account

    ledger.transfer(session, transfer_id="tst-drain", debit=trade.merchant_account_id(session, m.public_id),
                    credit=funding_account(session), amount=1000, code="test.drain")
    with pytest.raises(trade.MerchantBalanceInsufficient):
        trade.refund(session, merchant_id=m.public_id, out_trade_no="R-1", refund_amount=10, out_request_no="a")


@given(amount=st.integers(1, 10**8), rate=st.integers(0, 1000),
       cuts=st.lists(st.integers(1, 10**8), min_size=0, max_size=8))
def test_fee_refunds_never_exceed_the_fee_and_a_full_refund_returns_all_of_it(amount, rate, cuts):
    """Property: whatever the partial refunds, each returns 0..what is left of the fee, and refunding the
    whole amount returns exactly the fee charged."""
    fee = trade.fee_for(amount, rate)
    assert 0 <= fee <= amount
    refunded = fee_back = 0
    for cut in cuts:
        part = min(cut, amount - refunded)
        if part == 0:
            break
        share = trade.fee_refund_for(fee=fee, fee_refunded=fee_back, amount=amount, refunded_before=refunded,
                                     refund_amount=part)
        assert 0 <= share <= fee - fee_back
        refunded += part
        fee_back += share
    rest = amount - refunded
    if rest:
        fee_back += trade.fee_refund_for(fee=fee, fee_refunded=fee_back, amount=amount, refunded_before=refunded,
                                         refund_amount=rest)
    assert fee_back == fee
