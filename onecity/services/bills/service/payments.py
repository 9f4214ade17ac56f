"""Paying bills and topping up phones, and how each payment reaches its outcome at the biller.

In the request's transaction: the payment row (state `pending`) and the ledger collection wallet →
the biller's payee account (`collection.collect`, code `bill`, transfer id fixed by the payment), and
an outbox event. A bill is paid at most once: its `bill_key` is unique among standing payments, so of
two requests racing for one bill one commits and the other gets `bill_already_paid` (409), and so does
paying a bill the biller says is paid already. Nothing is sent to the biller here.

After commit, `dispatch` (the `services.bills.dispatch` job) sends each pending advice and asks after
each acknowledged one, every call to the biller between two short transactions of its own:
    pending ──ack──▶ acknowledged ──status: confirmed──▶ confirmed
       │ (timeout / busy: retry with backoff; the biller keeps one advice per reference)
       └──refused──▶ refunded ◀──status: rejected── acknowledged (──status: not_found──▶ pending)
A refund gives the money back (`collection.refund`), frees the bill and notifies the citizen. Repeated
acknowledgements (`handle_ack`) and confirmations change nothing the second time.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from onecity import clock, outbox
from onecity.audit import service as audit
from onecity.authz import Principal
from onecity.db import is_postgres, transaction
from onecity.identity.family import service as family
from onecity.ids import new_id
from onecity.money import yuan
from onecity.services import collection
from onecity.services.applications import service as notices
from onecity.services.bills import rules
from onecity.services.bills.errors import (
    AmountMismatch,
    BillAlreadyPaid,
    BillerNotFound,
    BillNotFound,
    NotForThisProduct,
    PaymentNotFound,
    TopUpAmountInvalid,
)
from onecity.services.bills.models import BillPayment
from onecity.services.bills.schemas import DispatchOut, PaymentOut
from onecity.services.bills.service import billers
from onecity.services.bills.service.accounts import Target, advice_bill_id, bill_key, topup_bill
from onecity.services.bills.service.connector import Ack, AdviceStatus, BillerDown, BillerTimeout, FetchedBill
from onecity.services.catalogue.schemas import I18n

log = logging.getLogger("onecity.services.bills")

PAY_CODE = "bill"
REFUND_CODE = "services.bills.refund"
CONFIRM_AFTER = timedelta(seconds=5)
MAX_BACKOFF = timedelta(minutes=30)
BATCH = 200


def _out(p: BillPayment) -> PaymentOut:
    return PaymentOut(payment_id=p.public_id, account_id=p.account_id, owner_id=p.owner_id,
                      payer_id=p.payer_id, biller_org_id=p.biller_org_id, kind=p.kind,  # type: ignore[arg-type]
                      bill_id=p.bill_id, period=p.period, amount=p.amount, via=p.via, state=p.state,  # type: ignore[arg-type]
                      biller_ref=p.biller_ref, failure_code=p.failure_code, created_at=p.created_at,
                      confirmed_at=p.confirmed_at)


def notice(session: Session, *, citizen_id: str, title: tuple[str, str], body: tuple[str, str],
           link: str = "/app/services/bills") -> None:
    """A message in the citizen's services inbox (applications' notices), and the outbox event
    `services.bills.notice` for anything else that tells people (push)."""
    notices.notify(session, citizen_id=citizen_id, title=I18n(zh=title[0], en=title[1]),
                   body=I18n(zh=body[0], en=body[1]), link=link)
    outbox.emit(session, "services.bills.notice", {"citizen_id": citizen_id,
                                                   "title": {"zh": title[0], "en": title[1]},
                                                   "body": {"zh": body[0], "en": body[1]}, "link": link})


# --- paying -----------------------------------------------------------------------------------------

def _record(session: Session, *, target: Target, kind: str, bill_id: str, period: str | None,
            due_date: date | None, amount: int, via: str, actor: Principal | str) -> PaymentOut:
    now = clock.now()
    pid = new_id("bpy")
    key = bill_key(target.route.org_id, bill_id) if kind == "bill" else None
    if key is not None and session.scalar(select(BillPayment.id).where(BillPayment.bill_key == key)) is not None:
        raise BillAlreadyPaid()
    if target.for_relative:
        via = "family"
    row = BillPayment(public_id=pid, bill_key=key, account_row_id=target.account_row_id, account_id=target.account_id, owner_id=target.owner_id,
                      payer_id=target.actor_id, biller_org_id=target.route.org_id, kind=kind, bill_id=bill_id,
                      period=period, due_date=due_date, amount=amount, via=via, state="pending", acks=0, attempts=0,
                      next_action_at=now, transfer_id=f"svc.bill.pay:{pid}", created_at=now, updated_at=now)
    session.add(row)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:  # another request paid this bill at the same moment
        raise BillAlreadyPaid() from exc
    # The bill's row first, then the audit chain: every racer takes the locks in this order.
    if target.for_relative:
        family.act_for(session, actor_citizen_id=target.actor_id, subject_citizen_id=target.owner_id,
                       scope="pay_bills", action="services.bills.pay", resource=f"bill_payment/{pid}",
                       reason="代亲属缴费 (paid a relative's bill)")
    # The wallet cannot cover it: InsufficientFunds, and the whole transaction (the row too) rolls back.
    collection.collect(session, citizen_id=target.actor_id, payee_org_id=target.route.org_id, amount=amount,
                       code=PAY_CODE, ref=pid, transfer_id=row.transfer_id)
    outbox.emit(session, "services.bills.payment.created", {"payment_id": pid, "biller_org_id": row.biller_org_id,
                                                            "amount": amount, "kind": kind, "via": via})
    audit.record(session, actor=actor, action="services.bills.pay", subject_citizen_id=target.owner_id,
                 resource=f"bill_payment/{pid}", reason=f"缴费 {yuan(amount)} 元 (bill payment)",
                 on_behalf_of=target.owner_id if target.for_relative else None)
    return _out(row)


def pay_bill(session: Session, *, target: Target, bills: list[FetchedBill], bill_id: str, amount: int,
             actor: Principal | str, via: str = "app") -> PaymentOut:
    """Pay one of the bills just fetched from the biller (`bills`), for exactly its amount."""
    if target.route.product == "phone":
        raise NotForThisProduct(detail="phone numbers are topped up, not billed")
    bill = next((b for b in bills if b.bill_id == bill_id), None)
    if bill is None:
        raise BillNotFound()
    if bill.status != "unpaid":
        raise BillAlreadyPaid(detail="the biller says this bill is paid")
    if not isinstance(amount, int) or isinstance(amount, bool) or amount != bill.amount:
        raise AmountMismatch()
    return _record(session, target=target, kind="bill", bill_id=bill.bill_id, period=bill.period,
                   due_date=bill.due_date, amount=bill.amount, via=via, actor=actor)


def top_up(session: Session, *, target: Target, amount: int, allowed: list[int], actor: Principal | str) -> PaymentOut:
    """Top up a phone number with one of the biller's fixed amounts (30/50/100/200 yuan)."""
    if target.route.product != "phone":
        raise NotForThisProduct(detail="only phone numbers are topped up")
    if not isinstance(amount, int) or isinstance(amount, bool) or amount not in allowed:
        raise TopUpAmountInvalid()
    return _record(session, target=target, kind="topup", bill_id=topup_bill(target), period=None, due_date=None,
                   amount=amount, via="app", actor=actor)


