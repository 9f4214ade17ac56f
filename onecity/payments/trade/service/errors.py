"""Trade's errors, each with a stable code (the gateway maps them to Alipay's sub_codes)."""

from __future__ import annotations

from onecity.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound


class NotAMerchant(Forbidden):
    code = "not_a_merchant"
    message_zh = "该机构不是商户"
    message_en = "This organisation is not a merchant"


class OrderNotFound(NotFound):
    code = "trade_not_found"
    message_zh = "交易不存在"
    message_en = "No such trade"


class OrderConflict(Conflict):
    code = "out_trade_no_reused"
    message_zh = "商户订单号已用于另一笔不同的交易"
    message_en = "This out_trade_no was already used for a different order"


class TradeStateInvalid(Conflict):
    code = "trade_status_invalid"
    message_zh = "交易状态不允许该操作"
    message_en = "The trade's status does not allow this"


class TradeExpired(Conflict):
    code = "trade_expired"
    message_zh = "交易已超时关闭"
    message_en = "The trade has expired"


class TradeHasBuyer(Forbidden):
    code = "trade_buyer_mismatch"
    message_zh = "该交易属于其他买家"
    message_en = "This trade belongs to another buyer"


class RefundExceedsPaid(Conflict):
    code = "refund_amount_exceeds"
    message_zh = "退款金额超过可退金额"
    message_en = "The refund exceeds what is left to refund"


class RefundConflict(Conflict):
    code = "out_request_no_reused"
    message_zh = "退款请求号已用于另一笔不同的退款"
    message_en = "This out_request_no was already used for a different refund"


class MerchantBalanceInsufficient(Conflict):
    code = "merchant_balance_insufficient"
    message_zh = "商户可用余额不足，无法退款"
    message_en = "The merchant's available balance cannot cover this refund"


class BuyerBalanceInsufficient(Conflict):
    code = "buyer_balance_insufficient"
    message_zh = "余额不足"
    message_en = "The buyer's balance is not enough"


class NotifyUrlInvalid(InvalidInput):
    code = "notify_url_invalid"
    message_zh = "通知地址必须是 http(s) 地址"
    message_en = "The notify URL must be an http(s) URL"


class BankAccountInvalid(InvalidInput):
    code = "bank_account_invalid"
    message_zh = "银行账号格式不正确"
    message_en = "The bank account number is not valid"


class FeeRateInvalid(InvalidInput):
    code = "fee_rate_invalid"
    message_zh = "费率无效（0 至 1000 个基点）"
    message_en = "The fee rate must be 0 to 1000 basis points"


class SettlementNotFound(NotFound):
    code = "settlement_not_found"
    message_zh = "该日没有结算单"
    message_en = "No settlement for that day"


class SettlementDayOpen(Conflict):
    code = "settlement_day_open"
    message_zh = "该日尚未结束，不能结算"
    message_en = "That day has not ended yet; it cannot be settled"


__all__ = [
    "BankAccountInvalid",
    "BuyerBalanceInsufficient",
    "DomainError",
    "FeeRateInvalid",
    "MerchantBalanceInsufficient",
    "NotAMerchant",
    "NotifyUrlInvalid",
    "OrderConflict",
    "OrderNotFound",
    "RefundConflict",
    "RefundExceedsPaid",
    "SettlementDayOpen",
    "SettlementNotFound",
    "TradeExpired",
    "TradeHasBuyer",
    "TradeStateInvalid",
]
