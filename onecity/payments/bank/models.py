"""Tables owned by the bank module. Only `onecity.payments.bank.service` reads or writes them.

OneCity's side: `bank_card` (cards citizens bound; the number encrypted, found by blind index),
`bank_instruction` (each collect or payout sent to a bank, with its pending ledger transfer and its
state), `bank_reconciliation_run` / `bank_reconciliation_item` (the daily comparison with the bank's
statement and its mismatches).

The simulated bank's side (`bank_sim_*`): what the bank itself knows — its accounts and balances,
every request it received, the submissions that reached it or were lost on the way, and the
callbacks it still has to deliver. OneCity's code never reads these; only the simulator does.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from onecity.db import Base, UTCDateTime


class BankCard(Base):
    """A debit card a real-name citizen bound to their wallet (绑定银行卡)."""

    __tablename__ = "bank_card"
    __table_args__ = (UniqueConstraint("citizen_id", "number_index"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True)
    citizen_id: Mapped[str] = mapped_column(String(40), index=True)
    bank_code: Mapped[str] = mapped_column(String(10))
    number_enc: Mapped[bytes] = mapped_column(LargeBinary)
    number_index: Mapped[str] = mapped_column(String(64), index=True)
    masked: Mapped[str] = mapped_column(String(30))  # 6222 **** **** 1234
    holder_masked: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(10), default="active")  # active | unbound
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    unbound_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class BankInstruction(Base):
    """One request to a bank: `collect` (debit a card, for a top-up) or `payout` (credit a card or
    account). State machine: created → submitted | unknown → succeeded | failed (unknown: the bank
    may or may not have it; a query decides). `client_ref` is the caller's id (top-up id, payout id)."""

    __tablename__ = "bank_instruction"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("state IN ('created', 'submitted', 'unknown', 'succeeded', 'failed')", name="state_known"),
        Index("ix_bank_instruction_due", "state", "next_action_at"),
        Index("ix_bank_instruction_done", "bank_date", "state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True)
    client_ref: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(10))  # collect | payout
    purpose: Mapped[str] = mapped_column(String(60))
    channel: Mapped[str] = mapped_column(String(20))
    citizen_id: Mapped[str | None] = mapped_column(String(40), index=True)
    card_id: Mapped[str | None] = mapped_column(String(40))
    bank_code: Mapped[str | None] = mapped_column(String(10))
    account_enc: Mapped[bytes] = mapped_column(LargeBinary)
    account_masked: Mapped[str] = mapped_column(String(30))
    holder_enc: Mapped[bytes] = mapped_column(LargeBinary)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    ledger_account: Mapped[str] = mapped_column(String(40))  # the wallet / payer / payee account
    pending_transfer_id: Mapped[str] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(10), default="created")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_action_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    bank_ref: Mapped[str | None] = mapped_column(String(64))
    bank_completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    bank_date: Mapped[date | None] = mapped_column(Date)  # the bank's business day of the result
    failure_code: Mapped[str | None] = mapped_column(String(40))
    resolved_by: Mapped[str | None] = mapped_column(String(20))  # callback | query | reconciliation
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class BankReconciliationRun(Base):
    """One comparison of a bank's statement for a business day with our instructions."""

    __tablename__ = "bank_reconciliation_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True)
    business_date: Mapped[date] = mapped_column(Date, index=True)
    channel: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    statement_lines: Mapped[int] = mapped_column(Integer, default=0)
    matched: Mapped[int] = mapped_column(Integer, default=0)
    resolved: Mapped[int] = mapped_column(Integer, default=0)
    open: Mapped[int] = mapped_column(Integer, default=0)


class BankReconciliationItem(Base):
    """A mismatch found by a run: resolved automatically where safe, otherwise left open for people."""

    __tablename__ = "bank_reconciliation_item"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("bank_reconciliation_run.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    instruction_id: Mapped[str | None] = mapped_column(String(40))
    bank_ref: Mapped[str | None] = mapped_column(String(64))
    our_amount: Mapped[int | None] = mapped_column(BigInteger)
    bank_amount: Mapped[int | None] = mapped_column(BigInteger)
    resolution: Mapped[str] = mapped_column(String(10))  # resolved | open
    detail: Mapped[str] = mapped_column(Text)


# --- the simulated bank ----------------------------------------------------------------------------

class BankSimAccount(Base):
    """An account at the simulated bank (a card or a settlement account), with its balance."""

    __tablename__ = "bank_sim_account"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number_index: Mapped[str] = mapped_column(String(64), unique=True)
    last4: Mapped[str] = mapped_column(String(4))
    holder_index: Mapped[str] = mapped_column(String(64))
    balance: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(10), default="active")  # active | frozen
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class BankSimSubmission(Base):
    """Every submission that left OneCity, whether it reached the bank (`taken`) or was lost."""

    __tablename__ = "bank_sim_submission"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[str] = mapped_column(String(40), index=True)
    outcome: Mapped[str] = mapped_column(String(10))  # taken | repeat | lost
    timed_out: Mapped[bool] = mapped_column(default=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class BankSimRequest(Base):
    """A request the simulated bank took; it decides at `decide_at`."""

    __tablename__ = "bank_sim_request"
    __table_args__ = (Index("ix_bank_sim_request_due", "status", "decide_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[str] = mapped_column(String(40), unique=True)
    bank_ref: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[str] = mapped_column(String(10))
    account_id: Mapped[int] = mapped_column(ForeignKey("bank_sim_account.id"))
    holder_index: Mapped[str] = mapped_column(String(64))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(12))  # processing | succeeded | failed
    failure_code: Mapped[str | None] = mapped_column(String(40))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decide_at: Mapped[datetime] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    statement_date: Mapped[date | None] = mapped_column(Date, index=True)
    fate: Mapped[dict[str, Any]] = mapped_column(JSON)  # the seeded draws: fail, lose, repeat the callback


class BankSimCallback(Base):
    """A result notification the simulated bank owes OneCity; retried until OneCity takes it."""

    __tablename__ = "bank_sim_callback"
    __table_args__ = (Index("ix_bank_sim_callback_due", "delivered_at", "due_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[str] = mapped_column(String(40))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
