"""Requests and responses of the wallet."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

MAX_AMOUNT = 5_000_000  # ¥50,000 per top-up or withdrawal
Status = Literal["processing", "succeeded", "failed"]


class WalletOut(BaseModel):
    """Balances in fen. `available` is what can be spent now; `incoming` are top-ups the bank has not
    confirmed yet; `held` is reserved by withdrawals (and other pending debits) in progress."""

    account_id: str
    currency: str
    available: int
    posted: int
    incoming: int
    held: int


class HistoryItem(BaseModel):
    model_config = ConfigDict(frozen=True)

    transfer_id: str
    direction: Literal["in", "out"]
    amount: int
    currency: str
    code: str
    purpose_zh: str
    purpose_en: str
    counterparty_zh: str
    counterparty_en: str
    ref: str | None
    status: Status
    created_at: datetime


class HistoryPage(BaseModel):
    items: list[HistoryItem]
    next_cursor: str | None = Field(description="Pass as `after` for the next (older) page; null at the end")


class TopUpIn(BaseModel):
    card_id: str = Field(min_length=1, max_length=40)
    amount: int = Field(gt=0, le=MAX_AMOUNT, description="Fen")


class WithdrawalIn(BaseModel):
    card_id: str = Field(min_length=1, max_length=40)
    amount: int = Field(gt=0, le=MAX_AMOUNT, description="Fen")
    face_grant: str = Field(min_length=1, max_length=60,
                            description="grant_id of a passed face verification for act `wallet.withdraw`")


class BankTransferOut(BaseModel):
    """A top-up (`top_up_id`) or a withdrawal (`withdrawal_id`): `id` is the one that applies."""

    model_config = ConfigDict(frozen=True)

    id: str
    kind: Literal["top_up", "withdrawal"]
    amount: int
    currency: str
    card_id: str
    card_masked: str
    bank_code: str | None
    status: Status
    failure_code: str | None
    created_at: datetime
    completed_at: datetime | None


class BankTransferList(BaseModel):
    items: list[BankTransferOut]
