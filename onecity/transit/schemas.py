"""Transit's request and response shapes (money in int fen, times UTC)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field


class PlatformKeyOut(BaseModel):
    kid: str
    public_key: bytes
    status: str
    retire_after: datetime | None = None


class KeyOut(BaseModel):
    kid: str
    public_key: str  # base64 of the raw 32-byte Ed25519 key
    status: str
    retire_after: datetime | None = None


class KeySetOut(BaseModel):
    """`keys` is what a gate loads (`ridecode.keys.KeySet.from_json`); `detail` names each key."""

    keys: list[str]
    detail: list[KeyOut]


class CertificateRequest(BaseModel):
    device_public_key: str = Field(max_length=64, description="base64 of the raw 32-byte Ed25519 public key")


class CertificateOut(BaseModel):
    certificate: str  # base64 of the 126 bytes
    serial: int
    kid: str
    rider_ref: str
    not_before: datetime
    not_after: datetime
    max_fare: int
    flags: int


class TapIn(BaseModel):
    """One tap as the gate stored it, with the scanned code (Base45 text) so the platform can verify it."""

    tap_id: str | None = Field(default=None, max_length=40)
    gate_id: str = Field(max_length=60)
    stop_id: str = Field(max_length=60)
    network: str = Field(max_length=10)  # the gate's: metro | bus
    direction: str = Field(max_length=3)
    at: int  # the gate's clock, epoch seconds
    code: str = Field(max_length=600)
    network_id: str | None = Field(default=None, max_length=60)  # the fare network, when the stop is on several


class TapBatch(BaseModel):
    taps: list[TapIn] = Field(max_length=2000)


class TapResult(BaseModel):
    index: int
    tap_id: str | None
    result: Literal["accepted", "duplicate", "rejected"]
    reason: str | None = None


class BatchResult(BaseModel):
    accepted: int
    duplicates: int
    rejected: int
    results: list[TapResult]


class TapOut(BaseModel):
    tap_id: str
    rider_ref: str
    gate_id: str
    stop_id: str
    network_id: str
    direction: str
    at: datetime
    service_day: date


class LegOut(BaseModel):
    leg_id: str
    network_id: str
    status: str
    start: datetime
    end: datetime | None
    from_stop: str | None
    to_stop: str | None
    fare_product_id: str | None
    distance_m: int | None
    base: int
    after_transfer: int
    charged: int
    transfer: bool
    capped_by: list[str]
    service_day: date
    operator_id: str | None
    tap_ids: list[str]


class DayOut(BaseModel):
    service_day: date
    legs: list[LegOut]
    fares: int  # the day's fares after transfers and caps
    uncapped: int  # what the legs would have cost without caps
    charged: int  # what charges have asked so far (equal to `fares` once priced)
    paid: int
    due: int


class TripsOut(BaseModel):
    days: list[DayOut]
    open_legs: list[LegOut]


class ChargeOut(BaseModel):
    charge_id: str
    service_day: date
    operator_id: str
    amount: int
    status: str
    paid_from: str | None
    created_at: datetime


class ArrearsOut(BaseModel):
    in_arrears: bool
    amount: int
    charges: list[ChargeOut]


class RiderOut(BaseModel):
    rider_ref: str
    payment_mode: str
    in_arrears: bool
    denied: bool


class CardOut(BaseModel):
    account_id: str
    balance: int
    payment_mode: str


class CardTopUp(BaseModel):
    amount: int = Field(gt=0, le=100_000)
    request_id: str = Field(min_length=1, max_length=64)


class PaymentModeIn(BaseModel):
    mode: Literal["postpaid", "card"]


class CorrectionIn(BaseModel):
    tap_id: str = Field(max_length=40)
    stop_id: str = Field(max_length=60)
    reason: str | None = Field(default=None, max_length=200)


class CorrectionOut(BaseModel):
    tap_id: str
    stop_id: str
    source: str
    created_at: datetime


class RevenueDayOut(BaseModel):
    service_day: date
    taps: int
    fares: int  # net charges for the day (corrections and refunds included)
    paid: int
    due: int
    failed: int


class DenyEntryOut(BaseModel):
    kind: str
    value: str
    reason: str
    version: int
    created_at: datetime


class PricingRunOut(BaseModel):
    riders_priced: int
    charges: int


class DebitRunOut(BaseModel):
    riders: int
    paid: int
    failed: int
    amount: int
