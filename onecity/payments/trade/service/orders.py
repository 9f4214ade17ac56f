"""Orders: create, precreate (with a dynamic EMVCo QR), pay by the buyer's payment code, pay as the
citizen (confirming, or scanning a QR), pay a static QR, query, close, and the expiry of unpaid orders.

Rules kept here:
- (merchant, out_trade_no) names one order. Creating it again with the same amount and subject
  returns the existing order, whatever its state; with different ones, `OrderConflict`. Concurrent
  creations resolve to one row: INSERT … ON CONFLICT DO NOTHING, then SELECT … FOR UPDATE (PostgreSQL;
  SQLite serializes writers), so every caller then works on the same locked row.
- Payment is one ledger transfer wallet → merchant with id `<trade_no>:pay`, in the same transaction
  as the order's change to TRADE_SUCCESS and the `trade.paid` event: it happens once or not at all.
- A payment code pays once. Up to the buyer's small-amount limit it pays at once; above it the order
  waits (WAIT_BUYER_PAY) for the buyer's confirmation in the app (`pay_as_citizen`).
- The fee is fixed when the order is paid: round half up of amount × rate / 10 000, in fen.
- Only an unpaid order can be closed; unpaid orders past `expires_at` are closed by a periodic job.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from onecity import clock, outbox
from onecity.audit import service as audit
from onecity.authz import Principal
from onecity.db import is_postgres
from onecity.errors import DomainError, InvalidInput
from onecity.identity.orgs import service as orgs
from onecity.ids import new_id
from onecity.ledger import service as ledger
from onecity.payments.codes import emvco
from onecity.payments.codes import service as codes
from onecity.payments.trade.models import TradeOrder
from onecity.payments.trade.schemas import OrderOut
from onecity.payments.trade.service.errors import (
    BuyerBalanceInsufficient,
    OrderConflict,
    OrderNotFound,
    TradeExpired,
    TradeHasBuyer,
    TradeStateInvalid,
)
from onecity.payments.trade.service.merchants import check_notify_url, merchant_name, merchant_profile
from onecity.payments.wallet import service as wallet

WAIT = "WAIT_BUYER_PAY"
SUCCESS = "TRADE_SUCCESS"
CLOSED = "TRADE_CLOSED"
FINISHED = "TRADE_FINISHED"
CURRENCY = "CNY"
MAX_TIMEOUT_MINUTES = 24 * 60


def fee_for(amount: int, rate_bp: int) -> int:
    """Fee in fen: amount × rate / 10 000 rounded half up (integers only).

    38 bp on 1 234 fen: 1234 × 38 = 46 892 → 4.6892 fen → 5 fen; on 100 fen: 3 800 → 0.38 → 0 fen;
    on 1 000 fen: 38 000 → 3.8 → 4 fen; 50 bp on 100 fen: exactly 0.5 fen → 1 fen (half up).
    """
    return (amount * rate_bp * 2 + 10_000) // 20_000


def payment_transfer_id(trade_no: str) -> str:
    return f"{trade_no}:pay"


def _insert(session: Session) -> Any:
    return pg_insert if is_postgres(session) else sqlite_insert


def _locked(session: Session, q: Select[TradeOrder]) -> TradeOrder | None:
    if is_postgres(session):
        q = q.with_for_update()
    # populate_existing: the identity map may hold an older copy; the locked read is the truth.
    return session.scalars(q.execution_options(populate_existing=True)).one_or_none()


def needs_confirmation(o: TradeOrder) -> bool:
    return o.status == WAIT and o.payment_code_id is not None


def order_out(session: Session, o: TradeOrder, *, names: dict[str, str] | None = None) -> OrderOut:
    name = (names or {}).get(o.merchant_id) or merchant_name(session, o.merchant_id)
    return OrderOut(
        trade_no=o.trade_no, out_trade_no=o.out_trade_no, merchant_id=o.merchant_id, merchant_name=name,
        amount=o.amount, currency=o.currency, subject=o.subject, body=o.body, status=o.status,  # type: ignore[arg-type]
        channel=o.channel, buyer_citizen_id=o.buyer_citizen_id, needs_confirmation=needs_confirmation(o),
        paid_at=o.paid_at, closed_at=o.closed_at, refunded_amount=o.refunded_amount, fee=o.fee,
        qr_code=o.qr_code, created_at=o.created_at, expires_at=o.expires_at, app_id=o.app_id,
        notify_url=o.notify_url)


def orders_out(session: Session, rows: list[TradeOrder]) -> list[OrderOut]:
    names = orgs.org_names(session, {o.merchant_id for o in rows})
    return [order_out(session, o, names=names) for o in rows]


def _event(o: TradeOrder, **extra: Any) -> dict[str, Any]:
    return {"trade_no": o.trade_no, "out_trade_no": o.out_trade_no, "merchant_id": o.merchant_id,
            "status": o.status, "amount": o.amount, "buyer_citizen_id": o.buyer_citizen_id,
            "refunded_amount": o.refunded_amount, **extra}


def _check_fields(amount: int, subject: str, timeout_minutes: int) -> str:
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0 or amount > 10**11:
        raise InvalidInput(detail="amount must be a positive number of fen")
    subject = (subject or "").strip()
    if not subject or len(subject) > 256:
        raise InvalidInput(detail="subject must be 1-256 characters")
    if not 1 <= timeout_minutes <= MAX_TIMEOUT_MINUTES:
        raise InvalidInput(detail="timeout_minutes must be 1-1440")
    return subject


def _get_or_insert(session: Session, *, merchant_id: str, out_trade_no: str, amount: int, subject: str,
                   channel: str, buyer_citizen_id: str | None, notify_url: str | None, app_id: str | None,
                   timeout_minutes: int, body: str | None) -> tuple[TradeOrder, bool]:
    """The order (locked), inserting it if new; `created` tells which. Same amount and subject required."""
    if not out_trade_no or len(out_trade_no) > 64:
        raise InvalidInput(detail="out_trade_no must be 1-64 characters")
    subject = _check_fields(amount, subject, timeout_minutes)
    profile = merchant_profile(session, merchant_id)
    now = clock.now()
    trade_no = new_id("trd")
    values = dict(
        trade_no=trade_no, merchant_id=merchant_id, out_trade_no=out_trade_no, channel=channel, amount=amount,
        currency=CURRENCY, subject=subject, body=body, status=WAIT, buyer_citizen_id=buyer_citizen_id,
        notify_url=check_notify_url(notify_url), app_id=app_id, fee_rate_bp=profile.fee_rate_bp, fee=0,
        refunded_amount=0, fee_refunded=0, created_at=now, expires_at=now + timedelta(minutes=timeout_minutes),
        updated_at=now)
    # The row we insert is ours (and locked by our transaction); only when the insert did nothing is
    # the existing row read, and locked, separately.
    o = session.scalars(_insert(session)(TradeOrder).values(**values)
                        .on_conflict_do_nothing(index_elements=["merchant_id", "out_trade_no"])
                        .returning(TradeOrder)).one_or_none()
    if o is None:
        o = _locked(session, select(TradeOrder).where(TradeOrder.merchant_id == merchant_id,
                                                      TradeOrder.out_trade_no == out_trade_no))
    assert o is not None
    created = o.trade_no == trade_no
    if not created and (o.amount != amount or o.subject != subject):
        raise OrderConflict(detail=f"out_trade_no {out_trade_no} was used for amount {o.amount}")
    return o, created


def create_order(
    session: Session,
    *,
    merchant_id: str,
    out_trade_no: str,
    amount: int,
    subject: str,
    buyer_citizen_id: str | None = None,
    notify_url: str | None = None,
    app_id: str | None = None,
    timeout_minutes: int = 15,
    body: str | None = None,
    channel: str = "create",
) -> OrderOut:
    """An unpaid order (WAIT_BUYER_PAY). With `buyer_citizen_id` it shows in that citizen's app."""
    o, created = _get_or_insert(session, merchant_id=merchant_id, out_trade_no=out_trade_no, amount=amount,
                                subject=subject, channel=channel, buyer_citizen_id=buyer_citizen_id,
                                notify_url=notify_url, app_id=app_id, timeout_minutes=timeout_minutes, body=body)
    if created:
        if channel == "precreate":
            profile = merchant_profile(session, merchant_id)
            o.qr_code = emvco.encode_merchant_qr(
                merchant_id=merchant_id, merchant_name=merchant_name(session, merchant_id), city=profile.city,
                mcc=profile.mcc, amount_fen=amount, order_ref=o.trade_no)
        outbox.emit(session, "trade.created", _event(o, channel=channel))
    return order_out(session, o)


