"""Requests and responses of the medinsure core (amounts in int fen)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T")

Scheme = Literal["employee", "resident"]
VisitType = Literal["outpatient", "chronic", "inpatient", "pharmacy"]


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


# --- policies, institutions, insured -------------------------------------------------------------

class PolicyOut(BaseModel):
    policy_key: str
    city: str
    year: int
    version: int
    sha256: str
    published_by: str
    published_at: datetime
    schemes: list[str]
    catalogue_size: int


class PolicyPublish(BaseModel):
    document: dict[str, Any]


class InstitutionIn(BaseModel):
    org_id: str = Field(max_length=40)
    level: int = Field(ge=0, le=3)


class InstitutionOut(BaseModel):
    org_id: str
    name: str
    kind: Literal["hospital", "pharmacy"]
    level: int
    city: str
    ledger_account_id: str


class EnrolIn(BaseModel):
    citizen_id: str = Field(max_length=40)
    scheme: Scheme
    retiree: bool = False


class ContributionIn(BaseModel):
    amount: int = Field(gt=0, le=10**9)


class AccumulatorsOut(BaseModel):
    year: int
    deductible_used: dict[str, int]
    fund_paid_fen: int
    settlements: int


class InsuredOut(BaseModel):
    insured_id: str
    citizen_id: str
    name_masked: str | None
    city: str
    scheme: Scheme
    retiree: bool
    status: str
    personal_account_id: str
    personal_balance_fen: int
    code_activated: bool
    enrolled_at: datetime
    accumulators: AccumulatorsOut | None = None


# --- the insurance code --------------------------------------------------------------------------

class ActivateIn(BaseModel):
    face_grant: str = Field(max_length=60)
    subject_citizen_id: str | None = Field(default=None, max_length=40)


class CodeOut(BaseModel):
    """The code to show (render `text` as a QR; `svg` is that QR). It expires at `expires_at` and the
    app refreshes it every `refresh_seconds`."""

    text: str
    expires_at: datetime
    refresh_seconds: int
    insured_id: str
    name_masked: str | None
    scheme: Scheme
    counter_consent: bool
    svg: str | None = None


class CodeClaims(BaseModel):
    """What a verified code tells the institution: the insured reference, the masked name and the scheme
    for the counter, the consent flag — nothing else."""

    model_config = ConfigDict(frozen=True)

    code_id: str
    insured_id: str
    name_masked: str | None
    scheme: Scheme
    counter_consent: bool
    issued_at: datetime
    expires_at: datetime


# --- visits and fees -----------------------------------------------------------------------------

class ScanIn(BaseModel):
    code: str = Field(min_length=1, max_length=2000)
    visit_type: VisitType


class FeeLineIn(BaseModel):
    line_no: int | None = Field(default=None, ge=1, le=10_000)
    code: str = Field(min_length=1, max_length=40)
    quantity: int
    unit_price_fen: int


class FeesIn(BaseModel):
    lines: list[FeeLineIn] = Field(min_length=1, max_length=500)


class FeeLineOut(BaseModel):
    line_no: int
    code: str
    name: str
    quantity: int
    unit_price_fen: int
    amount_fen: int


class LineSplitOut(BaseModel):
    line_no: int
    code: str
    category: str
    amount_fen: int
    fund_fen: int
    within_fen: int  # 自付
    outside_fen: int  # 自费
    self_pay_first_fen: int
    deductible_fen: int
    coinsurance_fen: int
    over_cap_fen: int
    payers: dict[str, int]  # this line's share of each payer


class PayerOut(BaseModel):
    payer: str  # fund | personal_account | family:<cit> | commercial:<policy> | wallet | credit_line
    kind: Literal["fund", "personal_account", "family", "commercial", "wallet", "credit_line"]
    label: str
    fen: int


class PresettlementOut(BaseModel):
    visit_id: str
    policy_key: str
    scheme: Scheme
    visit_type: VisitType
    level: int
    retiree: bool
    total_fen: int
    fund_fen: int
    within_fen: int
    outside_fen: int
    self_pay_fen: int  # what the citizen pays from the wallet or the credit line
    lines: list[LineSplitOut]
    payers: list[PayerOut]
    family_payers: list[str]
    pay_later: bool
    counter_allowed: bool
    needs_confirmation: bool
    computed_at: datetime


class VisitOut(BaseModel):
    visit_id: str
    institution_org_id: str
    institution_name: str
    insured_id: str
    citizen_name_masked: str | None
    scheme: Scheme
    visit_type: VisitType
    level: int
    channel: Literal["code", "online"]
    counter_consent: bool
    status: str
    total_fen: int
    lines: list[FeeLineOut]
    presettlement: PresettlementOut | None
    settlement_id: str | None
    opened_at: datetime
    updated_at: datetime


class ConfirmIn(BaseModel):
    family_payers: list[str] | None = Field(default=None, max_length=5)
    pay_later: bool = False


# --- settlements, refunds, receipts --------------------------------------------------------------

class SettlementOut(BaseModel):
    settlement_id: str
    visit_id: str
    institution_org_id: str
    policy_key: str
    channel: Literal["app", "counter"]
    total_fen: int
    fund_fen: int
    personal_fen: int
    commercial_fen: int
    self_fen: int
    refunded_fen: int
    status: str
    payers: list[PayerOut]
    lines: list[LineSplitOut]
    refunded_lines: list[int]
    receipt: dict[str, Any]
    receipt_signature: str
    settled_at: datetime


class RefundIn(BaseModel):
    line_nos: list[int] | None = Field(default=None, max_length=500)
    reason: str | None = Field(default=None, max_length=500)


class RefundOut(BaseModel):
    refund_id: str
    settlement_id: str
    line_nos: list[int]
    total_fen: int
    by_payer: dict[str, int]
    settlement_status: str
    settlement_refunded_fen: int
    created_at: datetime


class ReceiptCheck(BaseModel):
    receipt: dict[str, Any]
    signature: str = Field(max_length=200)


class ReceiptVerdict(BaseModel):
    valid: bool
    receipt_id: str | None = None
    sha256: str | None = None


class CodeKeyOut(BaseModel):
    algorithm: Literal["Ed25519"]
    public_key_pem: str
    key_id: str


# --- pharmacy ------------------------------------------------------------------------------------

class PriceIn(BaseModel):
    code: str = Field(min_length=1, max_length=40)
    unit_price_fen: int


class PricesIn(BaseModel):
    items: list[PriceIn] = Field(min_length=1, max_length=1000)


class PharmacyItemOut(BaseModel):
    code: str
    name_zh: str
    name_en: str
    category: str
    unit: str
    unit_price_fen: int


class OrderItemIn(BaseModel):
    code: str = Field(min_length=1, max_length=40)
    quantity: int


class PharmacyOrderIn(BaseModel):
    pharmacy_id: str = Field(max_length=40)
    items: list[OrderItemIn] = Field(min_length=1, max_length=100)
    for_citizen_id: str | None = Field(default=None, max_length=40)


# --- fund totals ---------------------------------------------------------------------------------

class DailyTotalsOut(BaseModel):
    day: date
    settlements: int
    total_fen: int
    fund_fen: int
    personal_fen: int
    commercial_fen: int
    self_pay_fen: int
    refunds: int
    refunded_fen: int
    refunded_fund_fen: int
    net_fund_fen: int
