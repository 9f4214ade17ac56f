"""Treat first, pay later (先诊疗后付费): the city advances a citizen's self-pay to the institution
from its credit line at settlement, and collects it from the citizen's wallet when it falls due.

Rules kept here:
- The city allows a citizen (`allow`); a citizen is eligible while allowed and without arrears.
- A settlement paid this way opens one debt (`open_debt`, idempotent by the settlement's id) due
  `paylater_due_days` (setting, default 15) after the settlement.
- `collect_due` (periodic job, batches, safe to rerun and to run twice at once) takes each due debt's
  outstanding amount from the wallet to the credit line in one ledger transfer whose id is fixed by
  the debt, so it can never be taken twice. A wallet that cannot pay puts the debt in arrears and the
  citizen is not eligible until `pay_arrears` pays every overdue debt at once.
- A refund (`reduce_debt`) first reduces what is still owed; any part of it already collected goes
  back from the credit line to the wallet. A debt refunded in full is closed.
- Every fen is in the ledger: the settlement's group debits the credit line (the city's receivable,
  code `credit_line`, no flags), refunds credit it, collections credit it. So the credit line's
  debits − credits always equal the outstanding amounts of the open and overdue debts
  (`credit_line_summary` shows both). Every state change writes an outbox event.

Glossary: 先诊疗后付费 treat first, pay later · 授信额度/垫付 credit line (the city's advance) ·
欠款 debt · 到期 due · 扣款 collection · 逾期 arrears · 资格 eligibility · 退费 refund.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from onecity import clock, outbox
from onecity.audit import service as audit
from onecity.authz import Principal
from onecity.config import get_settings
from onecity.db import is_postgres
from onecity.errors import DomainError
from onecity.identity import service as identity
from onecity.ids import new_id
from onecity.ledger import service as ledger
from onecity.ledger.schemas import TransferSpec
from onecity.medinsure.paylater.errors import (
    DebtConflict,
    DebtInvalid,
    DebtNotFound,
    NoArrears,
    NotEligible,
    ReductionExceedsDebt,
    WalletInsufficient,
)
from onecity.medinsure.paylater.models import PayLaterCitizen, PayLaterDebt, PayLaterEntry
from onecity.medinsure.paylater.schemas import CollectionOut, CreditLineOut, DebtOut, EntryOut, StatusOut
from onecity.payments.wallet import service as wallet

CURRENCY = "CNY"
CREDIT_LINE_KEY = f"medinsure:credit_line:{CURRENCY}"
COLLECT_CODE = "medinsure.paylater.collect"
RETURN_CODE = "medinsure.paylater.return"
BATCH = 500
MAX_FEN = 2**53


def due_days() -> int:
    return get_settings().paylater_due_days


# --- the credit line and eligibility --------------------------------------------------------------

def credit_line_account_id(session: Session) -> str:
    """The city's credit line ledger account (opened on first use). No flags: a refund of a debt
    already collected credits it before the wallet's share is returned in the same transaction."""
    acc = ledger.account_by_key(session, CREDIT_LINE_KEY) or ledger.open_account(
        session, key=CREDIT_LINE_KEY, code="credit_line", owner="city", currency=CURRENCY, flags=0,
        name="先诊后付垫付 pay-later credit line")
    return acc.id


def _citizen_row(session: Session, citizen_id: str) -> PayLaterCitizen | None:
    return session.scalars(select(PayLaterCitizen).where(PayLaterCitizen.citizen_id == citizen_id)).one_or_none()


def arrears_of(session: Session, *, citizen_id: str) -> int:
    """Fen overdue: the outstanding amounts of the citizen's debts in arrears."""
    debts = session.scalars(select(PayLaterDebt).where(PayLaterDebt.citizen_id == citizen_id,
                                                       PayLaterDebt.status == "arrears")).all()
    return sum(d.outstanding_fen for d in debts)