def precreate(
    session: Session,
    *,
    merchant_id: str,
    out_trade_no: str,
    amount: int,
    subject: str,
    buyer_citizen_id: str | None = None,
    notify_url: str | None = None,
    app_id: str | None = None,
    timeout_minutes: int = 15,
    body: str | None = None,
) -> OrderOut:
    """An unpaid order with `qr_code`: the dynamic EMVCo payload (amount and trade_no in it)."""
    return create_order(session, merchant_id=merchant_id, out_trade_no=out_trade_no, amount=amount,
                        subject=subject, buyer_citizen_id=buyer_citizen_id, notify_url=notify_url, app_id=app_id,
                        timeout_minutes=timeout_minutes, body=body, channel="precreate")


_PAID_FIELDS = ("payment_code_id", "channel", "buyer_citizen_id", "status", "paid_at", "updated_at", "fee_rate_bp",
                "fee")


def _apply_payment(session: Session, o: TradeOrder, citizen_id: str, *, payment_code_id: str | None = None) -> None:
    """Mark the order paid, then move the money wallet → merchant (caller holds the order's lock).

    The transfer comes last because it locks the merchant's account, which every payment to that
    merchant needs (a HOT account): the lock is then held for the transfer's update, the event and
    the commit, not for the order's update and the reply as well. A refused transfer puts the order
    back as it was before raising, so even a caller that catches the error and commits keeps an
    order that can still be paid (the ledger changes nothing on error)."""
    profile = merchant_profile(session, o.merchant_id)
    source = wallet.wallet_account_id(session, citizen_id)
    merchant_name(session, o.merchant_id)  # the reply's merchant name, read before the lock (cached)
    before = {f: getattr(o, f) for f in _PAID_FIELDS}
    now = clock.now()
    if payment_code_id is not None:
        o.payment_code_id = payment_code_id
        o.channel = "code"
    o.buyer_citizen_id = citizen_id
    o.status = SUCCESS
    o.paid_at = now
    o.updated_at = now
    o.fee_rate_bp = profile.fee_rate_bp
    o.fee = fee_for(o.amount, o.fee_rate_bp)
    session.flush()
    try:
        ledger.transfer(session, transfer_id=payment_transfer_id(o.trade_no), debit=source,
                        credit=profile.ledger_account_id, amount=o.amount, code="trade.pay", currency=o.currency,
                        ref=o.trade_no)
    except DomainError as exc:
        for f, v in before.items():
            setattr(o, f, v)
        session.flush()
        if exc.code == "insufficient_funds":
            raise BuyerBalanceInsufficient() from exc
        raise
    outbox.emit(session, "trade.paid", _event(o, paid_at=now.isoformat(), channel=o.channel))


