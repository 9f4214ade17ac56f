"""Requests and responses of the bank module."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

InstructionStatus = Literal["processing", "succeeded", "failed"]


class CardBindIn(BaseModel):
    card_number: str = Field(min_length=12, max_length=30, examples=["6222 0212 3456 7890 128"])
    holder_name: str = Field(min_length=1, max_length=40, description="Must be your verified real name")


class CardOut(BaseModel):
    model_config = ConfigDict(frozen=True)

    card_id: str
    bank_code: str
    bank_name_zh: str
    bank_name_en: str
    masked: str = Field(examples=["6222 **** **** 1234"])
    last4: str
    holder_masked: str
    status: Literal["active", "unbound"]
    created_at: datetime


class CardList(BaseModel):
    items: list[CardOut]


class InstructionOut(BaseModel):
    """One request to a bank as the caller sees it. `status` is processing until the bank's result is
    known (`state` says where it is: created, submitted, unknown = the bank's answer was lost)."""

    model_config = ConfigDict(frozen=True)

    instruction_id: str
    client_ref: str
    kind: Literal["collect", "payout"]
    purpose: str
    status: InstructionStatus
    state: Literal["created", "submitted", "unknown", "succeeded", "failed"]
    amount: int
    currency: str
    account_masked: str
    bank_code: str | None
    ledger_account: str
    pending_transfer_id: str
    bank_ref: str | None
    failure_code: str | None
    created_at: datetime
    completed_at: datetime | None


class PayoutOut(InstructionOut):
    payout_id: str


class ReconciliationItemOut(BaseModel):
    kind: Literal["bank_done_we_pending", "bank_done_we_failed", "missing_at_bank", "amount_mismatch",
                  "unknown_to_us"]
    instruction_id: str | None
    bank_ref: str | None
    our_amount: int | None
    bank_amount: int | None
    resolution: Literal["resolved", "open"]
    detail: str


class ReconciliationOut(BaseModel):
    run_id: str
    business_date: date
    channel: str
    statement_lines: int
    matched: int
    resolved: int
    open: int
    items: list[ReconciliationItemOut]
