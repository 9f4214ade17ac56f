"""Requests and responses of services.taxes. Money in fen."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field


class AssessmentIn(BaseModel):
    """An amount due from the citizen with `id_number` for `item` and `period`; `source_ref` is the
    bureau's own reference (a re-sent upload is recognised)."""

    model_config = ConfigDict(extra="forbid")
    id_number: str = Field(min_length=18, max_length=18)
    item: str = Field(max_length=40)
    period: str = Field(max_length=20)
    amount_fen: int = Field(gt=0, le=10**10)
    due_on: date
    description: str | None = Field(default=None, max_length=200)
    source_ref: str | None = Field(default=None, min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._:-]+$")


class AssessmentBatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    assessments: list[AssessmentIn] = Field(min_length=1, max_length=500)


class AssessmentOut(BaseModel):
    assessment_id: str
    citizen_id: str
    office_org_id: str
    office_name: str | None = None
    item: str
    item_name_zh: str
    item_name_en: str
    period: str
    description: str
    amount_fen: int
    due_on: date
    status: str  # due | paid
    surcharge_fen: int  # late-payment surcharge today (due) or paid (paid)
    total_fen: int  # amount + surcharge
    paid_at: datetime | None = None
    receipt_no: str | None = None


class PayIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    assessment_ids: list[str] = Field(min_length=1, max_length=50)
    expected_fen: int | None = Field(default=None, ge=0)


class ReceiptItem(BaseModel):
    assessment_id: str
    item: str
    item_name: str
    period: str
    amount_fen: int
    surcharge_fen: int


class PublicReceiptOut(BaseModel):
    """The receipt as anyone verifying it sees it: the payer only by masked name."""

    receipt_no: str
    payer_name_masked: str
    office_org_id: str
    office_name: str | None
    items: list[ReceiptItem]
    total_fen: int
    issued_at: datetime
    key_id: str
    signature: str
    verify_path: str


class ReceiptOut(PublicReceiptOut):
    """The receipt as its payer sees it."""

    citizen_id: str


class VerifyOut(BaseModel):
    receipt_no: str
    valid: bool
    receipt: PublicReceiptOut | None = None


class MyTaxesOut(BaseModel):
    due: list[AssessmentOut]
    paid: list[AssessmentOut]
    receipts: list[ReceiptOut]