def pay_by_code(
    session: Session,
    *,
    merchant_id: str,
    out_trade_no: str,
    amount: int,
    subject: str,
    auth_code: str,
    notify_url: str | None = None,
    app_id: str | None = None,
) -> OrderOut:
    """The merchant scanned the buyer's payment code. Retried with the same out_trade_no, returns the
    original result and never consumes a code or moves money twice."""
    o, _ = _get_or_insert(session, merchant_id=merchant_id, out_trade_no=out_trade_no, amount=amount,
                          subject=subject, channel="code", buyer_citizen_id=None, notify_url=notify_url,
                          app_id=app_id, timeout_minutes=15, body=None)
    if o.status != WAIT or o.payment_code_id is not None:
        return order_out(session, o)
    if o.expires_at <= clock.now():
        raise TradeExpired()
    holder = codes.consume_payment_code(session, code=auth_code, merchant_id=merchant_id)
    if o.buyer_citizen_id and o.buyer_citizen_id != holder.citizen_id:
        raise TradeHasBuyer()
    if o.amount <= holder.small_amount_limit_fen:
        _apply_payment(session, o, holder.citizen_id, payment_code_id=holder.code_id)
    else:
        o.payment_code_id = holder.code_id
        o.buyer_citizen_id = holder.citizen_id
        o.channel = "code"
        o.updated_at = clock.now()
        outbox.emit(session, "trade.awaiting_confirmation", _event(o))
    return order_out(session, o)


