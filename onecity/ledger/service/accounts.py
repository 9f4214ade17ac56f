"""Opening accounts and reading them. An account's currency and flags never change once opened."""

from __future__ import annotations

import re
from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from onecity import clock
from onecity.db import is_postgres
from onecity.ids import new_id
from onecity.ledger.models import LedgerAccount
from onecity.ledger.schemas import (
    ALL_FLAGS,
    CREDITS_MUST_NOT_EXCEED_DEBITS,
    DEBITS_MUST_NOT_EXCEED_CREDITS,
    AccountOut,
    AccountSpec,
    Balance,
)
from onecity.ledger.service.errors import AccountNotFound, InvalidTransfer, LedgerConflict

A = cast(Table, LedgerAccount.__table__)
CURRENCY = re.compile(r"^[A-Z]{3}$")

_ACCOUNT_COLS = (A.c.id, A.c.key, A.c.code, A.c.owner, A.c.currency, A.c.flags, A.c.name, A.c.created_at)
_BALANCE_COLS = (A.c.id, A.c.currency, A.c.flags, A.c.debits_pending, A.c.debits_posted,
                 A.c.credits_pending, A.c.credits_posted)


def _account_out(r: Any) -> AccountOut:
    return AccountOut(id=r.id, key=r.key, code=r.code, owner=r.owner, currency=r.currency, flags=r.flags,
                      name=r.name, created_at=r.created_at)


def _validate_account(key: str, code: str, owner: str, currency: str, flags: int) -> None:
    if not key or len(key) > 200:
        raise InvalidTransfer("account key must be 1..200 characters")
    if not code or len(code) > 40 or not owner or len(owner) > 100:
        raise InvalidTransfer("account code (1..40) and owner (1..100) are required")
    if not isinstance(currency, str) or not CURRENCY.match(currency):
        raise InvalidTransfer("currency must be an ISO 4217 code such as CNY")
    if not isinstance(flags, int) or isinstance(flags, bool) or flags & ~ALL_FLAGS or flags < 0:
        raise InvalidTransfer(f"unknown account flags {flags!r}")
    both = DEBITS_MUST_NOT_EXCEED_CREDITS | CREDITS_MUST_NOT_EXCEED_DEBITS
    if flags & both == both:
        raise InvalidTransfer("an account cannot limit both its debits and its credits")


def open_account(session: Session, *, key: str, code: str, owner: str, currency: str = "CNY",
                 flags: int = 0, name: str | None = None) -> AccountOut:
    """Open the account called `key`, or return it if it exists with the same code, currency and flags.

    Safe under concurrency: the unique key decides, and the loser of a race reads the winner's row.
    """
    _validate_account(key, code, owner, currency, flags)
    existing = account_by_key(session, key)
    if existing is None:
        values = {"id": new_id("acc"), "key": key, "code": code, "owner": owner, "currency": currency,
                  "flags": flags, "name": name, "debits_pending": 0, "debits_posted": 0,
                  "credits_pending": 0, "credits_posted": 0, "created_at": clock.now()}
        ins = pg_insert(A) if is_postgres(session) else sqlite_insert(A)
        stmt = ins.values(values).on_conflict_do_nothing(index_elements=[A.c.key]).returning(*_ACCOUNT_COLS)
        row = session.execute(stmt).first()
        if row is not None:
            return _account_out(row)
        existing = account_by_key(session, key)
        assert existing is not None
    if (existing.code, existing.currency, existing.flags) != (code, currency, flags):
        raise LedgerConflict(
            f"account {key!r} exists with code={existing.code} currency={existing.currency} "
            f"flags={existing.flags}")
    return existing


def open_accounts(session: Session, accounts: list[AccountSpec]) -> list[AccountOut]:
    """Open many accounts in one statement (seeding, migrations from another system, benchmarks).

    Idempotent like `open_account`: existing keys are returned if their code, currency and flags
    match, else LedgerConflict (and nothing was opened).
    """
    for a in accounts:
        _validate_account(a.key, a.code, a.owner, a.currency, a.flags)
    if len({a.key for a in accounts}) != len(accounts):
        raise InvalidTransfer("an account key appears twice")
    if not accounts:
        return []
    now = clock.now()
    rows = [{"id": new_id("acc"), "key": a.key, "code": a.code, "owner": a.owner, "currency": a.currency,
             "flags": a.flags, "name": a.name, "debits_pending": 0, "debits_posted": 0, "credits_pending": 0,
             "credits_posted": 0, "created_at": now} for a in accounts]
    ins = pg_insert(A) if is_postgres(session) else sqlite_insert(A)
    stmt = ins.on_conflict_do_nothing(index_elements=[A.c.key]).returning(*_ACCOUNT_COLS)
    with session.begin_nested():
        by_key = {r.key: _account_out(r) for r in session.execute(stmt, rows)}
        missing = [a.key for a in accounts if a.key not in by_key]
        if missing:
            for r in session.execute(select(*_ACCOUNT_COLS).where(A.c.key.in_(missing))):
                by_key[r.key] = _account_out(r)
        for a in accounts:
            e = by_key[a.key]
            if (e.code, e.currency, e.flags) != (a.code, a.currency, a.flags):
                raise LedgerConflict(f"account {a.key!r} exists with code={e.code} currency={e.currency} "
                                     f"flags={e.flags}")
    return [by_key[a.key] for a in accounts]


def account_by_key(session: Session, key: str) -> AccountOut | None:
    row = session.execute(select(*_ACCOUNT_COLS).where(A.c.key == key)).first()
    return _account_out(row) if row is not None else None


def get_account(session: Session, account_id: str) -> AccountOut:
    row = session.execute(select(*_ACCOUNT_COLS).where(A.c.id == account_id)).first()
    if row is None:
        raise AccountNotFound(f"no account {account_id}")
    return _account_out(row)


def balance(session: Session, account_id: str) -> Balance:
    """One row read: the balances as of this transaction's view."""
    row = session.execute(select(*_BALANCE_COLS).where(A.c.id == account_id)).first()
    if row is None:
        raise AccountNotFound(f"no account {account_id}")
    return Balance(account_id=row.id, currency=row.currency, flags=row.flags,
                   debits_pending=row.debits_pending, debits_posted=row.debits_posted,
                   credits_pending=row.credits_pending, credits_posted=row.credits_posted)