def _has_arrears(session: Session, citizen_id: str) -> bool:
    return session.scalar(select(func.count()).select_from(PayLaterDebt).where(
        PayLaterDebt.citizen_id == citizen_id, PayLaterDebt.status == "arrears")) != 0


def eligible(session: Session, *, citizen_id: str) -> bool:
    """Allowed by the city and nothing overdue."""
    row = _citizen_row(session, citizen_id)
    return row is not None and row.allowed and not _has_arrears(session, citizen_id)


def status_of(session: Session, *, citizen_id: str) -> StatusOut:
    row = _citizen_row(session, citizen_id)
    debts = session.scalars(select(PayLaterDebt).where(PayLaterDebt.citizen_id == citizen_id,
                                                       PayLaterDebt.status.in_(("open", "arrears")))).all()
    arrears = sum(d.outstanding_fen for d in debts if d.status == "arrears")
    allowed = row is not None and row.allowed
    return StatusOut(citizen_id=citizen_id, allowed=allowed, eligible=allowed and not any(
        d.status == "arrears" for d in debts), open_fen=sum(d.outstanding_fen for d in debts if d.status == "open"),
        arrears_fen=arrears, due_days=due_days())


def allow(session: Session, *, citizen_id: str, allowed: bool, actor: Principal | str,
          reason: str = "城市开通/关闭先诊疗后付费 (city decision)") -> StatusOut:
    """The city allows (or stops allowing) the citizen to treat first and pay later. Debts already
    open are collected as usual either way."""
    identity.citizen_summary(session, citizen_id)  # CitizenNotFound (404)
    row = _citizen_row(session, citizen_id)
    actor_id = actor if isinstance(actor, str) else (actor.id or actor.kind)
    now = clock.now()
    if row is None:
        row = PayLaterCitizen(citizen_id=citizen_id, allowed=allowed, reason=reason, updated_by=actor_id,
                              updated_at=now)
        session.add(row)
    elif row.allowed != allowed:
        row.allowed, row.reason, row.updated_by, row.updated_at = allowed, reason, actor_id, now
    else:
        return status_of(session, citizen_id=citizen_id)
    session.flush()
    audit.record(session, actor=actor, action="medinsure.paylater.allow" if allowed else "medinsure.paylater.disallow",
                 subject_citizen_id=citizen_id, resource=f"medinsure/paylater/{citizen_id}", reason=reason)
    outbox.emit(session, "medinsure.paylater.allowance_changed", {"citizen_id": citizen_id, "allowed": allowed})
    return status_of(session, citizen_id=citizen_id)


# --- debts ----------------------------------------------------------------------------------------

def _entry(session: Session, debt: PayLaterDebt, kind: str, amount: int, *, transfer_id: str | None = None,
           ref: str | None = None) -> None:
    session.add(PayLaterEntry(debt_row_id=debt.id, kind=kind, amount_fen=amount, ref=ref, transfer_id=transfer_id,
                              created_at=clock.now()))


def _debt_out(session: Session, d: PayLaterDebt, with_entries: bool = False) -> DebtOut:
    entries = None
    if with_entries:
        entries = [EntryOut(kind=e.kind, amount_fen=e.amount_fen, transfer_id=e.transfer_id, created_at=e.created_at)
                   for e in session.scalars(select(PayLaterEntry).where(PayLaterEntry.debt_row_id == d.id)
                                            .order_by(PayLaterEntry.id))]
    return DebtOut(debt_id=d.debt_id, citizen_id=d.citizen_id, settlement_ref=d.settlement_ref,
                   amount_fen=d.amount_fen, refunded_fen=d.refunded_fen, collected_fen=d.collected_fen,
                   returned_fen=d.returned_fen, outstanding_fen=d.outstanding_fen, status=d.status, due_at=d.due_at,
                   created_at=d.created_at, settled_at=d.settled_at, entries=entries)