# --- history ----------------------------------------------------------------------------------------

def _row(session: Session, payment_id: str, *, lock: bool = False) -> BillPayment:
    q = select(BillPayment).where(BillPayment.public_id == payment_id)
    if lock and is_postgres(session):
        q = q.with_for_update()
    row = session.scalars(q).one_or_none()
    if row is None:
        raise PaymentNotFound()
    return row


def get_payment(session: Session, *, payment_id: str, citizen_id: str | None = None,
                biller_org_id: str | None = None) -> PaymentOut:
    row = _row(session, payment_id)
    if citizen_id is not None and citizen_id not in (row.owner_id, row.payer_id):
        raise PaymentNotFound()
    if biller_org_id is not None and row.biller_org_id != biller_org_id:
        raise PaymentNotFound()
    return _out(row)


def history(session: Session, *, citizen_id: str, account_row_id: int | None = None, limit: int = 50) -> list[PaymentOut]:
    """Payments of the citizen's accounts and those they paid for relatives, newest first."""
    q = select(BillPayment).where(or_(BillPayment.owner_id == citizen_id, BillPayment.payer_id == citizen_id))
    if account_row_id is not None:
        q = q.where(BillPayment.account_row_id == account_row_id)
    return [_out(p) for p in session.scalars(q.order_by(BillPayment.created_at.desc(), BillPayment.id.desc())
                                             .limit(limit))]


