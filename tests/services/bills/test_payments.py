"""Fetch → pay → confirm against the simulated biller: money moves once, in the request's transaction;
the advice goes out after commit with retries; confirmations, refusals, lost answers and repeated
acknowledgements each end the way a real biller's would."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from onecity import clock, outbox
from onecity.errors import DomainError
from onecity.ledger import service as ledger
from onecity.ledger.service import InsufficientFunds
from onecity.services import collection
from onecity.services.bills import service
from onecity.services.bills.errors import (
    AccountAlreadyAdded,
    AccountNumberInvalid,
    AccountUnknownAtBiller,
    AmountMismatch,
    BillAlreadyPaid,
    BillerUnavailable,
    BillNotFound,
    TopUpAmountInvalid,
)
from onecity.services.bills.models import BillPayment
from tests.services.bills.factories import (
    WATER_NO,
    WATER_NO_2,
    add_and_pay,
    citizen,
    install_sim,
    make_biller,
    phone_account,
    run_dispatch,
    wallet_fen,
)

T0 = datetime(2026, 11, 10, 2, 0, tzinfo=UTC)  # 10:00 in Shenzhen


def _events(session, topic: str) -> list[dict]:
    return [e.payload for e in session.scalars(select(outbox.OutboxEvent).where(outbox.OutboxEvent.topic == topic))]


def _setup(session, **sim_config: int):  # type: ignore[no-untyped-def]
    clock.freeze(T0)
    org = make_biller(session, "water")
    sim = install_sim(org, **sim_config)
    c = citizen(session, balance=20_000)
    session.commit()  # SQLite: the simulated biller writes in its own transactions
    bill = sim.issue_bill(WATER_NO, period="2026-10", amount=8_640, due_date=date(2026, 11, 20), holder_masked="*芳")
    return org, sim, bill, c


def test_pay_a_water_bill_end_to_end(session):
    org, sim, bill, c = _setup(session)
    acc = service.add_account(session, citizen_id=c.public_id, biller_org_id=org, account_no=WATER_NO, alias="家里水费",
                              actor=c.public_id)
    assert acc.number_masked == WATER_NO[:2] + "****" + WATER_NO[-4:] and acc.product == "water"
    target = service.locate(session, citizen_id=c.public_id, account_id=acc.account_id)
    session.commit()
    fetched = service.fetch_from_biller(target)
    view = service.bills_view(session, target, fetched)
    assert [(b.bill_id, b.amount, b.status, b.holder_masked) for b in view] == [(bill, 8_640, "unpaid", "*芳")]

    paid = service.pay_bill(session, target=target, bills=fetched, bill_id=bill, amount=8_640, actor=c.public_id)
    session.commit()
    # 200.00 − 86.40 = 113.60 in the wallet at once; the biller's payee account holds 86.40.
    assert wallet_fen(session, c.public_id) == 11_360 and collection.received(session, org) == 8_640
    assert paid.state == "pending"
    session.commit()
    assert sim.advice(paid.payment_id) is None  # nothing went out in the transaction

    session.commit()
    out = run_dispatch()
    session.expire_all()
    assert (out.sent, out.acknowledged, out.confirmed, out.refunded) == (1, 1, 1, 0)
    got = service.get_payment(session, payment_id=paid.payment_id, citizen_id=c.public_id)
    assert got.state == "confirmed" and got.biller_ref and got.confirmed_at is not None
    session.commit()
    assert sim.advice(paid.payment_id) == {"status": "confirmed", "received": 1, "amount": 8_640,
                                           "failure_code": None, "bill_id": bill}
    session.commit()
    fresh = service.fetch_from_biller(target)
    assert [b.status for b in service.bills_view(session, target, fresh)] == ["paid"]
    assert _events(session, "services.bills.payment.confirmed")[0]["amount"] == 8_640
    assert [h.payment_id for h in service.history(session, citizen_id=c.public_id)] == [paid.payment_id]
    assert ledger.check(session) == []


def test_paying_a_paid_bill_is_refused_and_changes_nothing(session):
    org, sim, bill, c = _setup(session)
    pid = add_and_pay(session, citizen_id=c.public_id, org_id=org, account_no=WATER_NO, bill_id=bill, amount=8_640)
    acc_id = service.get_payment(session, payment_id=pid).account_id
    target = service.locate(session, citizen_id=c.public_id, account_id=acc_id, scope="pay_bills")
    session.commit()
    before = (wallet_fen(session, c.public_id), session.scalar(select(func.count()).select_from(BillPayment)))
    session.commit()
    # Before the biller knows (the bills fetched earlier still say unpaid): our own record refuses it.
    stale = [service.FetchedBill(bill, "2026-10", 8_640, date(2026, 11, 20), "unpaid")]
    with pytest.raises(BillAlreadyPaid):
        service.pay_bill(session, target=target, bills=stale, bill_id=bill, amount=8_640, actor=c.public_id)
    session.rollback()
    session.commit()
    run_dispatch()
    # After: the biller says paid.
    session.commit()
    fresh = service.fetch_from_biller(target)
    with pytest.raises(BillAlreadyPaid):
        service.pay_bill(session, target=target, bills=fresh, bill_id=bill, amount=8_640, actor=c.public_id)
    session.rollback()
    assert (wallet_fen(session, c.public_id), session.scalar(select(func.count()).select_from(BillPayment))) == before


def test_a_bill_paid_at_the_counter_is_refused(session):
    org, sim, bill, c = _setup(session)
    acc = service.add_account(session, citizen_id=c.public_id, biller_org_id=org, account_no=WATER_NO, alias="水",
                              actor=c.public_id)
    target = service.locate(session, citizen_id=c.public_id, account_id=acc.account_id)
    session.commit()
    stale = service.fetch_from_biller(target)
    session.commit()
    sim.pay_at_counter(bill)
    session.commit()
    fresh = service.fetch_from_biller(target)
    assert fresh[0].status == "paid"
    with pytest.raises(BillAlreadyPaid):
        service.pay_bill(session, target=target, bills=fresh, bill_id=bill, amount=8_640, actor=c.public_id)
    session.rollback()
    # Paid with the stale view (the counter payment came in between): the biller refuses the advice,
    # the citizen gets the money back and a notice.
    paid = service.pay_bill(session, target=target, bills=stale, bill_id=bill, amount=8_640, actor=c.public_id)
    session.commit()
    assert wallet_fen(session, c.public_id) == 20_000 - 8_640
    session.commit()
    out = run_dispatch()
    session.expire_all()
    assert (out.sent, out.refunded) == (1, 1)
    got = service.get_payment(session, payment_id=paid.payment_id)
    assert (got.state, got.failure_code) == ("refunded", "bill_already_paid")
    assert wallet_fen(session, c.public_id) == 20_000 and collection.received(session, org) == 0
    notices = _events(session, "services.bills.notice")
    assert notices[-1]["citizen_id"] == c.public_id and "退" in notices[-1]["title"]["zh"]
    assert ledger.check(session) == []


def test_a_biller_that_rejects_at_posting_refunds_once(session):
    org, sim, bill, c = _setup(session, decline_bp=10_000)
    pid = add_and_pay(session, citizen_id=c.public_id, org_id=org, account_no=WATER_NO, bill_id=bill, amount=8_640)
    session.commit()
    out = run_dispatch(rounds=6)
    session.expire_all()
    assert (out.acknowledged, out.refunded, out.confirmed) == (1, 1, 0)
    got = service.get_payment(session, payment_id=pid)
    assert (got.state, got.failure_code) == ("refunded", "biller_declined")
    assert wallet_fen(session, c.public_id) == 20_000
    target = service.locate(session, citizen_id=c.public_id, account_id=got.account_id)
    session.commit()
    # The bill is due again at the biller and free here: it can be paid anew.
    assert service.bills_view(session, target, sim.fetch(WATER_NO))[0].status == "unpaid"
    session.commit()
    # A late repeat of the biller's answers changes nothing: still refunded, the wallet whole.
    assert service.handle_ack(biller_org_id=org, ack=service.Ack(pid, True, "X")) == "duplicate"
    from onecity.db import transaction

    with transaction() as s:
        assert service.apply_status(s, payment_id=pid, status=service.AdviceStatus(pid, "confirmed")) == "duplicate"
    session.expire_all()
    assert service.get_payment(session, payment_id=pid).state == "refunded"
    assert wallet_fen(session, c.public_id) == 20_000


def test_timeouts_busy_biller_and_lost_acknowledgements_end_confirmed_once(session):
    # Every first advice's acknowledgement is lost (the biller took it): the platform sends it again
    # and the biller acknowledges a second time; the biller is also busy 30 % of the time.
    org, sim, bill, c = _setup(session, duplicate_ack_bp=10_000)
    pid = add_and_pay(session, citizen_id=c.public_id, org_id=org, account_no=WATER_NO, bill_id=bill, amount=8_640)
    sim.config.failure_bp = 3_000
    session.commit()
    # Each round comes after the longest backoff (30 min): 3 good answers in 20 calls when 70 % are good
    # fails with probability Σ_{k<3} C(20,k)·0.7^k·0.3^(20−k) ≈ 5·10⁻⁸.
    run_dispatch(rounds=20, step=timedelta(minutes=31))
    session.expire_all()
    assert service.get_payment(session, payment_id=pid).state == "confirmed"
    session.commit()
    advice = sim.advice(pid)
    assert advice is not None and advice["received"] >= 2 and advice["status"] == "confirmed"
    assert wallet_fen(session, c.public_id) == 20_000 - 8_640 and collection.received(session, org) == 8_640
    row = session.scalars(select(BillPayment).where(BillPayment.public_id == pid)).one()
    assert row.acks >= 1


def test_advices_lost_on_the_way_are_sent_again_until_taken(session):
    org, sim, bill, c = _setup(session, timeout_bp=10_000)  # the network loses every advice for now
    pid = add_and_pay(session, citizen_id=c.public_id, org_id=org, account_no=WATER_NO, bill_id=bill, amount=8_640)
    lost = run_dispatch(rounds=3, step=timedelta(minutes=5))
    assert (lost.retried, lost.acknowledged) == (3, 0)
    assert sim.advice(pid) is None
    sim.config.timeout_bp = 0  # the network is back
    run_dispatch(rounds=4, step=timedelta(minutes=5))
    session.expire_all()
    assert service.get_payment(session, payment_id=pid).state == "confirmed"
    session.commit()
    assert sim.advice(pid)["received"] == 1  # type: ignore[index]
    row = session.scalars(select(BillPayment).where(BillPayment.public_id == pid)).one()
    assert row.last_error is None and wallet_fen(session, c.public_id) == 20_000 - 8_640


def test_an_acknowledged_advice_the_biller_lost_is_sent_again(session):
    org, sim, bill, c = _setup(session)
    pid = add_and_pay(session, citizen_id=c.public_id, org_id=org, account_no=WATER_NO, bill_id=bill, amount=8_640)
    from onecity.db import transaction

    with transaction() as s:
        assert service.apply_ack(s, payment_id=pid, ack=service.Ack(pid, True, "B1")) == "acknowledged"
    clock.advance(timedelta(seconds=10))
    session.commit()
    service.dispatch()  # the biller has no such advice (it never arrived): back to pending
    session.expire_all()
    assert service.get_payment(session, payment_id=pid).state == "pending"
    session.commit()
    run_dispatch()
    session.expire_all()
    assert service.get_payment(session, payment_id=pid).state == "confirmed"


def test_bad_input_changes_nothing(session):
    org, sim, bill, c = _setup(session)
    with pytest.raises(AccountNumberInvalid):
        service.add_account(session, citizen_id=c.public_id, biller_org_id=org, account_no=WATER_NO[:-1] + "0"
                            if WATER_NO[-1] != "0" else WATER_NO[:-1] + "1", alias="x", actor=c.public_id)
    acc = service.add_account(session, citizen_id=c.public_id, biller_org_id=org, account_no=WATER_NO, alias="水",
                              actor=c.public_id)
    with pytest.raises(AccountAlreadyAdded):
        service.add_account(session, citizen_id=c.public_id, biller_org_id=org, account_no=WATER_NO, alias="水2",
                            actor=c.public_id)
    other = service.add_account(session, citizen_id=c.public_id, biller_org_id=org, account_no=WATER_NO_2,
                                alias="老房子", actor=c.public_id)
    session.commit()
    other_target = service.locate(session, citizen_id=c.public_id, account_id=other.account_id)
    target = service.locate(session, citizen_id=c.public_id, account_id=acc.account_id, scope="pay_bills")
    session.commit()
    with pytest.raises(AccountUnknownAtBiller):
        service.fetch_from_biller(other_target)
    session.commit()
    bills = service.fetch_from_biller(target)
    for kwargs, error in [({"bill_id": bill, "amount": 8_600}, AmountMismatch),
                          ({"bill_id": "nope", "amount": 8_640}, BillNotFound)]:
        with pytest.raises(error):
            service.pay_bill(session, target=target, bills=bills, actor=c.public_id, **kwargs)
        session.rollback()
    poor = citizen(session, balance=1_000)
    poor_acc = service.add_account(session, citizen_id=poor.public_id, biller_org_id=org, account_no=WATER_NO,
                                   alias="水", actor=poor.public_id)
    poor_target = service.locate(session, citizen_id=poor.public_id, account_id=poor_acc.account_id)
    session.commit()
    with pytest.raises(InsufficientFunds):
        service.pay_bill(session, target=poor_target, bills=bills, bill_id=bill, amount=8_640, actor=poor.public_id)
    session.rollback()
    assert session.scalar(select(func.count()).select_from(BillPayment)) == 0
    assert wallet_fen(session, c.public_id) == 20_000 and wallet_fen(session, poor.public_id) == 1_000
    session.commit()
    install_sim(org, failure_bp=10_000)
    session.commit()
    with pytest.raises(BillerUnavailable):
        service.fetch_from_biller(target)


def test_phone_top_up_with_fixed_amounts(session):
    clock.freeze(T0)
    org, c, target = phone_account(session, balance=20_000)
    session.commit()
    assert service.fetch_from_biller(target) == []
    allowed = service.get_biller(session, org).topup_amounts
    assert allowed == [3_000, 5_000, 10_000, 20_000]
    with pytest.raises(TopUpAmountInvalid):
        service.top_up(session, target=target, amount=4_000, allowed=allowed, actor=c.public_id)
    one = service.top_up(session, target=target, amount=5_000, allowed=allowed, actor=c.public_id)
    two = service.top_up(session, target=target, amount=5_000, allowed=allowed, actor=c.public_id)  # top up again: fine
    session.commit()
    run_dispatch()
    session.expire_all()
    assert [service.get_payment(session, payment_id=p.payment_id).state for p in (one, two)] == ["confirmed"] * 2
    # 200.00 − 50.00 − 50.00 = 100.00
    assert wallet_fen(session, c.public_id) == 10_000


def test_relatives_see_with_view_bills_and_pay_with_pay_bills(session):
    from onecity.identity.family import service as family
    from tests.services.bills.factories import relatives

    org, sim, bill, _ = _setup(session)
    child, parent = relatives(session, scopes=["view_bills", "pay_bills"], balance=10_000)
    viewer, parent2 = relatives(session, scopes=["view_bills"], balance=10_000)
    stranger = citizen(session, balance=10_000)
    acc = service.add_account(session, citizen_id=parent.public_id, biller_org_id=org, account_no=WATER_NO,
                              alias="爸爸家", actor=parent.public_id)
    acc2 = service.add_account(session, citizen_id=parent2.public_id, biller_org_id=org, account_no=WATER_NO,
                               alias="妈妈家", actor=parent2.public_id)
    session.commit()
    assert [a.account_id for a in service.list_accounts(session, citizen_id=child.public_id,
                                                        owner_id=parent.public_id)] == [acc.account_id]
    with pytest.raises(DomainError) as nf:
        service.list_accounts(session, citizen_id=stranger.public_id, owner_id=parent.public_id)
    assert nf.value.code == "bill_account_not_found"
    service.locate(session, citizen_id=viewer.public_id, account_id=acc2.account_id)  # may look
    with pytest.raises(family.NotAllowedForRelative):
        service.locate(session, citizen_id=viewer.public_id, account_id=acc2.account_id, scope="pay_bills")
    target = service.locate(session, citizen_id=child.public_id, account_id=acc.account_id, scope="pay_bills")
    session.commit()
    fetched = service.fetch_from_biller(target)
    paid = service.pay_bill(session, target=target, bills=fetched, bill_id=bill,
                            amount=8_640, actor=child.public_id)
    session.commit()
    assert (paid.payer_id, paid.owner_id, paid.via) == (child.public_id, parent.public_id, "family")
    # The child's wallet paid: 100.00 − 86.40 = 13.60; both see it in their history.
    assert wallet_fen(session, child.public_id) == 1_360
    assert [p.payment_id for p in service.history(session, citizen_id=parent.public_id)] == [paid.payment_id]
    assert [p.payment_id for p in service.history(session, citizen_id=child.public_id)] == [paid.payment_id]