def _order_by_trade_no(session: Session, trade_no: str, *, lock: bool) -> TradeOrder:
    q = select(TradeOrder).where(TradeOrder.trade_no == trade_no)
    o = _locked(session, q) if lock else session.scalars(q).one_or_none()
    if o is None:
        raise OrderNotFound()
    return o


def pay_as_citizen(session: Session, *, citizen_id: str, trade_no: str) -> OrderOut:
    """The citizen pays (a scanned dynamic QR, an order addressed to them, or a payment-code order above
    their small-amount limit). Paying an order they already paid returns it unchanged."""
    o = _order_by_trade_no(session, trade_no, lock=True)
    if o.buyer_citizen_id and o.buyer_citizen_id != citizen_id:
        raise TradeHasBuyer() if o.status == WAIT else OrderNotFound()
    if o.status == SUCCESS and o.buyer_citizen_id == citizen_id:
        return order_out(session, o)
    if o.status != WAIT:
        raise TradeStateInvalid(detail=f"the trade is {o.status}")
    if o.expires_at <= clock.now():
        raise TradeExpired()
    _apply_payment(session, o, citizen_id)
    return order_out(session, o)


def pay_static_qr(session: Session, *, citizen_id: str, merchant_id: str, amount: int,
                  note: str | None = None) -> OrderOut:
    """The citizen scanned the merchant's static QR, typed the amount and confirmed: an order is made
    for the merchant (out_trade_no `QR…`) and paid at once."""
    subject = (note or "").strip()[:100] or "扫码付款"
    o, _ = _get_or_insert(session, merchant_id=merchant_id, out_trade_no=f"QR{new_id('sq')[3:]}", amount=amount,
                          subject=subject, channel="static_qr", buyer_citizen_id=citizen_id, notify_url=None,
                          app_id=None, timeout_minutes=15, body=note)
    _apply_payment(session, o, citizen_id)
    return order_out(session, o)


def _merchant_order(session: Session, *, merchant_id: str, out_trade_no: str | None, trade_no: str | None,
                    lock: bool) -> TradeOrder:
    if not out_trade_no and not trade_no:
        raise InvalidInput(detail="out_trade_no or trade_no is required")
    q = select(TradeOrder).where(TradeOrder.merchant_id == merchant_id)
    q = q.where(TradeOrder.trade_no == trade_no) if trade_no else q.where(TradeOrder.out_trade_no == out_trade_no)
    o = _locked(session, q) if lock else session.scalars(q).one_or_none()
    if o is None or (trade_no and out_trade_no and o.out_trade_no != out_trade_no):
        raise OrderNotFound()
    return o


