"""Trade's Pydantic models: what the service returns and what the JSON API accepts. Money is int fen."""

from __future__ import annotations

from datetime import date, datetime
from typing import Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

TradeStatus = Literal["WAIT_BUYER_PAY", "TRADE_SUCCESS", "TRADE_CLOSED", "TRADE_FINISHED"]
STATUSES: tuple[str, ...] = ("WAIT_BUYER_PAY", "TRADE_SUCCESS", "TRADE_CLOSED", "TRADE_FINISHED")

OUT_NO = r"^[A-Za-z0-9_\-.:]{1,64}$"


class OrderOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    trade_no: str
    out_trade_no: str
    merchant_id: str
    merchant_name: str
    amount: int
    currency: str
    subject: str
    body: str | None = None
    status: TradeStatus
    channel: str
    buyer_citizen_id: str | None
    needs_confirmation: bool = False  # paid by code above the buyer's small-amount limit, awaiting them
    paid_at: datetime | None
    closed_at: datetime | None = None
    refunded_amount: int
    fee: int = 0
    qr_code: str | None
    created_at: datetime
    expires_at: datetime | None = None
    app_id: str | None
    notify_url: str | None


class RefundOut(BaseModel):
    refund_id: str
    trade_no: str
    out_trade_no: str
    out_request_no: str
    merchant_id: str
    refund_amount: int
    total_refunded: int  # of the order, after this refund
    fee_refunded: int
    reason: str | None
    created_at: datetime
    status: TradeStatus  # the order's status after this refund
    buyer_citizen_id: str | None


class MerchantProfileOut(BaseModel):
    merchant_id: str
    merchant_name: str
    ledger_account_id: str
    fee_rate_bp: int
    bank_account_masked: str | None
    bank_holder_name: str | None
    notify_url: str | None
    city: str
    mcc: str


class SettlementOut(BaseModel):
    settlement_id: str
    merchant_id: str
    settle_date: date
    payments_count: int
    payments_amount: int
    refunds_count: int
    refunds_amount: int
    fees: int
    carried_in: int
    payout_amount: int
    carried_out: int
    payout_id: str | None
    status: str
    created_at: datetime
    finished_at: datetime | None


class NotificationAttemptOut(BaseModel):
    attempted_at: datetime
    status_code: int | None
    response_excerpt: str | None
    error: str | None
    succeeded: bool
    duration_ms: int


class NotificationOut(BaseModel):
    notify_id: str
    trade_no: str
    trade_status: str
    url: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    created_at: datetime
    delivered_at: datetime | None
    log: list[NotificationAttemptOut] = Field(default_factory=list)


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


# --- requests -------------------------------------------------------------------------------------

class OrderCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    out_trade_no: str = Field(pattern=OUT_NO)
    amount: int = Field(gt=0, le=10**11, description="fen")
    subject: str = Field(min_length=1, max_length=256)
    body: str | None = Field(default=None, max_length=1000)
    buyer_citizen_id: str | None = Field(default=None, max_length=40)
    notify_url: str | None = Field(default=None, max_length=1000)
    timeout_minutes: int = Field(default=15, ge=1, le=1440)
    precreate: bool = Field(default=False, description="also return an EMVCo QR payload to show the buyer")


class PayByCode(BaseModel):
    model_config = ConfigDict(extra="forbid")

    out_trade_no: str = Field(pattern=OUT_NO)
    amount: int = Field(gt=0, le=10**11)
    subject: str = Field(min_length=1, max_length=256)
    auth_code: str = Field(pattern=r"^[0-9]{18}$")
    notify_url: str | None = Field(default=None, max_length=1000)


class RefundCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    refund_amount: int = Field(gt=0, le=10**11)
    out_request_no: str = Field(pattern=OUT_NO)
    reason: str | None = Field(default=None, max_length=256)


class StaticQrPay(BaseModel):
    model_config = ConfigDict(extra="forbid")

    merchant_id: str = Field(max_length=40)
    amount: int = Field(gt=0, le=10**11)
    note: str | None = Field(default=None, max_length=100)


class ProfileUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    bank_account: str | None = Field(default=None, max_length=40)
    holder_name: str | None = Field(default=None, max_length=200)
    notify_url: str | None = Field(default=None, max_length=1000)
    city: str | None = Field(default=None, max_length=15)
    mcc: str | None = Field(default=None, pattern=r"^[0-9]{4}$")
