"""Treat-first-pay-later shapes: the citizen's status, debts and their movements, the city's view."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class AllowIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    allowed: bool
    reason: str = Field(min_length=1, max_length=500)


class StatusOut(BaseModel):
    """A citizen's standing: allowed by the city, eligible now (allowed and nothing overdue), what is
    owed and what is overdue."""

    citizen_id: str
    allowed: bool
    eligible: bool
    open_fen: int
    arrears_fen: int
    due_days: int


class EntryOut(BaseModel):
    kind: str
    amount_fen: int
    transfer_id: str | None
    created_at: datetime


class DebtOut(BaseModel):
    debt_id: str
    citizen_id: str
    settlement_ref: str
    amount_fen: int
    refunded_fen: int
    collected_fen: int
    returned_fen: int
    outstanding_fen: int
    status: str
    due_at: datetime
    created_at: datetime
    settled_at: datetime | None
    entries: list[EntryOut] | None = None


class CollectionOut(BaseModel):
    """One run of the collection job (or of a citizen paying arrears)."""

    collected: int = 0
    collected_fen: int = 0
    arrears: int = 0
    arrears_fen: int = 0


class CreditLineOut(BaseModel):
    """The city's credit line: what the ledger says it has advanced and not got back, and the sum of
    the open debts' outstanding amounts. The two are always equal."""

    account_id: str
    ledger_outstanding_fen: int
    debts_outstanding_fen: int
    open_debts: int
    arrears_debts: int
