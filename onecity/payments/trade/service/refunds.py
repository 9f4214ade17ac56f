"""Refunds: several partial refunds of a paid order, never above what was paid, each keyed by the
merchant's `out_request_no` (the same request again returns the same refund).

Money: one ledger transfer merchant → the buyer's wallet, id `<refund_id>:refund`, in the same
transaction as the refund row (unique per order and out_request_no, written under the order's lock),
so a retried refund never pays twice. The merchant's payable account may not go negative: a refund it
cannot cover fails with `merchant_balance_insufficient`, as Alipay's does.

Fee rule (as Alipay): the fee is returned in proportion to the amount refunded, rounded half up to
the fen; the refund that completes the order returns whatever fee is left, so a fully refunded order
costs the merchant nothing. When the whole amount has been refunded the order becomes TRADE_CLOSED.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from onecity import clock, outbox
from onecity.audit import service as audit
from onecity.authz import Principal
from onecity.errors import DomainError, InvalidInput
from onecity.ids import new_id
from onecity.ledger import service as ledger
from onecity.money import Money
from onecity.payments.trade.models import TradeOrder, TradeRefund
from onecity.payments.trade.schemas import RefundOut
from onecity.payments.trade.service.errors import (
    MerchantBalanceInsufficient,
    RefundConflict,
    RefundExceedsPaid,
    TradeStateInvalid,
)
from onecity.payments.trade.service.merchants import merchant_profile
from onecity.payments.trade.service.orders import CLOSED, SUCCESS, _event, _merchant_order
from onecity.payments.wallet import service as wallet


def fee_refund_for(*, fee: int, fee_refunded: int, amount: int, refunded_before: int, refund_amount: int) -> int:
    """The part of the order's fee a refund returns (see the module docstring for the rule).

    Order 1 000 fen, fee 4 fen (38 bp): refund 300 → 4 × 300 / 1000 = 1.2 → 1 fen; refund 500 → 2.0 → 2 fen;
    the last 200 completes the order → 4 − 1 − 2 = 1 fen.
    """
    if refunded_before + refund_amount >= amount:
        return fee - fee_refunded
    share = (fee * refund_amount * 2 + amount) // (2 * amount)
    return min(share, fee - fee_refunded)


def refund_transfer_id(refund_id: str) -> str:
    return f"{refund_id}:refund"


def _refund_out(o: TradeOrder, r: TradeRefund) -> RefundOut:
    return RefundOut(refund_id=r.refund_id, trade_no=o.trade_no, out_trade_no=o.out_trade_no,
                     out_request_no=r.out_request_no, merchant_id=o.merchant_id, refund_amount=r.amount,
                     total_refunded=o.refunded_amount, fee_refunded=r.fee_refunded, reason=r.reason,
                     created_at=r.created_at, status=o.status, buyer_citizen_id=o.buyer_citizen_id)  # type: ignore[arg-type]


def _actor_label(actor: Principal | str | None, merchant_id: str) -> Principal | str:
    return actor if actor is not None else merchant_id


def refund(
    session: Session,
    *,
    merchant_id: str,
    out_trade_no: str | None = None,
    trade_no: str | None = None,
    refund_amount: int,
    out_request_no: str,
    reason: str | None = None,
    actor: Principal | str | None = None,
) -> RefundOut:
    if not out_request_no or len(out_request_no) > 64:
        raise InvalidInput(detail="out_request_no must be 1-64 characters")
    if not isinstance(refund_amount, int) or isinstance(refund_amount, bool) or refund_amount <= 0:
        raise InvalidInput(detail="refund_amount must be a positive number of fen")
    o = _merchant_order(session, merchant_id=merchant_id, out_trade_no=out_trade_no, trade_no=trade_no, lock=True)
    existing = session.scalars(select(TradeRefund).where(TradeRefund.order_id == o.id,
                                                         TradeRefund.out_request_no == out_request_no)).one_or_none()
    if existing is not None:
        if existing.amount != refund_amount:
            raise RefundConflict(detail=f"out_request_no {out_request_no} refunded {existing.amount} fen")
        return _refund_out(o, existing)
    if o.paid_at is None or o.status not in (SUCCESS, CLOSED):
        raise TradeStateInvalid(detail=f"only a paid trade can be refunded; this one is {o.status}")
    left = o.amount - o.refunded_amount
    if refund_amount > left:
        raise RefundExceedsPaid(detail=f"at most {left} fen can still be refunded")
    assert o.buyer_citizen_id is not None
    fee_back = fee_refund_for(fee=o.fee, fee_refunded=o.fee_refunded, amount=o.amount,
                              refunded_before=o.refunded_amount, refund_amount=refund_amount)
    refund_id = new_id("rfd")
    profile = merchant_profile(session, merchant_id)
    target = wallet.wallet_account_id(session, o.buyer_citizen_id)
    try:
        ledger.transfer(session, transfer_id=refund_transfer_id(refund_id), debit=profile.ledger_account_id,
                        credit=target, amount=refund_amount, code="trade.refund", currency=o.currency, ref=o.trade_no)
    except DomainError as exc:
        if exc.code == "insufficient_funds":
            raise MerchantBalanceInsufficient() from exc
        raise
    now = clock.now()
    clean_reason = (reason or "").strip()[:256] or None
    r = TradeRefund(refund_id=refund_id, order_id=o.id, merchant_id=merchant_id, out_request_no=out_request_no,
                    amount=refund_amount, fee_refunded=fee_back, reason=clean_reason,
                    actor=(actor.id if isinstance(actor, Principal) else actor) or merchant_id, created_at=now)
    session.add(r)
    o.refunded_amount += refund_amount
    o.fee_refunded += fee_back
    o.updated_at = now
    if o.refunded_amount == o.amount:
        o.status = CLOSED
        o.closed_at = now
    session.flush()
    outbox.emit(session, "trade.refunded", _event(o, refund_id=refund_id, refund_amount=refund_amount,
                                                  out_request_no=out_request_no, gmt_refund=now.isoformat()))
    audit.record(session, actor=_actor_label(actor, merchant_id), action="trade.refund",
                 subject_citizen_id=o.buyer_citizen_id, resource=f"trade/{o.trade_no}/refund/{refund_id}",
                 reason=f"商户退款 merchant refund {Money(refund_amount).format()} 元" + (f": {clean_reason}" if clean_reason else ""),
                 on_behalf_of=merchant_id)
    return _refund_out(o, r)


def refunds_of(session: Session, *, merchant_id: str, trade_no: str) -> list[RefundOut]:
    o = _merchant_order(session, merchant_id=merchant_id, out_trade_no=None, trade_no=trade_no, lock=False)
    rows = session.scalars(select(TradeRefund).where(TradeRefund.order_id == o.id).order_by(TradeRefund.id))
    return [_refund_out(o, r) for r in rows]
