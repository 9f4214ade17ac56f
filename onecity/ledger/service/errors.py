"""The ledger's errors. Each leaves the caller's transaction exactly as it was before the call."""

from __future__ import annotations

from onecity.errors import Conflict, DomainError, InvalidInput, NotFound


class AccountNotFound(NotFound):
    code = "ledger_account_not_found"
    message_zh = "找不到该账户"
    message_en = "The ledger account was not found"


class TransferNotFound(NotFound):
    code = "ledger_transfer_not_found"
    message_zh = "找不到该转账"
    message_en = "The transfer was not found"


class LedgerConflict(Conflict):
    code = "ledger_account_conflict"
    message_zh = "该账户键已用于不同的账户"
    message_en = "The account key is already used by a different account"


class InsufficientFunds(Conflict):
    code = "insufficient_funds"
    message_zh = "余额不足"
    message_en = "Insufficient funds"


class CreditLimitExceeded(Conflict):
    code = "credit_limit_exceeded"
    message_zh = "超出账户的贷记限额"
    message_en = "The account's credit limit would be exceeded"


class TransferConflict(Conflict):
    code = "transfer_id_reused"
    message_zh = "该转账编号已用于不同的转账"
    message_en = "The transfer id was already used for a different transfer"


class PendingNotPending(Conflict):
    code = "pending_transfer_not_pending"
    message_zh = "该预授权转账已入账、已撤销或已过期"
    message_en = "The pending transfer was already posted, voided or expired"


class CurrencyMismatch(DomainError):
    code = "currency_mismatch"
    status = 422
    message_zh = "转账币种与账户币种不一致"
    message_en = "The transfer's currency does not match the accounts' currency"


class InvalidTransfer(InvalidInput):
    code = "invalid_transfer"
    message_zh = "转账参数有误"
    message_en = "The transfer is not valid"
