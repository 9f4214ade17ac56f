"""Provident fund shapes: accounts, contributions, postings, withdrawals, statements."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

MONTH = r"^\d{4}-(0[1-9]|1[0-2])$"
USCC = r"^[0-9A-HJ-NPQRTUWXY]{18}$"
MAX_FEN = 10**12


class AccountIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    citizen_id: str = Field(min_length=1, max_length=40)
    employer_name: str = Field(min_length=1, max_length=200)
    employer_uscc: str = Field(pattern=USCC)
    base_fen: int = Field(gt=0, le=MAX_FEN)
    employee_rate_bp: int = Field(ge=0, le=10_000)
    employer_rate_bp: int = Field(ge=0, le=10_000)


class AccountOut(BaseModel):
    account_no: str
    city_code: str
    citizen_id: str
    name_masked: str | None
    id_number_masked: str | None
    employer_name: str
    employer_uscc: str
    status: Literal["normal", "sealed"]
    base_fen: int
    employee_rate_bp: int
    employer_rate_bp: int
    monthly_fen: int  # employee part + employer part at the current base and rates
    balance_fen: int  # posted balance
    held_fen: int  # reserved by withdrawals waiting for a decision
    available_fen: int
    continuous_months: int
    last_month: str | None
    opened_at: datetime


class ContributionLineIn(BaseModel):
    """One employee in an employer's monthly posting; base and rates default to the account's."""

    model_config = ConfigDict(extra="forbid")

    account_no: str = Field(min_length=1, max_length=20)
    base_fen: int | None = Field(default=None, gt=0, le=MAX_FEN)
    employee_rate_bp: int | None = Field(default=None, ge=0, le=10_000)
    employer_rate_bp: int | None = Field(default=None, ge=0, le=10_000)


class PostingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    month: str = Field(pattern=MONTH)
    lines: list[ContributionLineIn] = Field(min_length=1, max_length=5000)


class ContributionOut(BaseModel):
    account_no: str
    month: str
    base_fen: int
    employee_rate_bp: int
    employer_rate_bp: int
    employee_fen: int
    employer_fen: int
    total_fen: int
    transfer_id: str
    created_at: datetime


class PostingOut(BaseModel):
    posting_id: str
    employer_uscc: str
    month: str
    lines: int
    total_fen: int
    created_at: datetime
    replayed: bool = False


class WithdrawalIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Literal["rent", "purchase", "retirement"]
    amount_fen: int = Field(gt=0, le=MAX_FEN)
    face_grant: str = Field(min_length=1, max_length=60)
    registered_lease: bool = False
    price_fen: int | None = Field(default=None, gt=0, le=MAX_FEN)
    property_no: str | None = Field(default=None, min_length=4, max_length=60)
    card_id: str | None = Field(default=None, min_length=1, max_length=40)  # a bound card; None = the wallet


class WithdrawalDraft(BaseModel):
    """A withdrawal form waiting for the face check (kept server-side; see `models.HpfDraft`)."""

    model_config = ConfigDict(extra="forbid")

    reason: Literal["rent", "purchase", "retirement"]
    amount_fen: int = Field(gt=0, le=MAX_FEN)
    registered_lease: bool = False
    price_fen: int | None = Field(default=None, gt=0, le=MAX_FEN)
    property_no: str | None = Field(default=None, min_length=4, max_length=60)
    card_id: str | None = Field(default=None, min_length=1, max_length=40)

    def request(self, face_grant: str) -> WithdrawalIn:
        return WithdrawalIn(face_grant=face_grant, **self.model_dump())


class WithdrawalOut(BaseModel):
    withdrawal_id: str
    account_no: str
    citizen_id: str
    reason: str
    amount_fen: int
    status: Literal["held", "paid", "refused"]
    decision: Literal["auto", "refer"]
    decision_code: str
    rules_version: str
    period_key: str
    registered_lease: bool
    price_fen: int | None
    property_masked: str | None
    application_id: str | None
    payout_to: Literal["wallet", "card"]
    payout_card_id: str | None
    refusal: str | None
    created_at: datetime
    decided_at: datetime | None


class QuoteOut(BaseModel):
    """What the rules say before the face check: the outcome it would have now and the most allowed."""

    reason: str
    outcome: Literal["auto", "refer", "refuse"]
    code: str
    max_fen: int
    rules_version: str


class StatementLine(BaseModel):
    at: datetime
    kind: Literal["contribution", "withdrawal"]
    month: str | None
    amount_fen: int  # + in, − out
    ref: str
    balance_after_fen: int


class StatementOut(BaseModel):
    account: AccountOut
    lines: list[StatementLine]
