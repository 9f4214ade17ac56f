"""Reading the ledger: an account's history, transfers by business reference, and the invariant check."""

from __future__ import annotations

import base64
import binascii
from typing import cast

from sqlalchemy import Table, case, func, literal, select, union_all
from sqlalchemy.orm import Session

from onecity.ledger.models import LedgerAccount, LedgerTransfer
from onecity.ledger.schemas import CREDITS_MUST_NOT_EXCEED_DEBITS, DEBITS_MUST_NOT_EXCEED_CREDITS, TransferOut
from onecity.ledger.service.accounts import get_account
from onecity.ledger.service.errors import InvalidTransfer
from onecity.ledger.service.transfers import TRANSFER_COLS, _out

A = cast(Table, LedgerAccount.__table__)
T = cast(Table, LedgerTransfer.__table__)

MAX_PAGE = 200


def _cursor(row_id: int) -> str:
    return base64.urlsafe_b64encode(f"lh1:{row_id}".encode()).decode().rstrip("=")


def _uncursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, _, number = raw.partition(":")
        if prefix != "lh1":
            raise ValueError(prefix)
        return int(number)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidTransfer("the cursor is not valid") from exc


def history(session: Session, account_id: str, *, after: str | None = None,
            limit: int = 50) -> tuple[list[TransferOut], str | None]:
    """The account's transfers, newest first. Pass the returned cursor as `after` for the next page;
    None means there are no more. New transfers never shift a page (the cursor is a position)."""
    get_account(session, account_id)
    limit = max(1, min(int(limit), MAX_PAGE))
    before = _uncursor(after) if after else None
    sides = []
    for column in (T.c.debit_account_id, T.c.credit_account_id):
        q = select(*TRANSFER_COLS, T.c.id).where(column == account_id)
        if before is not None:
            q = q.where(T.c.id < before)
        sides.append(q.order_by(T.c.id.desc()).limit(limit + 1).subquery().select())
    both = union_all(*sides).subquery()
    rows = session.execute(select(both).order_by(both.c.id.desc()).limit(limit + 1)).all()
    page = rows[:limit]
    next_cursor = _cursor(page[-1].id) if len(rows) > limit else None
    return [_out(r) for r in page], next_cursor


def transfers_by_ref(session: Session, ref: str) -> list[TransferOut]:
    """Every transfer recorded under a business reference (an order, a settlement …), oldest first."""
    rows = session.execute(select(*TRANSFER_COLS).where(T.c.ref == ref).order_by(T.c.id)).all()
    return [_out(r) for r in rows]


def count(session: Session) -> tuple[int, int]:
    """(accounts, transfers)."""
    accounts = session.execute(select(func.count()).select_from(A)).scalar_one()
    transfers = session.execute(select(func.count()).select_from(T)).scalar_one()
    return int(accounts), int(transfers)


