"""T+1 settlement (结算) and the reconciliation file (对账单).

Day D is a calendar day in Asia/Shanghai. From D+1 00:10 (the job `trade.settle`, or `onecity trade
settle --date D`) each merchant's day is settled once — the unique (merchant, day) row makes a second run, or
a concurrent one, a no-op:

    payments  = Σ amount of the merchant's orders paid during D
    refunds   = Σ amount of its refunds made during D (whatever day the order was paid)
    fees      = Σ fee of the orders paid during D − Σ fee returned by the refunds made during D
    due       = payments − refunds − fees + carried_in        (carried_in: Σ carried_out − Σ carried_in of
                                                                the earlier settlements)
    payout    = min(max(due, 0), what the payable account still holds after the fee); 0 without a bank account
    carried_out = due − payout                                 (picked up by the next settlement)

Money: one ledger transfer merchant → fee_income of `fees` (fee_income → merchant when negative), id
`<settlement_id>:fee`, and one bank payout merchant → the merchant's bank account of `payout`, id
`<settlement_id>:payout` (`bank.service.request_payout`: pending until the bank confirms). When the bank
fails the payout its money returns to the payable account and is added to that settlement's
`carried_out`. carried_in telescopes: with nothing failing it is the previous settlement's carried_out;
a payout failed after later days were settled (or while one was being settled) is picked up by the
next settlement that runs, so no fen is left behind.

Worked example (38 bp): on D the merchant is paid 12.34 (fee 0.05) and 100.00 (fee 0.38), and refunds
3.00 of the first (fee back 5 × 300 / 1234 = 1.2 fen → 0.01). payments 112.34, refunds 3.00, fees
0.05 + 0.38 − 0.01 = 0.42, due = 112.34 − 3.00 − 0.42 = 108.92, paid out to the bank.

The reconciliation file lists every payment and refund of D with its fee and net amount, then the
totals line (whose amount, fee and net equal payments − refunds, fees and their difference) and the
carried_in, payout and carried_out lines; all in yuan with two decimals.
"""

from __future__ import annotations

import csv
import io
import logging
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from onecity import clock
from onecity.clock import CITY_TZ
from onecity.db import is_postgres
from onecity.errors import InvalidInput
from onecity.ids import new_id
from onecity.ledger import service as ledger
from onecity.money import yuan
from onecity.payments.bank import service as bank
from onecity.payments.trade.models import TradeMerchant, TradeOrder, TradeRefund, TradeSettlement
from onecity.payments.trade.schemas import SettlementOut
from onecity.payments.trade.service.errors import SettlementDayOpen, SettlementNotFound
from onecity.payments.trade.service.merchants import merchant_profile, settlement_bank_account

log = logging.getLogger("onecity.trade.settlement")

PAYOUT_PURPOSE = "merchant_settlement"
# A day is settled only this long after it ended, so a payment whose transaction began before midnight
# and committed just after it (paid_at on day D) is visible to the settlement of D.
GRACE = timedelta(minutes=10)
CSV_HEADER = ("type", "time", "trade_no", "out_trade_no", "out_request_no", "subject", "amount", "fee", "net")


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """[start, end) of a local (Asia/Shanghai) day, in UTC."""
    start = datetime.combine(day, time(0), tzinfo=CITY_TZ).astimezone(UTC)
    return start, start + timedelta(days=1)


def last_settleable_day() -> date:
    """The latest day that has ended at least `GRACE` ago (yesterday, from 00:10 Asia/Shanghai)."""
    return (clock.now() - GRACE).astimezone(CITY_TZ).date() - timedelta(days=1)


def parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise InvalidInput(detail="a date is YYYY-MM-DD") from exc


def fee_transfer_id(settlement_id: str) -> str:
    return f"{settlement_id}:fee"


def payout_id_for(settlement_id: str) -> str:
    return f"{settlement_id}:payout"


def _out(s: TradeSettlement) -> SettlementOut:
    return SettlementOut(
        settlement_id=s.settlement_id, merchant_id=s.merchant_id, settle_date=s.settle_date,
        payments_count=s.payments_count, payments_amount=s.payments_amount, refunds_count=s.refunds_count,
        refunds_amount=s.refunds_amount, fees=s.fees, carried_in=s.carried_in, payout_amount=s.payout_amount,
        carried_out=s.carried_out, payout_id=s.payout_id, status=s.status, created_at=s.created_at,
        finished_at=s.finished_at)


