"""Paying fares (先乘后付 post-paid, or the prepaid e-bus card 公交卡).

The worker's `transit.debit` job takes each rider whose charges for finished service days are due,
and moves them through the ledger in one atomic group per rider: wallet (or e-bus card) → operator
for a charge, operator → wallet (or card) for a negative one (a refund). Transfer ids are
`transit:<charge id>`, so a rerun after a crash is recognised by the ledger, never applied twice.
When the payer cannot cover the group (insufficient funds) nothing moves, the charges turn `failed`,
the rider is in arrears (欠费) and on the deny-list — unless, for the job, a top-up still in flight
(pending credits on the wallet, e.g. a bank card top-up the bank has not confirmed yet) would cover
it: then the charges stay due and the next run tries again; paying the arrears in the app (`pay_arrears`,
or a later run finding the money there) pays them and lifts the deny entry.

The e-bus card is a ledger account of the citizen's with no overdraft, topped up from the wallet;
a rider who chose it (`payment_mode` card) pays from it instead of the wallet.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from onecity import clock, outbox
from onecity.audit import service as audit
from onecity.ledger import service as ledger
from onecity.ledger.schemas import DEBITS_MUST_NOT_EXCEED_CREDITS, TransferSpec
from onecity.money import Money
from onecity.payments.wallet import service as wallet
from onecity.transit.fares.pricing import service_day
from onecity.transit.models import TransitCharge, TransitRider
from onecity.transit.schemas import ArrearsOut, CardOut, ChargeOut, DebitRunOut
from onecity.transit.service import deny, fares, operators, riders
from onecity.transit.service.errors import ArrearsPaymentFailed, CardTopUpFailed, NoArrears

OUTSTANDING = ("due", "failed")


def card_key(citizen_id: str) -> str:
    return f"transit_card:{citizen_id}:CNY"


def card_account_id(session: Session, citizen_id: str) -> str:
    """The citizen's e-bus card account (no overdraft), opened on first use."""
    wallet.wallet_account_id(session, citizen_id)  # a real-name verified citizen with a wallet
    return ledger.open_account(session, key=card_key(citizen_id), code="transit_card", owner=citizen_id,
                               flags=DEBITS_MUST_NOT_EXCEED_CREDITS, name="公交卡 e-bus card").id


def card(session: Session, citizen_id: str) -> CardOut:
    account = card_account_id(session, citizen_id)
    return CardOut(account_id=account, balance=ledger.balance(session, account).available_balance,
                   payment_mode=riders.rider(session, citizen_id).payment_mode)


def top_up_card(session: Session, *, citizen_id: str, amount: int, request_id: str) -> CardOut:
    """Move `amount` fen from the wallet to the e-bus card; the same request id again is one top-up."""
    source, target = wallet.wallet_account_id(session, citizen_id), card_account_id(session, citizen_id)
    try:
        t = ledger.transfer(session, transfer_id=f"transit-card:{citizen_id}:{request_id}", debit=source,
                            credit=target, amount=amount, code="transit.card_top_up", ref=request_id)
    except ledger.InsufficientFunds as exc:
        raise CardTopUpFailed() from exc
    if not t.replayed:
        outbox.emit(session, "transit.card_topped_up", {"citizen_id": citizen_id, "amount": amount})
    return card(session, citizen_id)


def _payer(session: Session, r: TransitRider) -> tuple[str, str]:
    if r.payment_mode == "card":
        return "card", card_account_id(session, r.citizen_id)
    return "wallet", wallet.wallet_account_id(session, r.citizen_id)


def _outstanding(session: Session, rider_ref: str, through: date | None) -> list[TransitCharge]:
    q = select(TransitCharge).where(TransitCharge.rider_ref == rider_ref, TransitCharge.status.in_(OUTSTANDING))
    if through is not None:
        q = q.where(TransitCharge.service_day <= through)
    return list(session.scalars(q.order_by(TransitCharge.id)))


