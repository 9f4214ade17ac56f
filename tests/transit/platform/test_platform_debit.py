"""Post-paid debit through the ledger, arrears and the deny-list, the e-bus card."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from onecity import clock
from onecity.ledger import service as ledger
from onecity.payments.wallet import service as wallet
from onecity.transit import service
from onecity.transit.denylist import DenyList
from onecity.transit.models import TransitCharge
from tests.payments.trade.factories import fund_wallet
from tests.transit.platform.factories import at, make_network, make_rider, rider_ref, set_clock, upload


def _statuses(session, ref):
    return [(c.amount, c.status, c.paid_from) for c in session.scalars(
        select(TransitCharge).where(TransitCharge.rider_ref == ref).order_by(TransitCharge.id))]


def _operator_balance(session, op):
    return ledger.balance(session, service.operator_of(session, op.org.public_id).ledger_account_id).posted_balance


def test_arrears_deny_list_pay_lifted(session):
    set_clock(at(0, "07:00"))
    net = make_network(session)
    r = make_rider(session, balance=300)
    ref = rider_ref(session, r)
    # Monday: S01 → S08 (24,000 m: ¥5.00) — more than the ¥3.00 in the wallet
    set_clock(at(0, "12:00"))  # the gate uploads after its taps (the platform refuses taps from its future)
    upload(session, net.metro, r.ride(at(0, "08:00"), "S01", at(0, "08:50"), "S08"))
    service.price_due(session)
    assert service.debit_due(session).riders == 0  # the service day is not over: nothing debited yet
    set_clock(at(1, "04:30"))
    gate_list = DenyList()
    gate_list.update(service.deny.whole(session))
    v0 = gate_list.version
    run = service.debit_due(session)
    assert (run.riders, run.paid, run.failed) == (1, 0, 1)
    assert _statuses(session, ref) == [(500, "failed", None)]
    assert wallet.wallet_balance(session, r.citizen_id) == 300  # nothing moved: the group is all or nothing
    assert service.rider_summary(session, r.citizen_id).in_arrears
    # gates learn it from a delta: the rider is denied at the next tap
    delta = service.deny.delta(session, since=v0)
    assert delta["add"]["riders"] == [ref] and delta["to_version"] == v0 + 1
    gate_list.update(delta)
    assert gate_list.denies(rider_ref=bytes.fromhex(ref), serial=0) == "rider"
    with pytest.raises(service.RiderInArrears):  # and the phone gets no new certificate
        r.certify(session)
    # a later run still cannot debit: still in arrears, the deny-list unchanged
    assert service.debit_due(session).failed == 1
    assert service.deny.current_version(session) == v0 + 1
    unchanged = service.deny.delta(session, since=gate_list.version)  # nothing new: from == to, a no-op
    assert (unchanged["from_version"], unchanged["to_version"]) == (v0 + 1, v0 + 1)
    gate_list.update(unchanged)
    assert gate_list.version == v0 + 1 and gate_list.riders == {bytes.fromhex(ref)}
    with pytest.raises(service.ArrearsPaymentFailed):
        service.pay_arrears(session, citizen_id=r.citizen_id)
    fund_wallet(session, r.citizen_id, 1000)
    out = service.pay_arrears(session, citizen_id=r.citizen_id)
    assert (out.in_arrears, out.amount) == (False, 0)
    assert _statuses(session, ref) == [(500, "paid", "wallet")]
    assert wallet.wallet_balance(session, r.citizen_id) == 300 + 1000 - 500
    assert _operator_balance(session, net.metro) == 500
    gate_list.update(service.deny.delta(session, since=gate_list.version))
    assert gate_list.riders == set()
    r.certify(session)  # riding again
    with pytest.raises(service.NoArrears):
        service.pay_arrears(session, citizen_id=r.citizen_id)
    # a rerun of the debit finds nothing: the ledger holds one transfer per charge
    assert service.debit_due(session).riders == 0
    assert [t.amount for t in ledger.transfers_by_ref(session, _statuses_ids(session, ref)[0])] == [500]
    assert ledger.check(session) == []


def _statuses_ids(session, ref):
    return [c.charge_id for c in session.scalars(select(TransitCharge).where(TransitCharge.rider_ref == ref))]


def test_e_bus_card_pays_instead_of_the_wallet(session):
    set_clock(at(0, "07:00"))
    net = make_network(session)
    r = make_rider(session, balance=5000)
    ref = rider_ref(session, r)
    card = service.top_up_card(session, citizen_id=r.citizen_id, amount=1000, request_id="t1")
    assert card.balance == 1000
    assert service.top_up_card(session, citizen_id=r.citizen_id, amount=1000, request_id="t1").balance == 1000
    with pytest.raises(service.CardTopUpFailed):
        service.top_up_card(session, citizen_id=r.citizen_id, amount=100_000, request_id="t2")
    service.set_payment_mode(session, citizen_id=r.citizen_id, mode="card")
    # two bus rides ¥2.00 + ¥2.00 within an hour: the second is a free bus→bus transfer (type 0, ¥0)
    set_clock(at(0, "09:00"))
    upload(session, net.bus, [r.tap(at(0, "08:00"), "B600-01", network="bus"),
                              r.tap(at(0, "08:30"), "B600-03", network="bus")])
    set_clock(at(1, "05:00"))
    service.price_due(session)
    assert service.debit_due(session).paid == 1
    assert _statuses(session, ref) == [(200, "paid", "card")]
    assert service.card(session, r.citizen_id).balance == 800
    assert wallet.wallet_balance(session, r.citizen_id) == 4000
    # the card cannot go below zero: a ride it cannot cover puts the rider in arrears
    set_clock(at(1, "07:30"))
    stale = r.ride(at(1, "08:00"), "S01", at(1, "08:30"), "S13")  # codes under Monday's certificate
    r.certify(session)
    fresh = r.ride(at(1, "08:00"), "S01", at(1, "08:30"), "S13")
    set_clock(at(1, "09:00"))
    late = upload(session, net.metro, stale)
    assert [x.reason for x in late.results] == ["certificate_expired"] * 2  # Monday's certificate ended 07:00
    assert upload(session, net.metro, fresh).accepted == 2  # ¥25
    set_clock(at(2, "05:00"))
    service.price_due(session)
    assert service.debit_due(session).failed == 1
    assert service.card(session, r.citizen_id).balance == 800
    # back to post-paid: paying the arrears takes it from the wallet
    service.set_payment_mode(session, citizen_id=r.citizen_id, mode="postpaid")
    service.pay_arrears(session, citizen_id=r.citizen_id)
    assert wallet.wallet_balance(session, r.citizen_id) == 4000 - 2500
    assert ledger.check(session) == []


def test_weekly_cap_lowers_later_days(session):
    set_clock(at(0, "05:00"))
    net = make_network(session)
    r = make_rider(session, balance=1_000_000)
    ref = rider_ref(session, r)
    # every day Monday–Friday: 6 airport rides (¥25 each, ¥150, capped at ¥30 a day)
    for day in range(5):
        set_clock(at(day, "05:00"))
        r.certify(session)
        records = []
        for k in range(6):
            records += r.ride(at(day, f"{6 + 2 * k:02d}:00"), "S04", at(day, f"{6 + 2 * k:02d}:50"), "S13")
        set_clock(at(day, "17:00"))
        assert upload(session, net.metro, records).accepted == 12
    set_clock(at(5, "05:00"))
    service.price_due(session)
    # ¥30 a day, but the week is capped at ¥120: Friday is free
    st = service.price_week(session, rider_ref=ref, system_id="demo_transit_authority", week=at_date(0))
    assert st.by_day == {at_date(d): 3000 for d in range(4)} | {at_date(4): 0}
    assert [a for a, _, _ in _statuses(session, ref)] == [3000, 3000, 3000, 3000]
    service.debit_due(session)
    assert wallet.wallet_balance(session, r.citizen_id) == 1_000_000 - 12_000


def at_date(day):
    from datetime import date, timedelta

    return date(2026, 11, 23) + timedelta(days=day)


def test_lost_phone_denied_by_serial(session):
    set_clock(at(0, "07:00"))
    net = make_network(session)
    r = make_rider(session)
    cert = service.riders.issue_certificate(session, citizen_id=r.citizen_id, device_public=r.device.public)
    before = r.tap(at(0, "07:30"), "S01")
    set_clock(at(0, "08:00"))
    assert service.report_device_lost(session, citizen_id=r.citizen_id, serial=cert.serial)
    set_clock(at(0, "08:15"))
    # a gate that had not heard yet let the thief in at 08:10: that tap is not the owner's to pay
    res = upload(session, net.metro, [before, r.tap(at(0, "08:10"), "S04", "out")])
    assert [(x.result, x.reason) for x in res.results] == [("accepted", None), ("rejected", "denied")]
    whole = service.deny.whole(session)
    assert cert.serial in whole["serials"] and whole["riders"] == []
    with pytest.raises(service.RiderDenied):  # that device key gets no new certificate
        r.certify(session)
    # once its certificates have expired, the phone comes off the list gates hold
    assert service.riders.prune_expired_devices(session) == 0
    clock.advance(timedelta(hours=25))
    assert service.riders.prune_expired_devices(session) == 2  # both certificates that phone held
    assert service.deny.whole(session)["serials"] == []


def test_a_top_up_in_flight_defers_the_debit_instead_of_arrears(session):
    from tests.payments.trade.factories import funding_account

    set_clock(at(0, "07:00"))
    net = make_network(session)
    r, s = make_rider(session, balance=0), make_rider(session, balance=0)
    ref, sref = rider_ref(session, r), rider_ref(session, s)
    set_clock(at(0, "09:00"))
    # both ride S01 → S04 (5,200 m, ¥2.00) with empty wallets; each has a bank top-up not yet confirmed:
    # r's ¥10.00 would cover the fare, s's ¥1.00 would not
    upload(session, net.metro, r.ride(at(0, "08:00"), "S01", at(0, "08:20"), "S04")
           + s.ride(at(0, "08:01"), "S01", at(0, "08:21"), "S04"))
    holds = {}
    for who, amount in ((r, 1000), (s, 100)):
        holds[who.citizen_id] = ledger.transfer(
            session, transfer_id=f"tst-hold-{who.citizen_id}", debit=funding_account(session),
            credit=wallet.wallet_account_id(session, who.citizen_id), amount=amount, code="test.topup", pending=True)
    set_clock(at(1, "05:00"))
    service.price_due(session)
    run = service.debit_due(session)
    assert (run.riders, run.paid, run.failed) == (1, 0, 1)  # r waits for the money, s is in arrears
    assert _statuses(session, ref) == [(200, "due", None)] and _statuses(session, sref) == [(200, "failed", None)]
    assert not service.rider_summary(session, r.citizen_id).in_arrears
    assert service.deny.whole(session)["riders"] == [sref]
    # the bank confirms r's top-up: the next run debits the fare
    ledger.post_pending(session, transfer_id="tst-post-r", pending_id=holds[r.citizen_id].transfer_id)
    set_clock(at(1, "05:30"))
    run = service.debit_due(session)
    assert (run.paid, run.amount) == (1, 200) and _statuses(session, ref) == [(200, "paid", "wallet")]
    assert wallet.wallet_balance(session, r.citizen_id) == 800
    assert ledger.check(session) == []