def query(session: Session, *, merchant_id: str, out_trade_no: str | None = None,
          trade_no: str | None = None) -> OrderOut:
    return order_out(session, _merchant_order(session, merchant_id=merchant_id, out_trade_no=out_trade_no,
                                              trade_no=trade_no, lock=False))


def _close(session: Session, o: TradeOrder, reason: str) -> None:
    now = clock.now()
    o.status = CLOSED
    o.closed_at = now
    o.updated_at = now
    outbox.emit(session, "trade.closed", _event(o, reason=reason))


def close(session: Session, *, merchant_id: str, out_trade_no: str | None = None, trade_no: str | None = None,
          actor: Principal | str | None = None) -> OrderOut:
    """Close an unpaid order (closing one already closed unpaid changes nothing)."""
    o = _merchant_order(session, merchant_id=merchant_id, out_trade_no=out_trade_no, trade_no=trade_no, lock=True)
    if o.status == CLOSED and o.paid_at is None:
        return order_out(session, o)
    if o.status != WAIT:
        raise TradeStateInvalid(detail=f"only an unpaid trade can be closed; this one is {o.status}")
    _close(session, o, "merchant")
    if isinstance(actor, Principal) and actor.kind in ("staff", "admin"):
        audit.record(session, actor=actor, action="trade.close", subject_citizen_id=o.buyer_citizen_id,
                     resource=f"trade/{o.trade_no}", reason="商户关闭未支付订单 merchant closed an unpaid order",
                     on_behalf_of=merchant_id)
    return order_out(session, o)


def expire_unpaid(session: Session, *, now: datetime | None = None, limit: int = 500) -> int:
    """Close unpaid orders past their expiry (the periodic job); returns how many."""
    now = now or clock.now()
    q = (select(TradeOrder).where(TradeOrder.status == WAIT, TradeOrder.expires_at <= now)
         .order_by(TradeOrder.expires_at).limit(limit))
    if is_postgres(session):
        q = q.with_for_update(skip_locked=True)
    rows = list(session.scalars(q))
    for o in rows:
        _close(session, o, "expired")
    return len(rows)


def pending_for_citizen(session: Session, citizen_id: str) -> list[OrderOut]:
    """Unpaid, unexpired orders addressed to the citizen (e.g. above their small-amount limit)."""
    rows = list(session.scalars(
        select(TradeOrder).where(TradeOrder.buyer_citizen_id == citizen_id, TradeOrder.status == WAIT,
                                 TradeOrder.expires_at > clock.now())
        .order_by(TradeOrder.id.desc()).limit(50)))
    return orders_out(session, rows)


def get_order(session: Session, trade_no: str) -> OrderOut:
    """An order by its public id (for the citizen app and the gateway; callers check who may see it)."""
    return order_out(session, _order_by_trade_no(session, trade_no, lock=False))


def list_orders(session: Session, *, merchant_id: str, status: str | None = None, q: str | None = None,
                after: str | None = None, limit: int = 50) -> tuple[list[OrderOut], str | None]:
    """The merchant's orders, newest first; `q` matches out_trade_no or trade_no exactly; cursor = trade_no."""
    limit = max(1, min(limit, 200))
    stmt = select(TradeOrder).where(TradeOrder.merchant_id == merchant_id)
    if status:
        stmt = stmt.where(TradeOrder.status == status)
    if q:
        stmt = stmt.where((TradeOrder.out_trade_no == q) | (TradeOrder.trade_no == q))
    if after:
        cursor = session.scalar(select(TradeOrder.id).where(TradeOrder.trade_no == after,
                                                            TradeOrder.merchant_id == merchant_id))
        if cursor is None:
            raise InvalidInput(detail="unknown cursor")
        stmt = stmt.where(TradeOrder.id < cursor)
    rows = list(session.scalars(stmt.order_by(TradeOrder.id.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return orders_out(session, rows), (rows[-1].trade_no if more and rows else None)