def check(session: Session) -> list[str]:
    """Every invariant violation, in words; [] when the ledger is sound.

    - per currency, the debits equal the credits (posted and pending): the balances sum to zero;
    - every account's four balance columns equal the sums of its transfers;
    - no account is beyond its limit (no overdraft);
    - every transfer's currency is its accounts' currency, and every post/void resolves one pending
      transfer of the same accounts that is marked accordingly, for no more than it reserved.
    """
    problems: list[str] = []
    for cr in session.execute(
            select(A.c.currency, func.sum(A.c.debits_pending), func.sum(A.c.debits_posted),
                   func.sum(A.c.credits_pending), func.sum(A.c.credits_posted))
            .group_by(A.c.currency).order_by(A.c.currency)).all():
        cur, dp, dpo, cp, cpo = cr[0], int(cr[1] or 0), int(cr[2] or 0), int(cr[3] or 0), int(cr[4] or 0)
        if dpo != cpo:
            problems.append(f"{cur}: posted debits {dpo} != posted credits {cpo}")
        if dp != cp:
            problems.append(f"{cur}: pending debits {dp} != pending credits {cp}")

    posted = case((T.c.kind.in_(("single", "post")), T.c.amount), else_=0)
    reserved = case(((T.c.kind == "pending") & (T.c.status == "pending"), T.c.amount), else_=0)
    zero = literal(0)
    per_side = union_all(
        select(T.c.debit_account_id.label("acc"), func.sum(reserved).label("dp"), func.sum(posted).label("dpo"),
               zero.label("cp"), zero.label("cpo")).group_by(T.c.debit_account_id),
        select(T.c.credit_account_id.label("acc"), zero, zero, func.sum(reserved), func.sum(posted))
        .group_by(T.c.credit_account_id),
    ).subquery()
    sums = (select(per_side.c.acc, func.sum(per_side.c.dp).label("dp"), func.sum(per_side.c.dpo).label("dpo"),
                   func.sum(per_side.c.cp).label("cp"), func.sum(per_side.c.cpo).label("cpo"))
            .group_by(per_side.c.acc).subquery())
    rows = session.execute(
        select(A.c.id, A.c.flags, A.c.debits_pending, A.c.debits_posted, A.c.credits_pending,
               A.c.credits_posted, sums.c.dp, sums.c.dpo, sums.c.cp, sums.c.cpo)
        .select_from(A.outerjoin(sums, sums.c.acc == A.c.id)).order_by(A.c.id)).all()
    names = ("debits_pending", "debits_posted", "credits_pending", "credits_posted")
    for r in rows:
        have = (r.debits_pending, r.debits_posted, r.credits_pending, r.credits_posted)
        want = tuple(int(x or 0) for x in (r.dp, r.dpo, r.cp, r.cpo))
        for name, h, w in zip(names, have, want, strict=True):
            if h != w:
                problems.append(f"account {r.id}: {name} is {h} but its transfers sum to {w}")
            if h < 0:
                problems.append(f"account {r.id}: {name} is negative ({h})")
        dp, dpo, cp, cpo = have
        if r.flags & DEBITS_MUST_NOT_EXCEED_CREDITS and dpo + dp > cpo:
            problems.append(f"account {r.id}: overdrawn (debits {dpo} + pending {dp} > credits {cpo})")
        if r.flags & CREDITS_MUST_NOT_EXCEED_DEBITS and cpo + cp > dpo:
            problems.append(f"account {r.id}: credits {cpo} + pending {cp} exceed debits {dpo}")

    debit_acc, credit_acc = A.alias("debit_acc"), A.alias("credit_acc")
    for mr in session.execute(
            select(T.c.transfer_id, T.c.currency, debit_acc.c.currency, credit_acc.c.currency)
            .join(debit_acc, debit_acc.c.id == T.c.debit_account_id)
            .join(credit_acc, credit_acc.c.id == T.c.credit_account_id)
            .where((T.c.currency != debit_acc.c.currency) | (T.c.currency != credit_acc.c.currency))
            .limit(100)).all():
        problems.append(f"transfer {mr[0]}: currency {mr[1]} but accounts in {mr[2]}/{mr[3]}")

    p = T.alias("p")
    for tr in session.execute(
            select(T.c.transfer_id, T.c.kind, T.c.amount, p.c.transfer_id.label("pid"), p.c.kind.label("pkind"),
                   p.c.status.label("pstatus"), p.c.amount.label("pamount"))
            .select_from(T.outerjoin(p, p.c.transfer_id == T.c.pending_id))
            .where(T.c.kind.in_(("post", "void")))
            .where((p.c.transfer_id.is_(None)) | (p.c.kind != "pending")
                   | (p.c.status != case((T.c.kind == "post", "posted"), else_="voided"))
                   | (T.c.amount > p.c.amount)
                   | (p.c.debit_account_id != T.c.debit_account_id)
                   | (p.c.credit_account_id != T.c.credit_account_id))
            .limit(100)).all():
        problems.append(f"transfer {tr.transfer_id} ({tr.kind} of {tr.pid}) does not match its pending transfer "
                        f"(kind {tr.pkind}, status {tr.pstatus}, amount {tr.pamount})")
    resolutions = (select(T.c.pending_id, func.count().label("n")).where(T.c.kind.in_(("post", "void")))
                   .group_by(T.c.pending_id).subquery())
    for pr in session.execute(
            select(p.c.transfer_id, p.c.status, resolutions.c.n)
            .select_from(p.outerjoin(resolutions, resolutions.c.pending_id == p.c.transfer_id))
            .where(p.c.kind == "pending")
            .where(((p.c.status.in_(("posted", "voided"))) & (func.coalesce(resolutions.c.n, 0) != 1))
                   | ((p.c.status.in_(("pending", "expired"))) & (func.coalesce(resolutions.c.n, 0) != 0)))
            .limit(100)).all():
        problems.append(f"pending transfer {pr.transfer_id} is {pr.status} but has {pr.n or 0} post/void transfer(s)")
    return problems
