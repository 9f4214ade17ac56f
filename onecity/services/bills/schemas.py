"""Requests and responses of utility bills. Amounts are integer fen."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

Product = Literal["water", "electricity", "gas", "phone"]
PaymentState = Literal["pending", "acknowledged", "confirmed", "refunded"]


class BillerProfileIn(BaseModel):
    product: Product
    account_pattern: str = Field(max_length=200)
    check_digit: Literal["none", "luhn", "mod11"] = "none"
    account_hint_zh: str | None = Field(default=None, max_length=100)
    account_hint_en: str | None = Field(default=None, max_length=100)
    connector: Literal["simulator", "http"] = "simulator"
    endpoint: str | None = Field(default=None, max_length=300)
    topup_amounts: list[int] = []
    recon_enabled: bool = True
    recon_mask_accounts: bool = True


class BillerOut(BaseModel):
    org_id: str
    name_zh: str
    name_en: str | None
    product: Product
    account_pattern: str
    check_digit: str
    account_hint_zh: str | None
    account_hint_en: str | None
    connector: str
    endpoint: str | None
    topup_amounts: list[int]
    recon_enabled: bool
    recon_mask_accounts: bool
    status: str


class AccountIn(BaseModel):
    biller_org_id: str = Field(max_length=40)
    account_no: str = Field(max_length=40)
    alias: str = Field(max_length=40)


class AccountOut(BaseModel):
    account_id: str
    citizen_id: str
    biller_org_id: str
    biller_name_zh: str
    biller_name_en: str | None
    product: Product
    number_masked: str
    alias: str
    autopay: bool
    autopay_limit: int | None
    created_at: datetime


class BillOut(BaseModel):
    """A bill as the biller returned it, with what the platform knows (a payment of it here)."""

    bill_id: str
    account_id: str
    period: str
    amount: int
    due_date: date | None
    holder_masked: str | None
    status: Literal["unpaid", "paid"]
    paid_here: str | None = None  # the platform payment id when it was paid through OneCity


class PayIn(BaseModel):
    bill_id: str = Field(max_length=64)
    amount: int  # fen, must equal the bill's amount (the citizen saw it)


class TopUpIn(BaseModel):
    amount: int  # fen, one of the biller's fixed amounts


class AutopayIn(BaseModel):
    enabled: bool
    limit: int | None = None  # fen


class PaymentOut(BaseModel):
    payment_id: str
    account_id: str
    owner_id: str
    payer_id: str
    biller_org_id: str
    kind: Literal["bill", "topup"]
    bill_id: str
    period: str | None
    amount: int
    via: str
    state: PaymentState
    biller_ref: str | None
    failure_code: str | None
    created_at: datetime
    confirmed_at: datetime | None


class ReconFileOut(BaseModel):
    file_id: str
    biller_org_id: str
    business_date: date
    count: int
    total: int
    sha256: str
    signature: str
    key_id: str
    created_at: datetime


class DispatchOut(BaseModel):
    sent: int = 0
    acknowledged: int = 0
    confirmed: int = 0
    refunded: int = 0
    retried: int = 0


class AutopayOut(BaseModel):
    accounts: int = 0
    paid: int = 0
    over_limit: int = 0
    failed: int = 0
