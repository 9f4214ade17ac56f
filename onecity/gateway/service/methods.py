"""The `alipay.trade.*` methods: biz_content in, a trade service call, Alipay's response fields out.

Each method is an adapter over `onecity.payments.trade.service`; the orders, their states and their
idempotency (out_trade_no per merchant, out_request_no per order) are the trade service's. Amounts are
yuan strings at this edge ("12.34") and int fen inside (`Money`); times are "yyyy-MM-dd HH:mm:ss" in
Beijing time, as Alipay sends them.

Choices where Alipay leaves room:
- precreate/create on an out_trade_no already paid → ACQ.TRADE_HAS_SUCCESS, already closed →
  ACQ.TRADE_HAS_CLOSE (a new QR could not be paid); pay retried with the same out_trade_no returns
  the original result (10000, or 10003 while the buyer has not confirmed) and never charges twice;
  pay on an out_trade_no paid some other way (its QR) → ACQ.TRADE_HAS_SUCCESS.
- refund without out_request_no uses the out_trade_no (or trade_no) as the request number, so a
  retried full refund is recognised; `fund_change` is "N" when the refund already existed.
- the buyer is named by the citizen's public id (`buyer_user_id`), never by personal data.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from onecity import clock
from onecity.gateway.models import GatewayApp
from onecity.gateway.service.replies import SUCCESS, WAITING, business, invalid_parameter
from onecity.money import InvalidAmount, Money, yuan
from onecity.payments.trade import service as trade
from onecity.payments.trade.schemas import OrderOut

MAX_AMOUNT = 100_000_000_00  # 100,000,000.00 yuan, Alipay's ceiling for total_amount
MAX_TIMEOUT_MINUTES = 1440
_OUT_NO = re.compile(r"^[A-Za-z0-9_\-.:]{1,64}$")
_TIMEOUT = re.compile(r"^([1-9][0-9]{0,4})([mhdc])$")
_AUTH_CODE = re.compile(r"^[0-9]{18}$")
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


@dataclass(frozen=True)
class Call:
    app: GatewayApp
    biz: dict[str, Any]
    notify_url: str | None
    started_at: datetime


Result = tuple[tuple[str, str], dict[str, Any]]


# --- biz_content fields -----------------------------------------------------------------------------

def _str(biz: dict[str, Any], name: str, *, required: bool = False, max_len: int = 256) -> str | None:
    value = biz.get(name)
    if value is None or value == "":
        if required:
            raise invalid_parameter(f"缺少 {name}")
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise invalid_parameter(f"{name} 必须是字符串")
    text = str(value).strip()
    if len(text) > max_len:
        raise invalid_parameter(f"{name} 超过 {max_len} 个字符")
    return text


def _out_no(biz: dict[str, Any], name: str, *, required: bool) -> str | None:
    value = _str(biz, name, required=required, max_len=64)
    if value is not None and not _OUT_NO.match(value):
        raise invalid_parameter(f"{name} 只能包含字母、数字、下划线、短横线、点和冒号，至多 64 位")
    return value


def fen(biz: dict[str, Any], name: str) -> int:
    """A yuan amount as Alipay accepts it ("12.34", 12.34 or 12) -> int fen, 0.01 to 100,000,000.00."""
    value = biz.get(name)
    if value is None or value == "":
        raise invalid_parameter(f"缺少 {name}")
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise invalid_parameter(f"{name} 金额格式不正确")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise invalid_parameter(f"{name} 金额格式不正确")
        value = repr(value)
    try:
        amount = Money.parse(str(value)).fen
    except InvalidAmount as exc:
        raise invalid_parameter(f"{name} 金额格式不正确，单位为元，精确到小数点后两位") from exc
    if not 1 <= amount <= MAX_AMOUNT:
        raise invalid_parameter(f"{name} 取值范围为 [0.01, 100000000]")
    return amount


def beijing(dt: datetime | None) -> str | None:
    return clock.aware(dt).astimezone(clock.CITY_TZ).strftime(TIME_FORMAT) if dt else None


def timeout_minutes(biz: dict[str, Any], now: datetime) -> int:
    """`timeout_express` ("90m", "2h", "1d", "1c" = until midnight) or `time_expire`; default 15 minutes."""
    express = _str(biz, "timeout_express", max_len=8)
    expire = _str(biz, "time_expire", max_len=19)
    if express:
        m = _TIMEOUT.match(express)
        if not m:
            raise invalid_parameter("timeout_express 格式为 1m～15d，如 90m、2h、1d、1c")
        n, unit = int(m.group(1)), m.group(2)
        if unit == "c":
            local = now.astimezone(clock.CITY_TZ)
            midnight = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
            minutes = math.ceil((midnight - local).total_seconds() / 60)
        else:
            minutes = n * {"m": 1, "h": 60, "d": 1440}[unit]
    elif expire:
        try:
            at = datetime.strptime(expire, TIME_FORMAT).replace(tzinfo=clock.CITY_TZ)
        except ValueError as exc:
            raise invalid_parameter("time_expire 格式为 yyyy-MM-dd HH:mm:ss") from exc
        minutes = math.ceil((at - now).total_seconds() / 60)
        if minutes < 1:
            raise invalid_parameter("time_expire 已过")
    else:
        return 15
    return max(1, min(minutes, MAX_TIMEOUT_MINUTES))


def _notify_url(call: Call) -> str | None:
    return call.notify_url or call.app.notify_url


def _order_ids(biz: dict[str, Any]) -> tuple[str | None, str | None]:
    out_trade_no = _out_no(biz, "out_trade_no", required=False)
    trade_no = _str(biz, "trade_no", max_len=64)
    if not out_trade_no and not trade_no:
        raise invalid_parameter("out_trade_no 和 trade_no 不能同时为空")
    return out_trade_no, trade_no


def _not_again(order: OrderOut) -> None:
    """A new QR or order for an out_trade_no that is already paid or closed could never be paid."""
    if order.status in (trade.SUCCESS, trade.FINISHED):
        raise business("ACQ.TRADE_HAS_SUCCESS", "交易已被支付", out_trade_no=order.out_trade_no,
                       trade_no=order.trade_no)
    if order.status == trade.CLOSED:
        raise business("ACQ.TRADE_HAS_CLOSE", "交易已经关闭", out_trade_no=order.out_trade_no,
                       trade_no=order.trade_no)


def _paid_fields(order: OrderOut) -> dict[str, Any]:
    paid = order.paid_at is not None
    amount = yuan(order.amount if paid else 0)
    return {"total_amount": yuan(order.amount), "receipt_amount": amount, "buyer_pay_amount": amount,
            "invoice_amount": amount, "point_amount": "0.00", "buyer_user_id": order.buyer_citizen_id}


# --- methods ----------------------------------------------------------------------------------------

def precreate(session: Session, call: Call) -> Result:
    b = call.biz
    order = trade.precreate(
        session, merchant_id=call.app.merchant_id, out_trade_no=_out_no(b, "out_trade_no", required=True) or "",
        amount=fen(b, "total_amount"), subject=_str(b, "subject", required=True) or "",
        body=_str(b, "body", max_len=1000), notify_url=_notify_url(call), app_id=call.app.app_id,
        timeout_minutes=timeout_minutes(b, call.started_at))
    _not_again(order)
    return SUCCESS, {"out_trade_no": order.out_trade_no, "qr_code": order.qr_code}


def create(session: Session, call: Call) -> Result:
    b = call.biz
    order = trade.create_order(
        session, merchant_id=call.app.merchant_id, out_trade_no=_out_no(b, "out_trade_no", required=True) or "",
        amount=fen(b, "total_amount"), subject=_str(b, "subject", required=True) or "",
        body=_str(b, "body", max_len=1000), buyer_citizen_id=_str(b, "buyer_id", max_len=40),
        notify_url=_notify_url(call), app_id=call.app.app_id, timeout_minutes=timeout_minutes(b, call.started_at))
    _not_again(order)
    return SUCCESS, {"out_trade_no": order.out_trade_no, "trade_no": order.trade_no}


def pay(session: Session, call: Call) -> Result:
    b = call.biz
    scene = _str(b, "scene", required=True, max_len=32)
    if scene != "bar_code":
        raise invalid_parameter("scene 只支持 bar_code（条码支付）")
    auth_code = _str(b, "auth_code", required=True, max_len=32) or ""
    if not _AUTH_CODE.match(auth_code):
        raise business("ACQ.PAYMENT_AUTH_CODE_INVALID", "支付失败，付款码格式不正确（18 位数字），请顾客刷新付款码后重新收款")
    order = trade.pay_by_code(
        session, merchant_id=call.app.merchant_id, out_trade_no=_out_no(b, "out_trade_no", required=True) or "",
        amount=fen(b, "total_amount"), subject=_str(b, "subject", required=True) or "", auth_code=auth_code,
        notify_url=_notify_url(call), app_id=call.app.app_id)
    if order.channel != "code" or (order.status == trade.CLOSED and order.paid_at is None):
        _not_again(order)  # paid or closed some other way: this payment code was not charged
    fields = {"trade_no": order.trade_no, "out_trade_no": order.out_trade_no, **_paid_fields(order),
              "gmt_payment": beijing(order.paid_at)}
    if order.paid_at is not None:
        fields["fund_bill_list"] = [{"fund_channel": "ALIPAYACCOUNT", "amount": yuan(order.amount)}]
    return (WAITING if order.status == trade.WAIT else SUCCESS), fields


def query(session: Session, call: Call) -> Result:
    out_trade_no, trade_no = _order_ids(call.biz)
    order = trade.query(session, merchant_id=call.app.merchant_id, out_trade_no=out_trade_no, trade_no=trade_no)
    return SUCCESS, {"trade_no": order.trade_no, "out_trade_no": order.out_trade_no,
                     "trade_status": order.status, **_paid_fields(order), "subject": order.subject,
                     "body": order.body, "send_pay_date": beijing(order.paid_at)}


def refund(session: Session, call: Call) -> Result:
    b = call.biz
    out_trade_no, trade_no = _order_ids(b)
    amount = fen(b, "refund_amount")
    out_request_no = _out_no(b, "out_request_no", required=False) or out_trade_no or trade_no or ""
    r = trade.refund(session, merchant_id=call.app.merchant_id, out_trade_no=out_trade_no, trade_no=trade_no,
                     refund_amount=amount, out_request_no=out_request_no,
                     reason=_str(b, "refund_reason", max_len=256), actor=f"app:{call.app.app_id}")
    replayed = clock.aware(r.created_at) < call.started_at
    return SUCCESS, {"trade_no": r.trade_no, "out_trade_no": r.out_trade_no, "buyer_user_id": r.buyer_citizen_id,
                     "fund_change": "N" if replayed else "Y", "refund_fee": yuan(r.total_refunded),
                     "send_back_fee": yuan(r.refund_amount), "gmt_refund_pay": beijing(r.created_at),
                     "out_request_no": r.out_request_no}


def close(session: Session, call: Call) -> Result:
    out_trade_no, trade_no = _order_ids(call.biz)
    order = trade.close(session, merchant_id=call.app.merchant_id, out_trade_no=out_trade_no, trade_no=trade_no,
                        actor=f"app:{call.app.app_id}")
    return SUCCESS, {"trade_no": order.trade_no, "out_trade_no": order.out_trade_no}


METHODS: dict[str, Callable[[Session, Call], Result]] = {
    "alipay.trade.precreate": precreate,
    "alipay.trade.pay": pay,
    "alipay.trade.create": create,
    "alipay.trade.query": query,
    "alipay.trade.refund": refund,
    "alipay.trade.close": close,
}

