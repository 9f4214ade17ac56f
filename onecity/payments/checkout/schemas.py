"""Requests and responses of scan-to-pay."""

from __future__ import annotations

from pydantic import BaseModel, Field


class ScanIn(BaseModel):
    """A scanned merchant QR payload (EMVCo text)."""

    payload: str = Field(max_length=1024)


class ScanOut(BaseModel):
    merchant_id: str
    merchant_name: str
    city: str
    dynamic: bool
    amount_fen: int | None
    order_ref: str | None


class ScanPayIn(BaseModel):
    payload: str = Field(max_length=1024)
    amount_fen: int | None = Field(default=None, gt=0)
    note: str | None = Field(default=None, max_length=60)
