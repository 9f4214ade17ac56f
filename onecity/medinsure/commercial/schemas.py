"""Commercial insurance shapes: products, policies, claims, daily totals (JSON), and `ActiveCover`,
what the settlement gets from `covers_for` (the rules engine's types plus where the money comes from)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from onecity.medinsure import rules

T = TypeVar("T")

PAYER_PREFIX = "commercial:"


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


class ProductTerms(BaseModel):
    """What a product pays: `ratio_bp` (basis points, 8000 = 80 %) of the citizen's share left after
    the basic fund (within-policy 自付, plus outside-policy 自费 when `covers_outside`), above an
    annual `deductible_fen`, up to `annual_limit_fen` a year, except the excluded catalogue codes and
    categories, for the listed visit types."""

    model_config = ConfigDict(extra="forbid")

    name_zh: str = Field(min_length=1, max_length=200)
    name_en: str = Field(min_length=1, max_length=200)
    ratio_bp: int
    deductible_fen: int
    annual_limit_fen: int
    covers_outside: bool = False
    excluded_codes: list[str] = Field(default_factory=list, max_length=1000)
    excluded_categories: list[str] = Field(default_factory=list, max_length=3)
    visit_types: list[str] = Field(default_factory=lambda: list(rules.VISIT_TYPES), max_length=4)


class ProductCreate(ProductTerms):
    code: str = Field(min_length=1, max_length=40)


class ProductOut(BaseModel):
    product_id: str
    insurer_org_id: str
    code: str
    version: int
    name_zh: str
    name_en: str
    ratio_bp: int
    deductible_fen: int
    annual_limit_fen: int
    covers_outside: bool
    excluded_codes: list[str]
    excluded_categories: list[str]
    visit_types: list[str]
    status: str
    created_at: datetime


class PolicyIssue(BaseModel):
    model_config = ConfigDict(extra="forbid")

    policy_no: str = Field(min_length=1, max_length=64)
    citizen_id: str = Field(min_length=1, max_length=40)
    product_id: str = Field(min_length=1, max_length=40)
    start: date
    end: date


class YearToDate(BaseModel):
    year: int
    deductible_used_fen: int
    paid_fen: int
    limit_left_fen: int


class PolicyOut(BaseModel):
    policy_id: str
    policy_no: str
    insurer_org_id: str
    insurer_name: str | None = None
    citizen_id: str
    product: ProductOut
    start: date
    end: date
    status: str
    created_at: datetime
    cancelled_at: datetime | None = None
    this_year: YearToDate | None = None


class ClaimOut(BaseModel):
    claim_id: str
    policy_id: str
    insurer_org_id: str
    citizen_id: str
    settlement_ref: str
    year: int
    day: date
    paid_fen: int
    deductible_fen: int
    refunded_fen: int
    per_line: dict[str, list[int]]
    status: str
    created_at: datetime
    replayed: bool = False


class DailyTotalOut(BaseModel):
    """An insurer's claims of one city day: what it paid, what refunds returned, the net it owes."""

    insurer_org_id: str
    day: date
    claims: int
    paid_fen: int
    reversals: int
    refunded_fen: int
    net_fen: int


@dataclass(frozen=True)
class ActiveCover:
    """One policy in force for a settlement: the payer name the allocation uses, the product and the
    year-to-date accumulators in the rules engine's types, and the insurer's ledger account to debit."""

    payer: str  # "commercial:<policy id>"
    policy_id: str
    insurer_org_id: str
    product: rules.CommercialProduct
    acc: rules.CommercialAccumulators
    ledger_account_id: str
