"""The three statements every transfer (or group of thousands) costs, on PostgreSQL and on SQLite.

1. `insert`: every transfer row in one `INSERT … SELECT FROM unnest(arrays) ON CONFLICT (transfer_id)
   DO NOTHING RETURNING transfer_id`. On PostgreSQL the SELECT joins both accounts with the
   transfer's currency, so a missing account or a currency mismatch skips the row instead of raising
   a foreign-key error (which would abort the caller's transaction). Fewer ids back means a used
   transfer id (or such a skip): the caller deletes what went in and answers.
2. `lock`: read and lock the accounts, in lock order - (is HOT, id) ascending - in one
   `SELECT … ORDER BY … FOR NO KEY UPDATE`. PostgreSQL takes the row locks in the sorted order, so
   transactions sharing accounts lock them in the same order and cannot deadlock; a hot account is
   locked last, after the insert, and held only for the UPDATE and the commit. NO KEY UPDATE is the
   lock the balance UPDATE takes anyway, and it does not conflict with the KEY SHARE locks the
   foreign keys take when other transactions insert transfers. The rows come back current (READ
   COMMITTED re-reads a row it waited for), so the limits are checked on them in Python and the
   error names the account; a refusal deletes the inserted rows.
3. `apply`: every account's aggregated change in one `UPDATE … FROM unnest(arrays)` (SQLite: one
   executemany). Its WHERE clause repeats the limits, as a guard that can never be crossed.

So a refused transfer leaves the caller's transaction as it was without a SAVEPOINT (the only trace
is the row locks of step 2, held until the caller's transaction ends). SQLite has one writer at a
time (BEGIN IMMEDIATE): its statements are the same in spirit, without row locks.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import BigInteger, DateTime, String, Table, and_, any_, bindparam, delete, or_, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from sqlalchemy.sql import func

from onecity.db import is_postgres
from onecity.ledger.models import LedgerAccount, LedgerTransfer
from onecity.ledger.schemas import CREDITS_MUST_NOT_EXCEED_DEBITS, DEBITS_MUST_NOT_EXCEED_CREDITS, HOT
from onecity.ledger.service.errors import CreditLimitExceeded, InsufficientFunds

A = cast(Table, LedgerAccount.__table__)
T = cast(Table, LedgerTransfer.__table__)

INSERT_COLUMNS = ("transfer_id", "debit_account_id", "credit_account_id", "amount", "currency", "code", "ref",
                  "kind", "status", "pending_id", "timeout_at", "group_id", "created_at")


@dataclass
class Delta:
    """One account's change: debits pending/posted, credits pending/posted (each may be negative)."""

    ddp: int = 0
    ddpo: int = 0
    dcp: int = 0
    dcpo: int = 0


def _within_limits(dp: Any, dpo: Any, cp: Any, cpo: Any) -> Any:
    """The limits as a SQL condition over final amounts (used as the UPDATE's guard)."""
    return (
        or_(A.c.flags.op("&")(DEBITS_MUST_NOT_EXCEED_CREDITS) == 0, cpo - dpo - dp >= 0)
        & or_(A.c.flags.op("&")(CREDITS_MUST_NOT_EXCEED_DEBITS) == 0, dpo - cpo - cp >= 0)
    )


_BALANCES = (A.c.id, A.c.currency, A.c.flags, A.c.debits_pending, A.c.debits_posted, A.c.credits_pending,
             A.c.credits_posted)
_HOT_LAST = (A.c.flags.op("&")(HOT) != 0)

# FOR NO KEY UPDATE, not FOR UPDATE: inserting a transfer takes KEY SHARE locks on its two accounts
# (foreign-key checks), which FOR UPDATE would wait for: two payments to one merchant deadlocked.
_PG_LOCK = (select(*_BALANCES).where(A.c.id == any_(bindparam("ids", type_=ARRAY(String))))
            .order_by(_HOT_LAST, A.c.id.collate("C")).with_for_update(key_share=True))
_SQLITE_READ = select(*_BALANCES).where(A.c.id.in_(bindparam("ids", expanding=True))).order_by(_HOT_LAST, A.c.id)

_v = func.unnest(
    bindparam("ids", type_=ARRAY(String)), bindparam("ddp", type_=ARRAY(BigInteger)),
    bindparam("ddpo", type_=ARRAY(BigInteger)), bindparam("dcp", type_=ARRAY(BigInteger)),
    bindparam("dcpo", type_=ARRAY(BigInteger)),
).table_valued("id", "ddp", "ddpo", "dcp", "dcpo").render_derived(name="v")
_PG_UPDATE = (
    update(A)
    .where(A.c.id == _v.c.id,
           _within_limits(A.c.debits_pending + _v.c.ddp, A.c.debits_posted + _v.c.ddpo,
                          A.c.credits_pending + _v.c.dcp, A.c.credits_posted + _v.c.dcpo))
    .values(debits_pending=A.c.debits_pending + _v.c.ddp, debits_posted=A.c.debits_posted + _v.c.ddpo,
            credits_pending=A.c.credits_pending + _v.c.dcp, credits_posted=A.c.credits_posted + _v.c.dcpo)
)
_SQLITE_UPDATE = (
    update(A)
    .where(A.c.id == bindparam("acc"),
           _within_limits(A.c.debits_pending + bindparam("ddp"), A.c.debits_posted + bindparam("ddpo"),
                          A.c.credits_pending + bindparam("dcp"), A.c.credits_posted + bindparam("dcpo")))
    .values(debits_pending=A.c.debits_pending + bindparam("ddp"),
            debits_posted=A.c.debits_posted + bindparam("ddpo"),
            credits_pending=A.c.credits_pending + bindparam("dcp"),
            credits_posted=A.c.credits_posted + bindparam("dcpo"))
)