def account_history(session: Session, *, target: Target, limit: int = 50) -> list[PaymentOut]:
    return [_out(p) for p in session.scalars(select(BillPayment).where(
        BillPayment.account_row_id == target.account_row_id).order_by(BillPayment.created_at.desc(),
                                                                       BillPayment.id.desc()).limit(limit))]


def biller_payments(session: Session, *, biller_org_id: str, start: datetime | None = None,
                    end: datetime | None = None, limit: int = 200) -> list[PaymentOut]:
    q = select(BillPayment).where(BillPayment.biller_org_id == biller_org_id)
    if start is not None:
        q = q.where(BillPayment.created_at >= start)
    if end is not None:
        q = q.where(BillPayment.created_at < end)
    return [_out(p) for p in session.scalars(q.order_by(BillPayment.created_at.desc(), BillPayment.id.desc())
                                             .limit(limit))]


# --- outcomes -----------------------------------------------------------------------------------------

def _move(session: Session, row: BillPayment, target: str) -> None:
    row.state = rules.next_state(row.state, target)
    row.updated_at = clock.now()


def _refund(session: Session, row: BillPayment, reason: str | None) -> None:
    _move(session, row, "refunded")
    row.failure_code = (reason or "biller_rejected")[:40]
    row.refund_transfer_id = f"svc.bill.refund:{row.public_id}"
    row.bill_key = None  # the bill is free again (the biller did not take this payment)
    row.next_action_at = None
    collection.refund(session, citizen_id=row.payer_id, payee_org_id=row.biller_org_id, amount=row.amount,
                      code=REFUND_CODE, ref=row.public_id, transfer_id=row.refund_transfer_id)
    outbox.emit(session, "services.bills.payment.refunded", {"payment_id": row.public_id, "amount": row.amount,
                                                             "failure_code": row.failure_code})
    audit.record(session, actor="services.bills", action="services.bills.refund", subject_citizen_id=row.owner_id,
                 resource=f"bill_payment/{row.public_id}", reason=f"缴费单位拒绝，退款 (biller refused: {row.failure_code})")
    notice(session, citizen_id=row.payer_id, title=("缴费未成功，已退款", "Bill payment refunded"),
           body=(f"缴费单位未受理 {yuan(row.amount)} 元的缴费（{row.failure_code}），款项已退回钱包。",
                 f"The biller did not take the payment of ¥{yuan(row.amount)} ({row.failure_code}); "
                 "the money is back in your wallet."))


def apply_ack(session: Session, *, payment_id: str, ack: Ack) -> str:
    """Take the biller's acknowledgement of an advice (any number of times: only the first changes
    anything). Refused → refund; accepted → acknowledged, status asked after CONFIRM_AFTER."""
    row = _row(session, payment_id, lock=True)
    row.acks += 1
    if row.state != "pending":
        return "duplicate"
    if not ack.accepted:
        _refund(session, row, ack.reason)
        return "refunded"
    _move(session, row, "acknowledged")
    row.biller_ref = (ack.biller_ref or "")[:64] or None
    row.attempts, row.last_error = 0, None
    row.next_action_at = clock.now() + CONFIRM_AFTER
    outbox.emit(session, "services.bills.payment.acknowledged", {"payment_id": row.public_id})
    return "acknowledged"