def _event(session: Session, topic: str, d: PayLaterDebt, **extra: object) -> None:
    outbox.emit(session, f"medinsure.paylater.{topic}",
                {"debt_id": d.debt_id, "citizen_id": d.citizen_id, "settlement_ref": d.settlement_ref,
                 "outstanding_fen": d.outstanding_fen, "status": d.status, **extra})


def open_debt(session: Session, *, citizen_id: str, settlement_ref: str, amount_fen: int) -> str:
    """Open the debt of a settlement whose self-pay the credit line advanced (the settlement's own
    transfer group debits the credit line). Returns the debt id; the same settlement again returns
    the same debt (DebtConflict if citizen or amount differ). NotEligible unless eligible."""
    if not isinstance(amount_fen, int) or isinstance(amount_fen, bool) or not 0 < amount_fen <= MAX_FEN:
        raise DebtInvalid("amount_fen must be a positive integer number of fen")
    if not isinstance(settlement_ref, str) or not 1 <= len(settlement_ref) <= 64:
        raise DebtInvalid("settlement_ref must be 1..64 characters")
    existing = session.scalars(select(PayLaterDebt).where(PayLaterDebt.settlement_ref == settlement_ref)).one_or_none()
    if existing is not None:
        if (existing.citizen_id, existing.amount_fen) != (citizen_id, amount_fen):
            raise DebtConflict()
        return existing.debt_id
    if not eligible(session, citizen_id=citizen_id):
        raise NotEligible()
    now = clock.now()
    debt = PayLaterDebt(debt_id=new_id("mpl"), citizen_id=citizen_id, settlement_ref=settlement_ref,
                        amount_fen=amount_fen, refunded_fen=0, collected_fen=0, returned_fen=0, status="open",
                        due_at=now + timedelta(days=due_days()), created_at=now, updated_at=now)
    session.add(debt)
    session.flush()
    _entry(session, debt, "open", amount_fen)
    _event(session, "debt_opened", debt, amount_fen=amount_fen, due_at=debt.due_at.isoformat())
    return debt.debt_id


def _settle_if_done(debt: PayLaterDebt, now: datetime) -> None:
    if debt.outstanding_fen == 0:
        debt.status = "closed" if debt.refunded_fen == debt.amount_fen else "collected"
        debt.settled_at = now


def reduce_debt(session: Session, *, settlement_ref: str, amount_fen: int, refund_ref: str | None = None) -> DebtOut:
    """A refund of `amount_fen` of the settlement's credit-line share (the refund's transfer group has
    credited the credit line). It reduces what is still owed; what was already collected goes back
    to the wallet from the credit line. With `refund_ref` (the refund's id) a repeat is recognised."""
    if not isinstance(amount_fen, int) or isinstance(amount_fen, bool) or amount_fen <= 0:
        raise DebtInvalid("amount_fen must be a positive integer number of fen")
    debt = session.scalars(select(PayLaterDebt).where(PayLaterDebt.settlement_ref == settlement_ref)
                           .with_for_update()).one_or_none()
    if debt is None:
        raise DebtNotFound()
    if refund_ref is not None:
        seen = session.scalars(select(PayLaterEntry).where(PayLaterEntry.ref == refund_ref)).one_or_none()
        if seen is not None:
            if seen.debt_row_id != debt.id or seen.amount_fen != amount_fen:
                raise DebtConflict("this refund was recorded with a different debt or amount")
            return _debt_out(session, debt)
    if amount_fen > debt.amount_fen - debt.refunded_fen:
        raise ReductionExceedsDebt(f"{amount_fen} > {debt.amount_fen - debt.refunded_fen} not yet refunded")
    now = clock.now()
    reduce = min(amount_fen, debt.outstanding_fen)
    back = amount_fen - reduce
    transfer_id = None
    if back:
        n = session.scalar(select(func.count()).select_from(PayLaterEntry).where(
            PayLaterEntry.debt_row_id == debt.id, PayLaterEntry.kind == "return"))
        transfer_id = f"mpl.ret.{debt.debt_id}.{int(n or 0) + 1}"
        ledger.transfer(session, transfer_id=transfer_id, debit=credit_line_account_id(session),
                        credit=wallet.wallet_account_id(session, debt.citizen_id), amount=back, code=RETURN_CODE,
                        ref=debt.settlement_ref)
        debt.returned_fen += back
    debt.refunded_fen += amount_fen
    debt.updated_at = now
    was = debt.status
    _settle_if_done(debt, now)
    _entry(session, debt, "reduce", amount_fen, ref=refund_ref)
    if back:
        _entry(session, debt, "return", back, transfer_id=transfer_id)
    _event(session, "debt_reduced", debt, refund_fen=amount_fen, returned_to_wallet_fen=back)
    if debt.status == "closed" and was != "closed":
        _event(session, "debt_closed", debt, previous_status=was)
    return _debt_out(session, debt)