_ARRAY_TYPES: dict[str, Any] = {"amount": ARRAY(BigInteger), "timeout_at": ARRAY(DateTime(timezone=True))}
_u = func.unnest(*(
    bindparam(c, type_=_ARRAY_TYPES.get(c, ARRAY(String))) for c in INSERT_COLUMNS[:-2]
)).table_valued(*INSERT_COLUMNS[:-2], with_ordinality="n").render_derived(name="u")
_debit, _credit = A.alias("d"), A.alias("c")
# Rows whose accounts are missing or in another currency are skipped (never a foreign-key error, which
# would abort the caller's transaction): the caller sees fewer ids come back and says why.
_PG_INSERT = (
    pg_insert(T)
    .from_select(list(INSERT_COLUMNS), select(*(_u.c[c] for c in INSERT_COLUMNS[:-2]),
                                              bindparam("group_id", type_=String),
                                              bindparam("created_at", type_=DateTime(timezone=True)))
                 .select_from(_u.join(_debit, and_(_debit.c.id == _u.c.debit_account_id,
                                                   _debit.c.currency == _u.c.currency))
                              .join(_credit, and_(_credit.c.id == _u.c.credit_account_id,
                                                  _credit.c.currency == _u.c.currency)))
                 .order_by(_u.c.n))
    .on_conflict_do_nothing(index_elements=[T.c.transfer_id])
    .returning(T.c.transfer_id)
)

_SQLITE_INSERT = sqlite_insert(T).on_conflict_do_nothing(index_elements=[T.c.transfer_id]).returning(T.c.transfer_id)


def insert_checks_accounts(session: Session) -> bool:
    """PostgreSQL's INSERT skips rows with missing accounts or another currency; SQLite's inserts
    plainly, so there the caller checks the accounts first (one in-process read)."""
    return is_postgres(session)


def currencies(session: Session, ids: Iterable[str]) -> dict[str, str]:
    """{account id: currency} of those that exist (no lock: an account's currency never changes)."""
    return {r.id: r.currency for r in session.execute(select(A.c.id, A.c.currency).where(A.c.id.in_(list(ids))))}


def lock(session: Session, ids: Iterable[str]) -> dict[str, Any]:
    """Lock the accounts in lock order; {id: row with currency, flags and the four balances}."""
    wanted = list(ids)
    stmt = _PG_LOCK if is_postgres(session) else _SQLITE_READ
    return {r.id: r for r in session.execute(stmt, {"ids": wanted})}


def limit_error(accounts: dict[str, Any], deltas: dict[str, Delta]) -> Exception | None:
    """The error for the first account (in lock order) whose limit the deltas would break, or None."""
    for acc, r in accounts.items():
        d = deltas[acc]
        dp, dpo = r.debits_pending + d.ddp, r.debits_posted + d.ddpo
        cp, cpo = r.credits_pending + d.dcp, r.credits_posted + d.dcpo
        if r.flags & DEBITS_MUST_NOT_EXCEED_CREDITS and dpo + dp > cpo:
            return InsufficientFunds(f"account {acc} cannot cover the debit", account_id=acc)
        if r.flags & CREDITS_MUST_NOT_EXCEED_DEBITS and cpo + cp > dpo:
            return CreditLimitExceeded(f"account {acc} cannot take the credit", account_id=acc)
    return None


def insert(session: Session, rows: list[dict[str, Any]]) -> set[str]:
    """Insert transfer rows (all with the same group_id and created_at); the transfer_ids that were new."""
    if is_postgres(session):
        params: dict[str, Any] = {c: [r[c] for r in rows] for c in INSERT_COLUMNS[:-2]}
        params["group_id"] = rows[0]["group_id"]
        params["created_at"] = rows[0]["created_at"]
        return set(session.execute(_PG_INSERT, params).scalars())
    if len(rows) == 1:
        return set(session.execute(_SQLITE_INSERT.values(rows[0])).scalars())
    return set(session.execute(_SQLITE_INSERT, rows).scalars())


def delete_transfers(session: Session, transfer_ids: Iterable[str]) -> None:
    """Undo `insert` inside the same transaction (an id was used before, or a limit refused the batch)."""
    ids = list(transfer_ids)
    if ids:
        session.execute(delete(T).where(T.c.transfer_id.in_(ids)))


def apply(session: Session, deltas: dict[str, Delta]) -> None:
    """Add every account's change to its balances (rows already locked and checked by the caller)."""
    if is_postgres(session):
        accs = list(deltas)
        result = session.execute(_PG_UPDATE, {
            "ids": accs, "ddp": [deltas[a].ddp for a in accs], "ddpo": [deltas[a].ddpo for a in accs],
            "dcp": [deltas[a].dcp for a in accs], "dcpo": [deltas[a].dcpo for a in accs]})
    else:
        params = [{"acc": a, "ddp": d.ddp, "ddpo": d.ddpo, "dcp": d.dcp, "dcpo": d.dcpo} for a, d in deltas.items()]
        result = session.execute(_SQLITE_UPDATE, params[0] if len(params) == 1 else params)
    applied = int(getattr(result, "rowcount", 0) or 0)
    if applied != len(deltas):
        # Impossible while callers lock and check first; fail loudly so the transaction rolls back.
        raise RuntimeError(f"ledger: balance update matched {applied} of {len(deltas)} accounts")
