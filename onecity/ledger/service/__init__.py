"""The ledger's API (see onecity.ledger for the glossary). Services never commit: the caller's
transaction holds each transfer together with the business record that caused it."""

from onecity.ledger.service.accounts import account_by_key, balance, get_account, open_account, open_accounts
from onecity.ledger.service.errors import (
    AccountNotFound,
    CreditLimitExceeded,
    CurrencyMismatch,
    InsufficientFunds,
    InvalidTransfer,
    LedgerConflict,
    PendingNotPending,
    TransferConflict,
    TransferNotFound,
)
from onecity.ledger.service.queries import MAX_PAGE, check, count, history, transfers_by_ref
from onecity.ledger.service.transfers import (
    expire_pending,
    post_pending,
    transfer,
    transfer_group,
    void_pending,
)

__all__ = [
    "MAX_PAGE", "AccountNotFound", "CreditLimitExceeded", "CurrencyMismatch", "InsufficientFunds", "InvalidTransfer",
    "LedgerConflict", "PendingNotPending", "TransferConflict", "TransferNotFound",
    "account_by_key", "balance", "check", "count", "expire_pending", "get_account", "history",
    "open_account", "open_accounts", "post_pending", "transfer", "transfer_group", "transfers_by_ref", "void_pending",
]