def _pay_transfer_id(debt: PayLaterDebt) -> str:
    """One id per debt for taking its money from the wallet, whether when due or as arrears: a debt
    can never be taken twice, even by two collection runs racing."""
    return f"mpl.pay.{debt.debt_id}"


def _collected(session: Session, debt: PayLaterDebt, amount: int, kind: str, topic: str) -> None:
    debt.collected_fen += amount
    debt.updated_at = clock.now()
    _settle_if_done(debt, debt.updated_at)
    _entry(session, debt, kind, amount, transfer_id=_pay_transfer_id(debt))
    _event(session, topic, debt, collected_fen=amount)


def _in_arrears(session: Session, debt: PayLaterDebt, reason: str) -> None:
    debt.status = "arrears"
    debt.updated_at = clock.now()
    _entry(session, debt, "arrears", debt.outstanding_fen)
    _event(session, "debt_in_arrears", debt, reason=reason)


def collect_due(session: Session, *, now: datetime | None = None, limit: int = BATCH) -> CollectionOut:
    """Collect up to `limit` debts due by `now` from the wallets, oldest due first.

    The batch's debt rows are locked (rows another run holds are skipped on PostgreSQL); each wallet
    pays its debts in due order while its balance lasts, the others go into arrears; then one transfer
    group moves the money, so the wallets and the credit line are locked once, in the ledger's lock
    order (runs racing cannot deadlock, and the hot credit line is held only briefly). Each debt's
    transfer id is fixed, so no run, repeated or concurrent, ever collects a debt twice."""
    now = now or clock.now()
    q = (select(PayLaterDebt).where(PayLaterDebt.status == "open", PayLaterDebt.due_at <= now)
         .order_by(PayLaterDebt.due_at, PayLaterDebt.id).limit(limit))
    if is_postgres(session):
        q = q.with_for_update(skip_locked=True)
    debts = list(session.scalars(q).all())
    out = CollectionOut()
    if not debts:
        return out
    credit_line = credit_line_account_id(session)
    wallets: dict[str, str] = {}
    left: dict[str, int] = {}
    payable: list[tuple[PayLaterDebt, TransferSpec]] = []
    for debt in debts:
        try:
            if debt.citizen_id not in wallets:
                wallets[debt.citizen_id] = wallet.wallet_account_id(session, debt.citizen_id)
                left[debt.citizen_id] = ledger.balance(session, wallets[debt.citizen_id]).available_balance
        except DomainError as exc:  # no wallet (the citizen is no longer real-name verified)
            _in_arrears(session, debt, exc.code)
            out.arrears += 1
            out.arrears_fen += debt.outstanding_fen
            continue
        amount = debt.outstanding_fen
        if amount > left[debt.citizen_id]:
            _in_arrears(session, debt, "insufficient_funds")
            out.arrears += 1
            out.arrears_fen += amount
            continue
        left[debt.citizen_id] -= amount
        payable.append((debt, TransferSpec(transfer_id=_pay_transfer_id(debt), debit=wallets[debt.citizen_id],
                                           credit=credit_line, amount=amount, code=COLLECT_CODE,
                                           ref=debt.settlement_ref)))
    try:
        ledger.transfer_group(session, [spec for _, spec in payable])
        done = payable
    except ledger.InsufficientFunds:
        # A wallet was spent between reading its balance and the transfer: one transfer per debt.
        done = []
        for debt, spec in payable:
            try:
                ledger.transfer_group(session, [spec])
                done.append((debt, spec))
            except ledger.InsufficientFunds:
                _in_arrears(session, debt, "insufficient_funds")
                out.arrears += 1
                out.arrears_fen += spec.amount
    for debt, spec in done:
        _collected(session, debt, spec.amount, "collect", "debt_collected")
        out.collected += 1
        out.collected_fen += spec.amount
    return out


