"""Alipay's reply shapes: return codes, the signed response text, and trade errors mapped to sub_codes.

A response is `{"<method with _>_response": {...}, "sign": "<RSA2 of that object's exact JSON text>"}`.
The object is serialised once, compactly and with Chinese kept as UTF-8, and the signature is computed
over exactly those bytes, so SDKs that cut the object out of the response text (the Python, Java and
PHP SDKs all do) verify it. A method we do not know answers as `error_response`.

Return codes (网关返回码): 10000 Success · 10003 waiting for the buyer (pay above the small-amount
limit) · 20000 Service Currently Unavailable · 40001 Missing Required Arguments · 40002 Invalid
Arguments · 40004 Business Failed (with an `ACQ.*` sub_code) · 40006 Insufficient Permissions.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from onecity.crypto import rsa2
from onecity.errors import DomainError

SUCCESS = ("10000", "Success")
WAITING = ("10003", "等待用户付款")
UNAVAILABLE = ("20000", "Service Currently Unavailable")
MISSING = ("40001", "Missing Required Arguments")
INVALID = ("40002", "Invalid Arguments")
BUSINESS = ("40004", "Business Failed")
FORBIDDEN = ("40006", "Insufficient Permissions")

ERROR_KEY = "error_response"


class GatewayError(Exception):
    """A failed call: everything it did is rolled back and the reply carries the codes."""

    def __init__(self, code: tuple[str, str], sub_code: str, sub_msg: str, **fields: Any) -> None:
        super().__init__(f"{code[0]} {sub_code}: {sub_msg}")
        self.code, self.msg = code
        self.sub_code = sub_code
        self.sub_msg = sub_msg
        self.fields = fields


def business(sub_code: str, sub_msg: str, **fields: Any) -> GatewayError:
    return GatewayError(BUSINESS, sub_code, sub_msg, **fields)


def invalid_parameter(what: str) -> GatewayError:
    return business("ACQ.INVALID_PARAMETER", f"参数无效: {what}")


# Trade-side error codes (DomainError.code) -> Alipay's sub_code and sub_msg.
TRADE_ERRORS: dict[str, tuple[str, str]] = {
    "trade_not_found": ("ACQ.TRADE_NOT_EXIST", "交易不存在"),
    "trade_status_invalid": ("ACQ.TRADE_STATUS_ERROR", "交易状态不合法"),
    "trade_expired": ("ACQ.TRADE_HAS_CLOSE", "交易已经关闭"),
    "trade_buyer_mismatch": ("ACQ.TRADE_BUYER_NOT_MATCH", "交易买家不匹配"),
    "out_trade_no_reused": ("ACQ.CONTEXT_INCONSISTENT", "交易信息被篡改: 该商户订单号已用于金额或标题不同的交易"),
    "out_request_no_reused": ("ACQ.CONTEXT_INCONSISTENT", "交易信息被篡改: 该退款请求号已用于金额不同的退款"),
    "refund_amount_exceeds": ("ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", "退款金额超限"),
    "merchant_balance_insufficient": ("ACQ.SELLER_BALANCE_NOT_ENOUGH", "卖家余额不足"),
    "buyer_balance_insufficient": ("ACQ.BUYER_BALANCE_NOT_ENOUGH", "买家余额不足"),
    "insufficient_funds": ("ACQ.BUYER_BALANCE_NOT_ENOUGH", "买家余额不足"),
    "payment_code_invalid": ("ACQ.PAYMENT_AUTH_CODE_INVALID", "支付失败，付款码无效，请顾客刷新付款码后重新收款"),
    "payment_code_used": ("ACQ.PAYMENT_AUTH_CODE_INVALID", "支付失败，付款码已使用，请顾客刷新付款码后重新收款"),
    "payment_code_expired": ("ACQ.PAYMENT_AUTH_CODE_INVALID", "支付失败，付款码已过期，请顾客刷新付款码后重新收款"),
    "payment_code_rate_limited": ("ACQ.PAYMENT_AUTH_CODE_INVALID", "支付失败，付款码校验过于频繁，请稍后重试"),
    "real_name_required": ("ACQ.BUYER_ENABLE_STATUS_FORBID", "买家状态非法: 未完成实名认证"),
    "not_a_merchant": ("ACQ.SELLER_BEEN_BLOCKED", "商家账号被冻结或不是商户"),
    "notify_url_invalid": ("ACQ.INVALID_PARAMETER", "参数无效: notify_url 必须是 http(s) 地址"),
    "invalid_amount": ("ACQ.INVALID_PARAMETER", "参数无效: 金额格式不正确"),
    "validation_error": ("ACQ.INVALID_PARAMETER", "参数无效"),
}


def from_domain_error(exc: DomainError) -> GatewayError:
    """A trade/ledger/payment-code error as Alipay names it; unknown ones keep their own code."""
    if exc.status >= 500:
        return GatewayError(UNAVAILABLE, "isp.unknow-error", "服务暂不可用（业务系统不可用）")
    sub_code, sub_msg = TRADE_ERRORS.get(exc.code, (f"ACQ.{exc.code.upper()}", exc.message_zh))
    if exc.code == "validation_error" and exc.detail:
        sub_msg = f"参数无效: {exc.detail}"
    return business(sub_code, sub_msg)


def response_key(method: str | None, known: bool) -> str:
    return method.replace(".", "_") + "_response" if method and known else ERROR_KEY


@dataclass(frozen=True)
class GatewayReply:
    """What /gateway.do sends back, and whether the call's changes are to be committed."""

    text: str
    code: str
    sub_code: str | None
    commit: bool


def _render(key: str, obj: dict[str, Any]) -> str:
    body = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    return '{"' + key + '":' + body + ',"sign":"' + rsa2.sign_text(body) + '"}'


def success(key: str, fields: dict[str, Any], code: tuple[str, str] = SUCCESS) -> GatewayReply:
    obj = {"code": code[0], "msg": code[1], **{k: v for k, v in fields.items() if v is not None}}
    return GatewayReply(text=_render(key, obj), code=code[0], sub_code=None, commit=True)


def failure(key: str, err: GatewayError) -> GatewayReply:
    obj = {"code": err.code, "msg": err.msg, "sub_code": err.sub_code, "sub_msg": err.sub_msg,
           **{k: v for k, v in err.fields.items() if v is not None}}
    return GatewayReply(text=_render(key, obj), code=err.code, sub_code=err.sub_code, commit=False)