def _day_totals(session: Session, merchant_id: str, day: date) -> tuple[int, int, int, int, int, int]:
    start, end = day_bounds(day)
    pc, pa, pf = session.execute(
        select(func.count(TradeOrder.id), func.coalesce(func.sum(TradeOrder.amount), 0),
               func.coalesce(func.sum(TradeOrder.fee), 0))
        .where(TradeOrder.merchant_id == merchant_id, TradeOrder.paid_at >= start, TradeOrder.paid_at < end)).one()
    rc, ra, rf = session.execute(
        select(func.count(TradeRefund.id), func.coalesce(func.sum(TradeRefund.amount), 0),
               func.coalesce(func.sum(TradeRefund.fee_refunded), 0))
        .where(TradeRefund.merchant_id == merchant_id, TradeRefund.created_at >= start,
               TradeRefund.created_at < end)).one()
    return int(pc), int(pa), int(pf), int(rc), int(ra), int(rf)


def settle_day(session: Session, *, merchant_id: str, day: date) -> SettlementOut:
    """Settle one merchant's day (see the module docstring); a second call returns the first result."""
    existing = session.scalars(select(TradeSettlement).where(TradeSettlement.merchant_id == merchant_id,
                                                             TradeSettlement.settle_date == day)).one_or_none()
    if existing is not None:
        return _out(existing)
    if clock.now() < day_bounds(day)[1] + GRACE:
        raise SettlementDayOpen()
    profile = merchant_profile(session, merchant_id)
    pc, pa, pf, rc, ra, rf = _day_totals(session, merchant_id, day)
    carried_in = int(session.scalar(
        select(func.coalesce(func.sum(TradeSettlement.carried_out - TradeSettlement.carried_in), 0))
        .where(TradeSettlement.merchant_id == merchant_id, TradeSettlement.settle_date < day)) or 0)
    fees = pf - rf
    due = pa - ra - fees + carried_in
    settlement_id = new_id("stl")
    now = clock.now()
    insert = pg_insert if is_postgres(session) else sqlite_insert
    inserted = session.execute(insert(TradeSettlement).values(
        settlement_id=settlement_id, merchant_id=merchant_id, settle_date=day, payments_count=pc,
        payments_amount=pa, refunds_count=rc, refunds_amount=ra, fees=fees, carried_in=carried_in,
        payout_amount=0, carried_out=due, payout_id=None, status="nothing", created_at=now)
        .on_conflict_do_nothing(index_elements=["merchant_id", "settle_date"])
        .returning(TradeSettlement.id)).scalar()
    row = session.scalars(select(TradeSettlement).where(TradeSettlement.merchant_id == merchant_id,
                                                        TradeSettlement.settle_date == day)
                          .execution_options(populate_existing=True)).one()
    if inserted is None:  # settled concurrently by another worker
        return _out(row)
    account = profile.ledger_account_id
    if fees:
        fee_income = bank.system_account(session, "fee_income")
        debit, credit = (account, fee_income) if fees > 0 else (fee_income, account)
        ledger.transfer(session, transfer_id=fee_transfer_id(settlement_id), debit=debit, credit=credit,
                        amount=abs(fees), code="trade.fee", ref=settlement_id)
    bank_account = settlement_bank_account(profile)
    available = ledger.balance(session, account).available_balance
    payout = min(max(due, 0), max(available, 0)) if bank_account else 0
    row.carried_out = due - payout
    if payout > 0:
        assert bank_account is not None
        pid = payout_id_for(settlement_id)
        bank.request_payout(session, payout_id=pid, from_account=account, bank_account=bank_account,
                            holder_name=profile.bank_holder_name or "", amount=payout, purpose=PAYOUT_PURPOSE)
        row.payout_id = pid
        row.payout_amount = payout
        row.status = "paying"
    else:
        row.status = "held" if due > 0 else "nothing"
        row.finished_at = now
    session.flush()
    return _out(row)


