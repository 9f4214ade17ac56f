"""The bundled simulated bank: behaves like a real bank so OneCity handles pending, failure, lost
answers and reconciliation for real.

It is "the bank": it keeps its own state in its own tables (`bank_sim_*`), in its own transactions,
and never runs inside a OneCity transaction (`submit`/`query` are "network calls"; callbacks are
delivered by `run`, each in OneCity's own transaction, then marked delivered in the bank's).

Behaviour (all rates from `SimulatorConfig`, env `ONECITY_BANK_SIM_*`; every random draw comes from
a generator seeded with `seed` and the submission's or request's sequence number, so a run with the
same seed and the same calls behaves the same):
Rates are integer basis points (10000 = always), times integer milliseconds.
- a submission times out with `timeout_bp`; of those, a share `timeout_taken_bp` did reach the
  bank (it processes them), the others were lost on the way (`query` says `not_found`);
- a request is decided `min_delay_ms`..`max_delay_ms` after it arrived (by `run`, driven by
  `onecity.clock`): refused if the card is frozen (`card_frozen`), the holder's name is not the
  account's (`holder_mismatch`), a collect exceeds the card's balance (`bank_insufficient_funds`), or
  at random with `failure_bp` (`bank_declined`); otherwise the money moves at the bank;
- the result callback is lost with `lost_callback_bp` and sent twice with `duplicate_callback_bp`;
  a callback OneCity fails to take is retried every `callback_retry_ms` (doubling);
- an account the bank has never seen is opened on first use with `default_balance` (tests and the
  demo set up particular accounts with `open_account`).
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from ulid import ULID

from onecity import clock
from onecity.crypto.fields import blind_index
from onecity.db import is_postgres, transaction
from onecity.payments.bank.models import BankSimAccount, BankSimCallback, BankSimRequest, BankSimSubmission
from onecity.payments.bank.service.channel import (
    BankRequest,
    BankResult,
    BankTimeout,
    Callback,
    StatementLine,
)

IDX_SIM_ACCOUNT = "bank_sim.account"
IDX_SIM_HOLDER = "bank_sim.holder"


BP = 10_000  # basis points: a rate of 10000 means always


def _happens(rng: random.Random, bp: int) -> bool:
    """One draw of an event that happens `bp` times in 10,000."""
    return rng.random() * BP < bp


class SimulatorConfig(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ONECITY_BANK_SIM_", env_file=None, extra="ignore")

    seed: int = 2026
    min_delay_ms: int = Field(default=2_000, ge=0)
    max_delay_ms: int = Field(default=6_000, ge=0)
    timeout_bp: int = Field(default=500, ge=0, le=BP)  # 5 %
    timeout_taken_bp: int = Field(default=5_000, ge=0, le=BP)
    failure_bp: int = Field(default=200, ge=0, le=BP)
    duplicate_callback_bp: int = Field(default=1_000, ge=0, le=BP)
    lost_callback_bp: int = Field(default=200, ge=0, le=BP)
    callback_retry_ms: int = Field(default=5_000, ge=1)
    default_balance: int = 10_000_000  # ¥100,000 on a card the bank has not seen before


def _account_index(number: str) -> str:
    return blind_index(number, purpose=IDX_SIM_ACCOUNT)


def _holder_index(name: str) -> str:
    return blind_index(name.strip(), purpose=IDX_SIM_HOLDER)


class SimulatedBank:
    name = "simulator"

    def __init__(self, config: SimulatorConfig | None = None) -> None:
        self.config = config or SimulatorConfig()
        self._callback: Callback | None = None

    def set_callback(self, callback: Callback) -> None:
        self._callback = callback

    # --- the bank's counter: requests in, status out ---------------------------------------------

    def submit(self, request: BankRequest) -> BankResult:
        cfg = self.config
        now = clock.now()
        with transaction() as s:
            seq = (s.scalar(select(func.count()).select_from(BankSimSubmission)) or 0) + 1
            rng = random.Random(f"{cfg.seed}:submit:{seq}")
            timed_out = _happens(rng, cfg.timeout_bp)
            reached = not timed_out or _happens(rng, cfg.timeout_taken_bp)
            existing = s.scalars(select(BankSimRequest).where(BankSimRequest.request_id == request.request_id)
                                 ).one_or_none()
            s.add(BankSimSubmission(request_id=request.request_id, timed_out=timed_out, at=now,
                                    outcome="lost" if not reached else ("repeat" if existing else "taken")))
            row = existing
            if reached and existing is None:
                account = self._account(s, request.account_number, holder=request.holder_name)
                fate = random.Random(f"{cfg.seed}:request:{seq}")
                delay_ms = fate.uniform(cfg.min_delay_ms, max(cfg.min_delay_ms, cfg.max_delay_ms))
                row = BankSimRequest(
                    request_id=request.request_id, bank_ref=f"SB{ULID()}", kind=request.kind,
                    account_id=account.id, holder_index=_holder_index(request.holder_name), amount=request.amount,
                    currency=request.currency, status="processing", received_at=now,
                    decide_at=now + timedelta(milliseconds=delay_ms),
                    fate={"decline": _happens(fate, cfg.failure_bp),
                          "lose_callback": _happens(fate, cfg.lost_callback_bp),
                          "repeat_callback": _happens(fate, cfg.duplicate_callback_bp)},
                )
                s.add(row)
                s.flush()
            result = _result(row) if row is not None else BankResult(request.request_id, "not_found")
        if timed_out:
            raise BankTimeout(f"no answer from the simulated bank for {request.request_id}")
        return result

    def query(self, request_id: str) -> BankResult:
        with transaction() as s:
            row = s.scalars(select(BankSimRequest).where(BankSimRequest.request_id == request_id)).one_or_none()
            return _result(row) if row is not None else BankResult(request_id, "not_found")

    def statement(self, day: date) -> list[StatementLine]:
        with transaction() as s:
            rows = s.scalars(select(BankSimRequest).where(BankSimRequest.statement_date == day,
                                                          BankSimRequest.status == "succeeded")
                             .order_by(BankSimRequest.completed_at, BankSimRequest.id))
            return [StatementLine(r.request_id, r.bank_ref, r.kind, r.amount, r.currency,  # type: ignore[arg-type]
                                  clock.aware(r.completed_at or r.decide_at)) for r in rows]

    # --- the bank's back office: deciding, calling back --------------------------------------------

    def run(self) -> dict[str, int]:
        """Decide every request that is due, then deliver the callbacks that are due."""
        decided = self._decide()
        delivered, failed = self._deliver()
        return {"decided": decided, "callbacks": delivered, "callback_failures": failed}

    def _decide(self) -> int:
        now = clock.now()
        with transaction() as s:
            q = (select(BankSimRequest).where(BankSimRequest.status == "processing", BankSimRequest.decide_at <= now)
                 .order_by(BankSimRequest.decide_at, BankSimRequest.id).limit(500))
            if is_postgres(s):
                q = q.with_for_update(skip_locked=True)
            due = list(s.scalars(q))
            for r in due:
                account = s.get(BankSimAccount, r.account_id, with_for_update=is_postgres(s))
                assert account is not None
                failure = None
                if account.status != "active":
                    failure = "card_frozen"
                elif r.holder_index != account.holder_index:
                    failure = "holder_mismatch"
                elif r.fate.get("decline"):
                    failure = "bank_declined"
                elif r.kind == "collect" and account.balance < r.amount:
                    failure = "bank_insufficient_funds"
                r.completed_at = now
                if failure is None:
                    account.balance += r.amount if r.kind == "payout" else -r.amount
                    r.status = "succeeded"
                    r.statement_date = now.astimezone(clock.CITY_TZ).date()
                else:
                    r.status, r.failure_code = "failed", failure
                if not r.fate.get("lose_callback"):
                    s.add(BankSimCallback(request_id=r.request_id, due_at=now))
                    if r.fate.get("repeat_callback"):
                        s.add(BankSimCallback(request_id=r.request_id, due_at=now))
            return len(due)

    def _deliver(self) -> tuple[int, int]:
        if self._callback is None:
            return 0, 0
        now = clock.now()
        with transaction() as s:
            due = list(s.execute(select(BankSimCallback.id, BankSimCallback.request_id)
                                 .where(BankSimCallback.delivered_at.is_(None), BankSimCallback.due_at <= now)
                                 .order_by(BankSimCallback.due_at, BankSimCallback.id).limit(500)))
        delivered = failed = 0
        for cb_id, request_id in due:
            try:
                self._callback(self.query(request_id))
            except Exception:  # noqa: BLE001 - the receiver failed: the bank retries later
                with transaction() as s:
                    cb = s.get(BankSimCallback, cb_id)
                    assert cb is not None
                    cb.attempts += 1
                    cb.due_at = now + timedelta(milliseconds=self.config.callback_retry_ms * 2 ** min(cb.attempts, 10))
                failed += 1
                continue
            with transaction() as s:
                cb = s.get(BankSimCallback, cb_id)
                assert cb is not None
                cb.delivered_at, cb.attempts = now, cb.attempts + 1
            delivered += 1
        return delivered, failed

    # --- set-up and mischief for tests and the demo ----------------------------------------------------

    def _account(self, s: Session, number: str, *, holder: str) -> BankSimAccount:
        index = _account_index(number)
        account = s.scalars(select(BankSimAccount).where(BankSimAccount.number_index == index)).one_or_none()
        if account is None:
            account = BankSimAccount(number_index=index, last4=number[-4:], holder_index=_holder_index(holder),
                                     balance=self.config.default_balance, status="active", created_at=clock.now())
            s.add(account)
            s.flush()
        return account

    def open_account(self, number: str, *, holder: str, balance: int | None = None, status: str = "active") -> None:
        """Open (or reset) an account at the bank: its holder, balance and status (active | frozen)."""
        with transaction() as s:
            account = self._account(s, number, holder=holder)
            account.holder_index = _holder_index(holder)
            account.status = status
            if balance is not None:
                account.balance = balance

    def account_balance(self, number: str) -> int | None:
        with transaction() as s:
            return s.scalar(select(BankSimAccount.balance).where(BankSimAccount.number_index == _account_index(number)))

    def tamper(self, request_id: str, **changes: Any) -> None:
        """Change what the bank recorded (tests of reconciliation): amount, status, statement_date."""
        with transaction() as s:
            row = s.scalars(select(BankSimRequest).where(BankSimRequest.request_id == request_id)).one()
            for k, v in changes.items():
                setattr(row, k, v)

    def submissions(self, request_id: str) -> list[dict[str, Any]]:
        with transaction() as s:
            return [{"outcome": r.outcome, "timed_out": r.timed_out} for r in s.scalars(
                select(BankSimSubmission).where(BankSimSubmission.request_id == request_id)
                .order_by(BankSimSubmission.id))]


def _result(row: BankSimRequest) -> BankResult:
    return BankResult(
        request_id=row.request_id, status=row.status, bank_ref=row.bank_ref, amount=row.amount,  # type: ignore[arg-type]
        failure_code=row.failure_code, completed_at=clock.aware(row.completed_at) if row.completed_at else None,
        business_date=(row.statement_date or (clock.aware(row.completed_at).astimezone(clock.CITY_TZ).date()
                                              if row.completed_at else None)),
    )

