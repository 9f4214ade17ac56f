"""Orders through the service: idempotent creation, precreate's QR, payment by code (below and above
the small-amount limit), payment by the citizen, close, expiry, and every illegal transition."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from onecity import clock, outbox
from onecity.ledger import service as ledger
from onecity.payments.codes import emvco
from onecity.payments.codes import service as codes
from onecity.payments.trade import service as trade
from onecity.payments.wallet import service as wallet
from tests.payments.trade.factories import balance, make_buyer, make_merchant, payment_code


def topics(session) -> list[str]:
    return [e.topic for e in session.scalars(select(outbox.OutboxEvent).order_by(outbox.OutboxEvent.id))]


def test_create_is_idempotent_by_out_trade_no(session):
    m = make_merchant(session)
    a = trade.create_order(session, merchant_id=m.public_id, out_trade_no="A-1", amount=1234, subject="咖啡")
    b = trade.create_order(session, merchant_id=m.public_id, out_trade_no="A-1", amount=1234, subject="咖啡")
    assert a.trade_no == b.trade_no and a.status == "WAIT_BUYER_PAY" and a.amount == 1234
    assert a.merchant_name == m.name_zh and a.qr_code is None
    with pytest.raises(trade.OrderConflict):
        trade.create_order(session, merchant_id=m.public_id, out_trade_no="A-1", amount=1235, subject="咖啡")
    # Another merchant may use the same out_trade_no.
    other = make_merchant(session)
    c = trade.create_order(session, merchant_id=other.public_id, out_trade_no="A-1", amount=99, subject="茶")
    assert c.trade_no != a.trade_no
    assert trade.query(session, merchant_id=m.public_id, out_trade_no="A-1").trade_no == a.trade_no
    assert trade.query(session, merchant_id=m.public_id, trade_no=a.trade_no).out_trade_no == "A-1"
    with pytest.raises(trade.OrderNotFound):  # one merchant cannot see another's order
        trade.query(session, merchant_id=other.public_id, trade_no=a.trade_no)


def test_only_merchants_trade(session):
    from tests.identity.orgs.factories import make_org

    hospital = make_org(session, kind="hospital")
    with pytest.raises(trade.NotAMerchant):
        trade.create_order(session, merchant_id=hospital.public_id, out_trade_no="x", amount=1, subject="s")


def test_precreate_returns_a_dynamic_emvco_qr(session):
    m = make_merchant(session)
    o = trade.precreate(session, merchant_id=m.public_id, out_trade_no="P-1", amount=2550, subject="午餐")
    qr = emvco.parse_merchant_qr(o.qr_code or "")
    assert qr.dynamic and qr.amount_fen == 2550 and qr.order_ref == o.trade_no and qr.merchant_id == m.public_id


def test_pay_as_citizen_moves_money_once(session):
    m = make_merchant(session)
    buyer = make_buyer(session, balance=10_000)
    o = trade.precreate(session, merchant_id=m.public_id, out_trade_no="P-2", amount=1234, subject="书")
    paid = trade.pay_as_citizen(session, citizen_id=buyer.public_id, trade_no=o.trade_no)
    again = trade.pay_as_citizen(session, citizen_id=buyer.public_id, trade_no=o.trade_no)
    assert paid.status == again.status == "TRADE_SUCCESS" and paid.paid_at is not None
    # Fee 38 bp: 1234 × 38 / 10000 = 4.6892 → 5 fen.
    assert paid.fee == 5 and paid.buyer_citizen_id == buyer.public_id
    assert wallet.wallet_balance(session, buyer.public_id) == 10_000 - 1234
    assert balance(session, trade.merchant_account_id(session, m.public_id)) == 1234
    assert [t.transfer_id for t in ledger.transfers_by_ref(session, o.trade_no)] == [f"{o.trade_no}:pay"]
    assert topics(session).count("trade.paid") == 1
    other = make_buyer(session, balance=5_000)
    with pytest.raises(trade.OrderNotFound):  # someone else's paid order is not theirs to see
        trade.pay_as_citizen(session, citizen_id=other.public_id, trade_no=o.trade_no)


def test_pay_fails_cleanly_without_funds(session):
    m = make_merchant(session)
    buyer = make_buyer(session, balance=100)
    o = trade.create_order(session, merchant_id=m.public_id, out_trade_no="F-1", amount=101, subject="x")
    with pytest.raises(trade.BuyerBalanceInsufficient):
        trade.pay_as_citizen(session, citizen_id=buyer.public_id, trade_no=o.trade_no)
    assert wallet.wallet_balance(session, buyer.public_id) == 100


def test_pay_by_code_small_amount_pays_at_once_and_retries_return_the_original(session):
    m = make_merchant(session)
    buyer = make_buyer(session, balance=50_000, small_limit=20_000)
    code = payment_code(session, buyer)
    o = trade.pay_by_code(session, merchant_id=m.public_id, out_trade_no="C-1", amount=1500, subject="便利店",
                          auth_code=code)
    assert o.status == "TRADE_SUCCESS" and o.buyer_citizen_id == buyer.public_id and o.channel == "code"
    # The same request retried (even with another code) returns the original result, no second payment.
    code2 = payment_code(session, buyer)
    again = trade.pay_by_code(session, merchant_id=m.public_id, out_trade_no="C-1", amount=1500, subject="便利店",
                              auth_code=code2)
    assert again.trade_no == o.trade_no and again.status == "TRADE_SUCCESS"
    assert wallet.wallet_balance(session, buyer.public_id) == 50_000 - 1500
    # That second code was never consumed: it still pays a new order.
    o2 = trade.pay_by_code(session, merchant_id=m.public_id, out_trade_no="C-2", amount=100, subject="便利店",
                           auth_code=code2)
    assert o2.status == "TRADE_SUCCESS"
    # A code pays once.
    with pytest.raises(codes.PaymentCodeUsed):
        trade.pay_by_code(session, merchant_id=m.public_id, out_trade_no="C-3", amount=100, subject="便利店",
                          auth_code=code)


def test_pay_by_code_above_the_limit_waits_for_the_citizen(session):
    m = make_merchant(session)
    buyer = make_buyer(session, balance=50_000, small_limit=1_000)
    o = trade.pay_by_code(session, merchant_id=m.public_id, out_trade_no="C-9", amount=1_001, subject="超市",
                          auth_code=payment_code(session, buyer))
    assert o.status == "WAIT_BUYER_PAY" and o.needs_confirmation and o.buyer_citizen_id == buyer.public_id
    assert [p.trade_no for p in trade.pending_for_citizen(session, buyer.public_id)] == [o.trade_no]
    assert wallet.wallet_balance(session, buyer.public_id) == 50_000
    stranger = make_buyer(session, balance=50_000)
    with pytest.raises(trade.TradeHasBuyer):
        trade.pay_as_citizen(session, citizen_id=stranger.public_id, trade_no=o.trade_no)
    paid = trade.pay_as_citizen(session, citizen_id=buyer.public_id, trade_no=o.trade_no)
    assert paid.status == "TRADE_SUCCESS" and not paid.needs_confirmation
    assert trade.pending_for_citizen(session, buyer.public_id) == []
    assert wallet.wallet_balance(session, buyer.public_id) == 50_000 - 1_001


def test_close_only_unpaid_and_expiry(session):
    m = make_merchant(session)
    buyer = make_buyer(session, balance=10_000)
    a = trade.create_order(session, merchant_id=m.public_id, out_trade_no="X-1", amount=100, subject="a")
    closed = trade.close(session, merchant_id=m.public_id, out_trade_no="X-1")
    assert closed.status == "TRADE_CLOSED" and closed.closed_at is not None
    assert trade.close(session, merchant_id=m.public_id, trade_no=a.trade_no).status == "TRADE_CLOSED"
    with pytest.raises(trade.TradeStateInvalid):  # a closed order cannot be paid
        trade.pay_as_citizen(session, citizen_id=buyer.public_id, trade_no=a.trade_no)
    b = trade.create_order(session, merchant_id=m.public_id, out_trade_no="X-2", amount=100, subject="b")
    trade.pay_as_citizen(session, citizen_id=buyer.public_id, trade_no=b.trade_no)
    with pytest.raises(trade.TradeStateInvalid):  # a paid order cannot be closed (refund it)
        trade.close(session, merchant_id=m.public_id, out_trade_no="X-2")
    c = trade.create_order(session, merchant_id=m.public_id, out_trade_no="X-3", amount=100, subject="c",
                           timeout_minutes=5)
    clock.freeze(clock.now() + timedelta(minutes=6))
    with pytest.raises(trade.TradeExpired):
        trade.pay_as_citizen(session, citizen_id=buyer.public_id, trade_no=c.trade_no)
    assert trade.expire_unpaid(session) == 1
    assert trade.query(session, merchant_id=m.public_id, out_trade_no="X-3").status == "TRADE_CLOSED"
    assert trade.expire_unpaid(session) == 0
    assert topics(session).count("trade.closed") == 2


def test_static_qr_payment(session):
    m = make_merchant(session)
    buyer = make_buyer(session, balance=10_000)
    payload = trade.static_qr_payload(session, m.public_id)
    qr = emvco.parse_merchant_qr(payload)
    assert not qr.dynamic and qr.amount_fen is None and qr.merchant_id == m.public_id
    o = trade.pay_static_qr(session, citizen_id=buyer.public_id, merchant_id=m.public_id, amount=888, note="早餐")
    assert o.status == "TRADE_SUCCESS" and o.channel == "static_qr" and o.subject == "早餐"
    assert wallet.wallet_balance(session, buyer.public_id) == 10_000 - 888


@pytest.mark.parametrize("state", ["unpaid", "paid", "closed_unpaid", "refunded"])
@pytest.mark.parametrize("action", ["pay", "close", "refund"])
def test_every_transition(session, state, action):
    """The order state machine: WAIT_BUYER_PAY → TRADE_SUCCESS (pay) | TRADE_CLOSED (close, expiry);
    TRADE_SUCCESS → TRADE_CLOSED (refunded in full). Everything else is refused and changes nothing."""
    m = make_merchant(session)
    buyer = make_buyer(session, balance=10_000)
    o = trade.create_order(session, merchant_id=m.public_id, out_trade_no="S-1", amount=500, subject="状态机")
    if state in ("paid", "refunded"):
        trade.pay_as_citizen(session, citizen_id=buyer.public_id, trade_no=o.trade_no)
    if state == "closed_unpaid":
        trade.close(session, merchant_id=m.public_id, trade_no=o.trade_no)
    if state == "refunded":
        trade.refund(session, merchant_id=m.public_id, trade_no=o.trade_no, refund_amount=500, out_request_no="all")
    before = trade.query(session, merchant_id=m.public_id, trade_no=o.trade_no)
    allowed = {("unpaid", "pay"): "TRADE_SUCCESS", ("unpaid", "close"): "TRADE_CLOSED",
               ("paid", "pay"): "TRADE_SUCCESS",  # paying one's own paid order again: unchanged
               ("paid", "refund"): "TRADE_CLOSED", ("closed_unpaid", "close"): "TRADE_CLOSED"}
    errors = {"pay": trade.TradeStateInvalid, "close": trade.TradeStateInvalid, "refund": trade.TradeStateInvalid}
    if state == "refunded" and action == "refund":
        errors["refund"] = trade.RefundExceedsPaid

    def act():
        if action == "pay":
            return trade.pay_as_citizen(session, citizen_id=buyer.public_id, trade_no=o.trade_no).status
        if action == "close":
            return trade.close(session, merchant_id=m.public_id, trade_no=o.trade_no).status
        return trade.refund(session, merchant_id=m.public_id, trade_no=o.trade_no, refund_amount=500,
                            out_request_no="new").status

    if (state, action) in allowed:
        assert act() == allowed[(state, action)]
    else:
        with pytest.raises(errors[action]):
            act()
        after = trade.query(session, merchant_id=m.public_id, trade_no=o.trade_no)
        assert (after.status, after.refunded_amount, after.paid_at) == (before.status, before.refunded_amount,
                                                                        before.paid_at)


def test_a_failed_payment_by_code_leaves_the_order_clean(session):
    m = make_merchant(session)
    buyer = make_buyer(session, balance=100)
    with pytest.raises(trade.BuyerBalanceInsufficient):
        trade.pay_by_code(session, merchant_id=m.public_id, out_trade_no="F-2", amount=500, subject="x",
                          auth_code=payment_code(session, buyer))
    # Even a caller that swallowed the error would keep an order that can still be paid.
    o = trade.query(session, merchant_id=m.public_id, out_trade_no="F-2")
    assert (o.status, o.needs_confirmation, o.buyer_citizen_id, o.paid_at) == ("WAIT_BUYER_PAY", False, None, None)
    assert wallet.wallet_balance(session, buyer.public_id) == 100
