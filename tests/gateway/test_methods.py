"""The alipay.trade.* methods as adapters over the trade service: amounts, statuses, retries, and each
trade failure under Alipay's sub_code — with nothing changed by a failed call."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from onecity import clock
from onecity.gateway.service import methods
from onecity.gateway.service.replies import GatewayError
from onecity.payments.trade import service as trade
from onecity.payments.wallet import service as wallet
from tests.gateway.factories import call, make_gateway_app, signed
from tests.payments.trade.factories import balance, make_buyer, make_merchant, payment_code


@pytest.fixture
def shop(session: Any) -> dict[str, Any]:
    merchant = make_merchant(session)
    app, key = make_gateway_app(session, merchant, notify_url="https://shop.example.com/notify")
    buyer = make_buyer(session, balance=50_00, small_limit=20_00)
    session.commit()
    return {"merchant": merchant.public_id, "app": app, "key": key, "buyer": buyer.public_id}


def _call(client: Any, shop: dict[str, Any], method: str, biz: dict[str, Any]) -> dict[str, Any]:
    return call(client, signed(shop["app"].app_id, shop["key"], method, biz))[1]


def _code(session: Any, citizen_id: str) -> str:
    from onecity.identity import service as identity

    c = payment_code(session, identity.get_citizen(session, citizen_id))
    session.commit()
    return c


def _wallet(session: Any, citizen_id: str) -> int:
    b = balance(session, wallet.wallet_account_id(session, citizen_id))
    session.rollback()
    return b


# --- pure parts: amounts and timeouts ---------------------------------------------------------------

@pytest.mark.parametrize(("given", "fen"), [("12.34", 1234), ("0.01", 1), ("12", 1200), ("12.3", 1230), (12, 1200),
                                            (12.34, 1234), (0.1, 10), ("100000000", 10_000_000_000)])
def test_yuan_amounts_become_fen(given: Any, fen: int) -> None:
    assert methods.fen({"total_amount": given}, "total_amount") == fen


@pytest.mark.parametrize("given", ["12.345", "-1", "0", "0.00", "abc", "", None, True, [1], "1e3", 12.345,
                                   float("nan"), "100000000.01", " "])
def test_bad_amounts_are_invalid_parameters(given: Any) -> None:
    with pytest.raises(GatewayError) as e:
        methods.fen({"total_amount": given}, "total_amount")
    assert (e.value.code, e.value.sub_code) == ("40004", "ACQ.INVALID_PARAMETER")


def test_timeout_express_and_time_expire() -> None:
    now = datetime(2026, 11, 26, 14, 30, tzinfo=UTC)  # 22:30 in Beijing
    assert methods.timeout_minutes({}, now) == 15
    assert methods.timeout_minutes({"timeout_express": "90m"}, now) == 90
    assert methods.timeout_minutes({"timeout_express": "2h"}, now) == 120
    assert methods.timeout_minutes({"timeout_express": "1d"}, now) == 1440
    assert methods.timeout_minutes({"timeout_express": "15d"}, now) == 1440  # the trade service's ceiling
    assert methods.timeout_minutes({"timeout_express": "1c"}, now) == 90  # until midnight, Beijing time
    assert methods.timeout_minutes({"time_expire": "2026-11-26 23:00:00"}, now) == 30
    for bad in ({"timeout_express": "0m"}, {"timeout_express": "5s"}, {"time_expire": "2026-11-26 22:00:00"},
                {"time_expire": "tomorrow"}):
        with pytest.raises(GatewayError):
            methods.timeout_minutes(bad, now)


# --- methods ----------------------------------------------------------------------------------------

def test_pay_within_the_limit_then_retry_returns_the_original(client, session, shop):
    code = _code(session, shop["buyer"])
    biz = {"out_trade_no": "M-1", "scene": "bar_code", "auth_code": code, "total_amount": "12.50", "subject": "午餐"}
    first = _call(client, shop, "alipay.trade.pay", biz)
    assert (first["code"], first["total_amount"], first["receipt_amount"]) == ("10000", "12.50", "12.50")
    assert first["fund_bill_list"] == [{"fund_channel": "ALIPAYACCOUNT", "amount": "12.50"}]
    assert datetime.strptime(first["gmt_payment"], "%Y-%m-%d %H:%M:%S")
    again = _call(client, shop, "alipay.trade.pay", biz)  # the cashier's retry after a timeout
    assert (again["code"], again["trade_no"]) == ("10000", first["trade_no"])
    assert _wallet(session, shop["buyer"]) == 50_00 - 12_50  # charged once
    order = trade.query(session, merchant_id=shop["merchant"], out_trade_no="M-1")
    assert order.app_id == shop["app"].app_id and order.notify_url == "https://shop.example.com/notify"
    session.rollback()


def test_pay_above_the_limit_waits_for_the_buyer(client, session, shop):
    biz = {"out_trade_no": "M-2", "scene": "bar_code", "auth_code": _code(session, shop["buyer"]),
           "total_amount": "20.01", "subject": "晚餐"}  # limit 20.00
    obj = _call(client, shop, "alipay.trade.pay", biz)
    assert (obj["code"], obj["msg"], obj["buyer_pay_amount"]) == ("10003", "等待用户付款", "0.00")
    assert "gmt_payment" not in obj and "sub_code" not in obj
    trade.pay_as_citizen(session, citizen_id=shop["buyer"], trade_no=obj["trade_no"])
    session.commit()
    q = _call(client, shop, "alipay.trade.query", {"trade_no": obj["trade_no"]})
    assert (q["trade_status"], q["buyer_pay_amount"], q["out_trade_no"]) == ("TRADE_SUCCESS", "20.01", "M-2")
    # retried after the buyer paid: the original order, now paid (10000)
    assert _call(client, shop, "alipay.trade.pay", biz)["code"] == "10000"


def test_pay_failures_change_nothing(client, session, shop):
    code = _code(session, shop["buyer"])
    biz = {"out_trade_no": "M-3", "scene": "bar_code", "auth_code": code, "total_amount": "60.00", "subject": "x"}
    # above the limit would wait; lower the amount under the limit but above the balance instead
    rich_limit = make_buyer(session, balance=10_00, small_limit=100_00)
    session.commit()
    poor = {**biz, "auth_code": _code(session, rich_limit.public_id), "total_amount": "10.01"}
    obj = _call(client, shop, "alipay.trade.pay", poor)
    assert (obj["code"], obj["sub_code"]) == ("40004", "ACQ.BUYER_BALANCE_NOT_ENOUGH")
    assert _wallet(session, rich_limit.public_id) == 10_00
    with pytest.raises(trade.OrderNotFound):
        trade.query(session, merchant_id=shop["merchant"], out_trade_no="M-3")
    session.rollback()
    # the code was not used up by the failed attempt: it still pays 10.00
    assert _call(client, shop, "alipay.trade.pay", {**poor, "total_amount": "10.00"})["code"] == "10000"
    for bad_code in ("12345", "000000000000000000", code[:-1] + str((int(code[-1]) + 1) % 10)):
        obj = _call(client, shop, "alipay.trade.pay", {**biz, "out_trade_no": "M-4", "auth_code": bad_code})
        assert (obj["code"], obj["sub_code"]) == ("40004", "ACQ.PAYMENT_AUTH_CODE_INVALID"), bad_code
    obj = _call(client, shop, "alipay.trade.pay", {**biz, "scene": "wave_code"})
    assert obj["sub_code"] == "ACQ.INVALID_PARAMETER"
    assert _wallet(session, shop["buyer"]) == 50_00


def test_precreate_create_and_out_trade_no_reuse(client, session, shop):
    biz = {"out_trade_no": "M-5", "total_amount": "3.00", "subject": "可乐", "timeout_express": "30m"}
    first = _call(client, shop, "alipay.trade.precreate", biz)
    assert first["code"] == "10000" and first["qr_code"].startswith("000201")
    assert _call(client, shop, "alipay.trade.precreate", biz)["qr_code"] == first["qr_code"]  # idempotent
    obj = _call(client, shop, "alipay.trade.precreate", {**biz, "total_amount": "4.00"})
    assert (obj["code"], obj["sub_code"]) == ("40004", "ACQ.CONTEXT_INCONSISTENT")
    order = trade.query(session, merchant_id=shop["merchant"], out_trade_no="M-5")
    session.rollback()
    assert order.amount == 300 and order.expires_at is not None
    assert clock.aware(order.expires_at) - clock.aware(order.created_at) == timedelta(minutes=30)
    # the buyer pays the QR; a new precreate or a payment by code for M-5 is refused as paid
    trade.pay_as_citizen(session, citizen_id=shop["buyer"], trade_no=order.trade_no)
    session.commit()
    assert _call(client, shop, "alipay.trade.precreate", biz)["sub_code"] == "ACQ.TRADE_HAS_SUCCESS"
    obj = _call(client, shop, "alipay.trade.pay", {**biz, "scene": "bar_code", "auth_code": _code(session, shop["buyer"])})
    assert obj["sub_code"] == "ACQ.TRADE_HAS_SUCCESS"
    assert _wallet(session, shop["buyer"]) == 50_00 - 3_00
    created = _call(client, shop, "alipay.trade.create", {"out_trade_no": "M-6", "total_amount": "1.00",
                                                          "subject": "纸巾", "buyer_id": shop["buyer"]})
    assert created["code"] == "10000" and created["trade_no"].startswith("trd_")


def test_query_close_and_their_failures(client, session, shop):
    obj = _call(client, shop, "alipay.trade.query", {"out_trade_no": "NONE"})
    assert (obj["code"], obj["sub_code"], obj["sub_msg"]) == ("40004", "ACQ.TRADE_NOT_EXIST", "交易不存在")
    assert _call(client, shop, "alipay.trade.query", {})["sub_code"] == "ACQ.INVALID_PARAMETER"
    assert _call(client, shop, "alipay.trade.close", {"trade_no": "trd_nope"})["sub_code"] == "ACQ.TRADE_NOT_EXIST"
    _call(client, shop, "alipay.trade.precreate", {"out_trade_no": "M-7", "total_amount": "2.00", "subject": "x"})
    closed = _call(client, shop, "alipay.trade.close", {"out_trade_no": "M-7"})
    assert closed["code"] == "10000" and closed["out_trade_no"] == "M-7"
    assert _call(client, shop, "alipay.trade.close", {"out_trade_no": "M-7"})["code"] == "10000"  # idempotent
    assert _call(client, shop, "alipay.trade.query", {"out_trade_no": "M-7"})["trade_status"] == "TRADE_CLOSED"
    assert _call(client, shop, "alipay.trade.precreate", {"out_trade_no": "M-7", "total_amount": "2.00",
                                                          "subject": "x"})["sub_code"] == "ACQ.TRADE_HAS_CLOSE"
    paid = _call(client, shop, "alipay.trade.pay", {"out_trade_no": "M-8", "scene": "bar_code", "total_amount": "1.00",
                                                    "subject": "x", "auth_code": _code(session, shop["buyer"])})
    obj = _call(client, shop, "alipay.trade.close", {"trade_no": paid["trade_no"]})
    assert (obj["code"], obj["sub_code"]) == ("40004", "ACQ.TRADE_STATUS_ERROR")
    # another merchant's app cannot see this merchant's trades
    other = make_merchant(session)
    app2, key2 = make_gateway_app(session, other)
    session.commit()
    obj = call(client, signed(app2.app_id, key2, "alipay.trade.query", {"trade_no": paid["trade_no"]}))[1]
    assert obj["sub_code"] == "ACQ.TRADE_NOT_EXIST"


def test_refunds_partial_repeated_and_refused(client, session, shop):
    paid = _call(client, shop, "alipay.trade.pay", {"out_trade_no": "M-9", "scene": "bar_code", "total_amount": "10.00",
                                                    "subject": "x", "auth_code": _code(session, shop["buyer"])})
    # 10.00 paid: refund 4.00 (twice, same request no: once), then 6.01 is too much, 6.00 closes it
    r1 = _call(client, shop, "alipay.trade.refund", {"out_trade_no": "M-9", "refund_amount": "4.00",
                                                     "out_request_no": "R1", "refund_reason": "退一份"})
    assert (r1["code"], r1["refund_fee"], r1["send_back_fee"], r1["fund_change"]) == ("10000", "4.00", "4.00", "Y")
    clock.advance(timedelta(seconds=1))
    r1b = _call(client, shop, "alipay.trade.refund", {"out_trade_no": "M-9", "refund_amount": "4.00",
                                                      "out_request_no": "R1"})
    assert (r1b["refund_fee"], r1b["fund_change"]) == ("4.00", "N")
    clash = _call(client, shop, "alipay.trade.refund", {"out_trade_no": "M-9", "refund_amount": "5.00",
                                                        "out_request_no": "R1"})
    assert clash["sub_code"] == "ACQ.CONTEXT_INCONSISTENT"
    over = _call(client, shop, "alipay.trade.refund", {"trade_no": paid["trade_no"], "refund_amount": "6.01",
                                                       "out_request_no": "R2"})
    assert (over["code"], over["sub_code"]) == ("40004", "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL")
    rest = _call(client, shop, "alipay.trade.refund", {"trade_no": paid["trade_no"], "refund_amount": "6.00",
                                                       "out_request_no": "R2"})
    assert rest["refund_fee"] == "10.00"
    assert _call(client, shop, "alipay.trade.query", {"out_trade_no": "M-9"})["trade_status"] == "TRADE_CLOSED"
    assert _wallet(session, shop["buyer"]) == 50_00
    # an unpaid trade cannot be refunded; without out_request_no the out_trade_no is the request number
    _call(client, shop, "alipay.trade.create", {"out_trade_no": "M-10", "total_amount": "1.00", "subject": "x"})
    obj = _call(client, shop, "alipay.trade.refund", {"out_trade_no": "M-10", "refund_amount": "1.00"})
    assert obj["sub_code"] == "ACQ.TRADE_STATUS_ERROR"
    assert _call(client, shop, "alipay.trade.refund", {"out_trade_no": "NONE", "refund_amount": "1.00"})[
        "sub_code"] == "ACQ.TRADE_NOT_EXIST"
