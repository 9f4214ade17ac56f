"""The ledger's public shapes: account flags, accounts, balances and transfers."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict

# Account flags (bit set).
DEBITS_MUST_NOT_EXCEED_CREDITS = 1  # liability-like, credit-normal: wallets, merchant payables
CREDITS_MUST_NOT_EXCEED_DEBITS = 2  # asset-like, debit-normal, never below zero
HOT = 4  # touched by many transfers (metro operator, big merchant, clearing): locked last
ALL_FLAGS = DEBITS_MUST_NOT_EXCEED_CREDITS | CREDITS_MUST_NOT_EXCEED_DEBITS | HOT

TransferKind = Literal["single", "pending", "post", "void"]
TransferStatus = Literal["posted", "pending", "voided", "expired"]


class AccountOut(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    key: str
    code: str
    owner: str
    currency: str
    flags: int
    name: str | None
    created_at: datetime


class AccountSpec(BaseModel):
    """An account to open (the arguments of `service.open_account`)."""

    model_config = ConfigDict(frozen=True)

    key: str
    code: str
    owner: str
    currency: str = "CNY"
    flags: int = 0
    name: str | None = None


class Balance(BaseModel):
    """The four running balances of one account (int fen).

    `posted_balance`/`available_balance` are seen from the account's normal side: debit-normal for
    accounts flagged CREDITS_MUST_NOT_EXCEED_DEBITS, credit-normal otherwise. For a credit-normal
    account (a wallet): posted = credits_posted - debits_posted and available = posted - debits_pending
    (money reserved by pending debits cannot be spent twice).
    """

    model_config = ConfigDict(frozen=True)

    account_id: str
    currency: str
    flags: int
    debits_pending: int
    debits_posted: int
    credits_pending: int
    credits_posted: int

    @property
    def debit_normal(self) -> bool:
        return bool(self.flags & CREDITS_MUST_NOT_EXCEED_DEBITS)

    @property
    def posted_balance(self) -> int:
        if self.debit_normal:
            return self.debits_posted - self.credits_posted
        return self.credits_posted - self.debits_posted

    @property
    def available_balance(self) -> int:
        if self.debit_normal:
            return self.debits_posted - self.credits_posted - self.credits_pending
        return self.credits_posted - self.debits_posted - self.debits_pending


class AccountBalanceOut(BaseModel):
    """An account with its balances, as the administrators' API shows it."""

    account: AccountOut
    debits_pending: int
    debits_posted: int
    credits_pending: int
    credits_posted: int
    posted_balance: int
    available_balance: int

    @classmethod
    def of(cls, account: AccountOut, b: Balance) -> AccountBalanceOut:
        return cls(account=account, debits_pending=b.debits_pending, debits_posted=b.debits_posted,
                   credits_pending=b.credits_pending, credits_posted=b.credits_posted,
                   posted_balance=b.posted_balance, available_balance=b.available_balance)


class TransferSpec(BaseModel):
    """One transfer of a group (the same fields as `service.transfer`)."""

    model_config = ConfigDict(frozen=True, strict=True)

    transfer_id: str
    debit: str
    credit: str
    amount: int
    code: str
    currency: str = "CNY"
    ref: str | None = None
    pending: bool = False
    timeout: timedelta | None = None


class TransferOut(BaseModel):
    """A transfer as recorded. `replayed` is True when this call found it already applied."""

    model_config = ConfigDict(frozen=True)

    transfer_id: str
    debit: str
    credit: str
    amount: int
    currency: str
    code: str
    ref: str | None
    kind: TransferKind
    status: TransferStatus
    pending_id: str | None
    timeout_at: datetime | None
    created_at: datetime
    replayed: bool = False


class HistoryPage(BaseModel):
    items: list[TransferOut]
    next_cursor: str | None