def settle_rider(session: Session, *, rider_ref: str, through: date | None,
                 wait_for_top_ups: bool = False) -> bool | None:
    """Debit the rider's outstanding charges (up to service day `through`) in one ledger group.
    True: paid (arrears lifted); False: refused (rider in arrears); None: nothing to pay (or, with
    `wait_for_top_ups`, not yet: the payer's pending credits would cover it)."""
    r = fares.lock_rider(session, rider_ref)
    charges = _outstanding(session, rider_ref, through)
    if not charges:
        return None
    paid_from, payer = _payer(session, r)
    accounts = {}
    specs = []
    for c in charges:
        if c.operator_id not in accounts:
            accounts[c.operator_id] = operators.operator_of(session, c.operator_id).ledger_account_id
        op = accounts[c.operator_id]
        debit, credit = (payer, op) if c.amount > 0 else (op, payer)
        specs.append(TransferSpec(transfer_id=f"transit:{c.charge_id}", debit=debit, credit=credit, amount=abs(c.amount),
                                  code="transit.fare" if c.amount > 0 else "transit.fare_refund", ref=c.charge_id))
    net = sum(c.amount for c in charges)
    now = clock.now()
    try:
        ledger.transfer_group(session, specs)
    except (ledger.InsufficientFunds, ledger.CreditLimitExceeded):
        if net <= 0:
            return None  # a refund the operator's account cannot cover yet: not the rider's arrears
        if wait_for_top_ups and not r.in_arrears:
            bal = ledger.balance(session, payer)
            if bal.available_balance + bal.credits_pending >= net:
                return None  # the money is on its way: the charges stay due for the next run
        for c in charges:
            c.status = "failed"
        if not r.in_arrears:
            r.in_arrears, r.updated_at = True, now
            outbox.emit(session, "transit.rider_in_arrears", {"rider_ref": rider_ref, "amount": net})
            audit.record(session, actor="worker", action="transit.arrears", subject_citizen_id=r.citizen_id,
                         resource=f"transit/rider/{rider_ref}",
                         reason=f"乘车扣款失败，欠费 {Money(net).format()} 元，乘车码暂停 fares could not be debited")
        deny.add(session, kind="rider", value=rider_ref, reason="arrears")
        session.flush()
        return False
    for c in charges:
        c.status, c.paid_from, c.transfer_id, c.settled_at = "paid", paid_from, f"transit:{c.charge_id}", now
    outbox.emit(session, "transit.fares_debited", {"rider_ref": rider_ref, "amount": net, "from": paid_from,
                                                   "charges": len(charges)})
    if r.in_arrears:
        r.in_arrears, r.updated_at = False, now
        deny.remove(session, kind="rider", value=rider_ref)
        outbox.emit(session, "transit.arrears_cleared", {"rider_ref": rider_ref})
        audit.record(session, actor="worker", action="transit.arrears_cleared", subject_citizen_id=r.citizen_id,
                     resource=f"transit/rider/{rider_ref}", reason="欠费已付清，乘车码恢复 arrears paid")
    session.flush()
    return True


def debit_due(session: Session, *, through: date | None = None, limit: int = 500) -> DebitRunOut:
    """Debit every rider's charges for service days up to `through` (default: the last finished
    service day of each rider's fare system), at most `limit` riders a run."""
    refs_days = session.execute(select(TransitCharge.rider_ref, TransitCharge.system_id, TransitCharge.service_day)
                                .where(TransitCharge.status.in_(OUTSTANDING)).distinct()).all()
    now = int(clock.now().timestamp())
    today: dict[str, date] = {}
    due: dict[str, date] = {}
    for ref, system_id, day in refs_days:
        if system_id not in today:
            today[system_id] = service_day(operators.loaded(session, system_id).system, now)
        last = through if through is not None else today[system_id] - timedelta(days=1)
        if day <= last:
            due[ref] = max(due.get(ref, last), last)
    out = DebitRunOut(riders=0, paid=0, failed=0, amount=0)
    for ref in sorted(due)[:limit]:
        amount = sum(c.amount for c in _outstanding(session, ref, due[ref]))
        ok = settle_rider(session, rider_ref=ref, through=due[ref], wait_for_top_ups=True)
        if ok is None:
            continue
        out.riders += 1
        if ok:
            out.paid += 1
            out.amount += amount
        else:
            out.failed += 1
    return out


def _charge_out(c: TransitCharge) -> ChargeOut:
    return ChargeOut(charge_id=c.charge_id, service_day=c.service_day, operator_id=c.operator_id, amount=c.amount,
                     status=c.status, paid_from=c.paid_from, created_at=c.created_at)


def arrears(session: Session, citizen_id: str) -> ArrearsOut:
    r = riders.rider(session, citizen_id)
    charges = _outstanding(session, r.rider_ref, None)
    return ArrearsOut(in_arrears=r.in_arrears, amount=sum(c.amount for c in charges),
                      charges=[_charge_out(c) for c in charges])


def pay_arrears(session: Session, *, citizen_id: str) -> ArrearsOut:
    """Pay everything the rider owes now (refused: ArrearsPaymentFailed, nothing changed)."""
    r = riders.rider(session, citizen_id)
    if not r.in_arrears and not _outstanding(session, r.rider_ref, None):
        raise NoArrears()
    ok = settle_rider(session, rider_ref=r.rider_ref, through=None)
    if ok is False:
        raise ArrearsPaymentFailed()
    return arrears(session, citizen_id)


def charges_of(session: Session, citizen_id: str, *, limit: int = 100) -> list[ChargeOut]:
    r = riders.rider(session, citizen_id)
    rows = session.scalars(select(TransitCharge).where(TransitCharge.rider_ref == r.rider_ref)
                           .order_by(TransitCharge.id.desc()).limit(limit))
    return [_charge_out(c) for c in rows]
