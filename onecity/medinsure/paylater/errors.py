"""Treat-first-pay-later errors, each with a stable code and zh/en messages."""

from __future__ import annotations

from onecity.errors import Conflict, Forbidden, InvalidInput, NotFound


class NotEligible(Forbidden):
    code = "paylater_not_eligible"
    message_zh = "暂不符合先诊疗后付费条件（未开通或有逾期欠款）"
    message_en = "Treat-first-pay-later is not available (not allowed by the city, or a debt is overdue)"


class DebtInvalid(InvalidInput):
    code = "paylater_debt_invalid"
    message_zh = "欠款数据有误"
    message_en = "The debt is not valid"


class DebtConflict(Conflict):
    code = "paylater_debt_conflict"
    message_zh = "该结算已记录了另一笔不同的欠款"
    message_en = "A different debt was already opened for this settlement"


class DebtNotFound(NotFound):
    code = "paylater_debt_not_found"
    message_zh = "找不到该笔先诊后付欠款"
    message_en = "No such pay-later debt"


class ReductionExceedsDebt(Conflict):
    code = "paylater_reduction_exceeds_debt"
    message_zh = "退费金额超过该笔欠款"
    message_en = "The refund exceeds the debt"


class NoArrears(Conflict):
    code = "paylater_no_arrears"
    message_zh = "没有逾期欠款"
    message_en = "There is nothing overdue to pay"


class WalletInsufficient(Conflict):
    code = "paylater_wallet_insufficient"
    message_zh = "钱包余额不足以还清逾期欠款，请先充值"
    message_en = "The wallet cannot pay the overdue debts; top it up first"