def apply_status(session: Session, *, payment_id: str, status: AdviceStatus) -> str:
    """Take the biller's status of an advice (idempotent): confirmed → confirmed; rejected → refund;
    not_found → send the advice again (same reference); processing → ask again later."""
    row = _row(session, payment_id, lock=True)
    if row.state in ("confirmed", "refunded"):
        return "duplicate"
    now = clock.now()
    if status.status == "confirmed":
        _move(session, row, "confirmed")
        row.confirmed_at, row.next_action_at = now, None
        row.biller_ref = row.biller_ref or (status.biller_ref or "")[:64] or None
        outbox.emit(session, "services.bills.payment.confirmed", {"payment_id": row.public_id,
                                                                  "biller_org_id": row.biller_org_id,
                                                                  "amount": row.amount})
        notice(session, citizen_id=row.payer_id, title=("缴费成功", "Bill paid"),
               body=(f"{yuan(row.amount)} 元已缴清，缴费单位已销账。",
                     f"¥{yuan(row.amount)} paid; the biller has posted it."))
        return "confirmed"
    if status.status == "rejected":
        _refund(session, row, status.reason)
        return "refunded"
    if status.status == "not_found" and row.state == "acknowledged":
        _move(session, row, "pending")
        row.next_action_at = now
        return "resend"
    _later(row, "processing")
    return "processing"


def _later(row: BillPayment, error: str) -> None:
    row.attempts += 1
    row.last_error = error[:200]
    wait = min(CONFIRM_AFTER * 2 ** min(row.attempts, 12), MAX_BACKOFF)
    row.next_action_at = clock.now() + wait
    row.updated_at = clock.now()


@dataclass(frozen=True)
class _Due:
    payment_id: str
    state: str
    bill_id: str
    amount: int
    route: billers.Route


def dispatch(limit: int = BATCH) -> DispatchOut:
    """Send due advices and ask after acknowledged ones (the job; never inside a caller's transaction:
    each biller call sits between two short transactions of its own). Two runs overlapping may send
    one advice twice: the biller keeps one per reference and its answers are applied once."""
    now = clock.now()
    out = DispatchOut()
    with transaction() as s:
        rows = list(s.scalars(select(BillPayment).where(BillPayment.state.in_(("pending", "acknowledged")),
                                                         BillPayment.next_action_at <= now)
                              .order_by(BillPayment.next_action_at, BillPayment.id).limit(limit)))
        due = []
        for r in rows:
            try:
                route = billers.route_of(billers.active_profile(s, r.biller_org_id))
            except BillerNotFound:  # a paused biller: its advices wait until it is back
                continue
            due.append(_Due(r.public_id, r.state, advice_bill_id(s, account_row_id=r.account_row_id, kind=r.kind,
                                                                 bill_id=r.bill_id), r.amount, route))
    for d in due:
        conn = billers.connector(d.route)
        try:
            if d.state == "pending":
                ack = conn.pay(d.bill_id, d.amount, d.payment_id)
                out.sent += 1
                with transaction() as s:
                    result = apply_ack(s, payment_id=d.payment_id, ack=ack)
            else:
                st = conn.status(d.payment_id)
                with transaction() as s:
                    result = apply_status(s, payment_id=d.payment_id, status=st)
        except (BillerTimeout, BillerDown) as exc:
            _retry_later(d, f"{type(exc).__name__}: {exc}")
            out.retried += 1
            continue
        except Exception as exc:  # a connector's or an answer's bug: this advice waits, the others go on
            log.exception("bills dispatch: payment %s failed unexpectedly", d.payment_id)
            _retry_later(d, f"unexpected {type(exc).__name__}")
            out.retried += 1
            continue
        if result == "acknowledged":
            out.acknowledged += 1
        elif result == "confirmed":
            out.confirmed += 1
        elif result == "refunded":
            out.refunded += 1
    return out


def _retry_later(d: _Due, error: str) -> None:
    """Back off the advice (unless its state moved meanwhile, e.g. by a pushed acknowledgement)."""
    with transaction() as s:
        row = _row(s, d.payment_id, lock=True)
        if row.state == d.state:
            _later(row, error)


def handle_ack(*, biller_org_id: str, ack: Ack) -> str:
    """An acknowledgement the biller pushed (its signed callback): applied once, repeats harmless."""
    with transaction() as s:
        row = _row(s, ack.ref)
        if row.biller_org_id != biller_org_id:
            raise PaymentNotFound()
        return apply_ack(s, payment_id=ack.ref, ack=ack)