def pay_arrears(session: Session, *, citizen_id: str) -> CollectionOut:
    """The citizen pays every overdue debt from the wallet, all at once (one transfer group) or not
    at all (WalletInsufficient); paid, the citizen is eligible again if the city still allows."""
    debts = session.scalars(select(PayLaterDebt).where(PayLaterDebt.citizen_id == citizen_id,
                                                       PayLaterDebt.status == "arrears")
                            .order_by(PayLaterDebt.id).with_for_update()).all()
    if not debts:
        raise NoArrears()
    wallet_id = wallet.wallet_account_id(session, citizen_id)
    credit_line = credit_line_account_id(session)
    specs = [TransferSpec(transfer_id=_pay_transfer_id(d), debit=wallet_id, credit=credit_line,
                          amount=d.outstanding_fen, code=COLLECT_CODE, ref=d.settlement_ref) for d in debts]
    try:
        ledger.transfer_group(session, specs)
    except ledger.InsufficientFunds as exc:
        raise WalletInsufficient(f"{sum(s.amount for s in specs)} fen overdue") from exc
    out = CollectionOut()
    for d, spec in zip(debts, specs, strict=True):
        _collected(session, d, spec.amount, "pay_arrears", "arrears_paid")
        out.collected += 1
        out.collected_fen += spec.amount
    return out


# --- reading ---------------------------------------------------------------------------------------

def get_debt(session: Session, *, debt_id: str, citizen_id: str | None = None) -> DebtOut:
    d = session.scalars(select(PayLaterDebt).where(PayLaterDebt.debt_id == debt_id)).one_or_none()
    if d is None or (citizen_id is not None and d.citizen_id != citizen_id):
        raise DebtNotFound()
    return _debt_out(session, d, with_entries=True)


def debt_for_settlement(session: Session, *, settlement_ref: str) -> DebtOut | None:
    d = session.scalars(select(PayLaterDebt).where(PayLaterDebt.settlement_ref == settlement_ref)).one_or_none()
    return _debt_out(session, d) if d is not None else None


def debts_of(session: Session, *, citizen_id: str, limit: int = 100) -> list[DebtOut]:
    """The citizen's debts, newest first."""
    rows = session.scalars(select(PayLaterDebt).where(PayLaterDebt.citizen_id == citizen_id)
                           .order_by(PayLaterDebt.id.desc()).limit(max(1, min(limit, 500))))
    return [_debt_out(session, d) for d in rows]


def credit_line_summary(session: Session) -> CreditLineOut:
    """The credit line as the ledger sees it next to the debts' outstanding amounts (always equal)."""
    account_id = credit_line_account_id(session)
    b = ledger.balance(session, account_id)
    debts = session.scalars(select(PayLaterDebt).where(PayLaterDebt.status.in_(("open", "arrears")))).all()
    return CreditLineOut(account_id=account_id, ledger_outstanding_fen=b.debits_posted - b.credits_posted,
                         debts_outstanding_fen=sum(d.outstanding_fen for d in debts),
                         open_debts=sum(1 for d in debts if d.status == "open"),
                         arrears_debts=sum(1 for d in debts if d.status == "arrears"))