def settle_all(session: Session, *, day: date) -> dict[str, int]:
    """Settle every merchant's `day` (each in a savepoint: one failure does not stop the others)."""
    counts = {"settled": 0, "failed": 0}
    for merchant_id in session.scalars(select(TradeMerchant.merchant_id).order_by(TradeMerchant.id)).all():
        try:
            with session.begin_nested():
                settle_day(session, merchant_id=merchant_id, day=day)
            counts["settled"] += 1
        except Exception:  # noqa: BLE001 - logged; the job tries again on its next run
            log.exception("settlement failed", extra={"merchant_id": merchant_id, "day": day.isoformat()})
            counts["failed"] += 1
    return counts


def payout_finished(session: Session, *, payout_id: str, succeeded: bool) -> SettlementOut | None:
    """The bank confirmed or failed a settlement's payout (the outbox subscriber calls this)."""
    q = select(TradeSettlement).where(TradeSettlement.payout_id == payout_id)
    if is_postgres(session):
        q = q.with_for_update()
    row = session.scalars(q).one_or_none()
    if row is None or row.status != "paying":
        return _out(row) if row is not None else None
    row.status = "paid" if succeeded else "failed"
    if not succeeded:
        row.carried_out += row.payout_amount  # the money is back in the payable account
    row.finished_at = clock.now()
    return _out(row)


def get_settlement(session: Session, *, merchant_id: str, day: date) -> SettlementOut:
    row = session.scalars(select(TradeSettlement).where(TradeSettlement.merchant_id == merchant_id,
                                                        TradeSettlement.settle_date == day)).one_or_none()
    if row is None:
        raise SettlementNotFound()
    return _out(row)


def list_settlements(session: Session, *, merchant_id: str, limit: int = 60) -> list[SettlementOut]:
    rows = session.scalars(select(TradeSettlement).where(TradeSettlement.merchant_id == merchant_id)
                           .order_by(TradeSettlement.settle_date.desc()).limit(max(1, min(limit, 366))))
    return [_out(r) for r in rows]


def _local(dt: datetime) -> str:
    return dt.astimezone(CITY_TZ).strftime("%Y-%m-%d %H:%M:%S")


def reconciliation_csv(session: Session, *, merchant_id: str, day: date) -> str:
    """The day's reconciliation file (UTF-8 CSV with a header; see the module docstring)."""
    s = get_settlement(session, merchant_id=merchant_id, day=day)
    start, end = day_bounds(day)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_HEADER)
    total_amount = total_fee = 0
    for o in session.scalars(select(TradeOrder).where(
            TradeOrder.merchant_id == merchant_id, TradeOrder.paid_at >= start, TradeOrder.paid_at < end)
            .order_by(TradeOrder.paid_at, TradeOrder.id)):
        assert o.paid_at is not None
        w.writerow(("payment", _local(o.paid_at), o.trade_no, o.out_trade_no, "", o.subject, yuan(o.amount),
                    yuan(o.fee), yuan(o.amount - o.fee)))
        total_amount += o.amount
        total_fee += o.fee
    refunds = session.execute(select(TradeRefund, TradeOrder.trade_no, TradeOrder.out_trade_no, TradeOrder.subject)
                              .join(TradeOrder, TradeOrder.id == TradeRefund.order_id)
                              .where(TradeRefund.merchant_id == merchant_id, TradeRefund.created_at >= start,
                                     TradeRefund.created_at < end)
                              .order_by(TradeRefund.created_at, TradeRefund.id)).all()
    for r, trade_no, out_trade_no, subject in refunds:
        w.writerow(("refund", _local(r.created_at), trade_no, out_trade_no, r.out_request_no, subject,
                    yuan(-r.amount), yuan(-r.fee_refunded), yuan(-(r.amount - r.fee_refunded))))
        total_amount -= r.amount
        total_fee -= r.fee_refunded
    assert total_amount == s.payments_amount - s.refunds_amount and total_fee == s.fees
    w.writerow(("total", day.isoformat(), s.settlement_id, "", "", "", yuan(total_amount), yuan(total_fee),
                yuan(total_amount - total_fee)))
    w.writerow(("carried_in", "", "", "", "", "", "", "", yuan(s.carried_in)))
    w.writerow(("payout", "", s.payout_id or "", "", "", s.status, "", "", yuan(s.payout_amount)))
    w.writerow(("carried_out", "", "", "", "", "", "", "", yuan(s.carried_out)))
    return buf.getvalue()
