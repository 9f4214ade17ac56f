"""Requests and responses of the payment code and the small-amount limit."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class CodeHolder(BaseModel):
    """Whose code a merchant scanned: the citizen, their small-amount limit, and this use's id."""

    citizen_id: str
    small_amount_limit_fen: int
    code_id: str


class DeviceIn(BaseModel):
    label: str = Field(default="", max_length=80)


class DeviceOut(BaseModel):
    """A provisioned device. `secret` (base64url, 32 bytes) is returned only when provisioning; the
    phone keeps it and computes `prefix + number + HOTP(secret, unix_time // period)` itself."""

    device_id: str
    number: str
    label: str
    created_at: datetime
    prefix: str
    algorithm: str
    digits: int
    period: int
    secret: str | None = None


class SettingsOut(BaseModel):
    small_amount_limit_fen: int
    default_fen: int
    max_fen: int


class SettingsIn(BaseModel):
    small_amount_limit_fen: int = Field(ge=0)


class CodeUseOut(BaseModel):
    """One payment code that a merchant scanned (the trade order records the amount)."""

    code_id: str
    device_id: str
    merchant_id: str
    used_at: datetime
