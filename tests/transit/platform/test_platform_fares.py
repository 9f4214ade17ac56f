"""Taps to trips to charges on the platform, with worked examples on the demo fare system
(onecity/transit/data/demo_fares.json: metro by distance 0–6 km ¥2, 6–12 km ¥3, 12–22 km ¥4 …,
maximum fare ¥25; bus 600 ¥2; metro→bus within 90 min ¥1 off; daily cap ¥30, weekly ¥120)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from onecity.ledger import service as ledger
from onecity.payments.wallet import service as wallet_service
from onecity.transit import service
from onecity.transit.models import TransitCharge
from tests.transit.platform.factories import at, make_network, make_rider, rider_ref, set_clock, upload

WEEK = date(2026, 11, 23)


def _charges(session, ref):
    return [c.amount for c in session.scalars(select(TransitCharge).where(TransitCharge.rider_ref == ref)
                                               .order_by(TransitCharge.id))]


def test_a_day_of_rides_priced_and_charged_once(session):
    set_clock(at(0, "07:00"))
    net = make_network(session)
    r = make_rider(session, balance=10_000)
    ref = rider_ref(session, r)
    # 08:00 S01 → 08:20 S04: 5,200 m, ¥2.00 · 18:00 S04 → 18:30 S06: 4,300 m, ¥2.00
    # 18:40 bus 600 from B600-01: ¥2.00 − ¥1.00 transfer (within 90 min of the metro exit) = ¥1.00
    metro = r.ride(at(0, "08:00"), "S01", at(0, "08:20"), "S04") + r.ride(at(0, "18:00"), "S04", at(0, "18:30"), "S06")
    set_clock(at(0, "23:00"))  # uploaded after the taps (the platform refuses taps from its future)
    res = upload(session, net.metro, metro)
    assert (res.accepted, res.duplicates, res.rejected) == (4, 0, 0)
    bus = upload(session, net.bus, [r.tap(at(0, "18:40"), "B600-01", network="bus")])
    assert bus.accepted == 1
    run = service.price_due(session)
    assert run.riders_priced == 1 and run.charges == 2  # one charge per operator for the day
    assert sorted(_charges(session, ref)) == [100, 400]  # bus ¥1.00, metro ¥2.00 + ¥2.00
    # pricing again changes nothing: the day's charges already equal its fares
    assert service.price_due(session).charges == 0
    service.reprice(session, rider_ref=ref, system_id="demo_transit_authority", week=WEEK)
    assert sorted(_charges(session, ref)) == [100, 400]


def test_late_tap_out_reprices_without_double_charge(session):
    set_clock(at(0, "07:00"))
    net = make_network(session)
    r = make_rider(session, balance=10_000)
    ref = rider_ref(session, r)
    tap_in, tap_out = r.ride(at(0, "08:00"), "S01", at(0, "08:20"), "S04")
    set_clock(at(0, "08:05"))
    upload(session, net.metro, [tap_in])
    set_clock(at(0, "10:00"))  # within 240 min: the rider may still be inside, not priced yet
    assert service.price_due(session).charges == 0 and _charges(session, ref) == []
    set_clock(at(0, "13:00"))  # 5 h later the leg is missing its tap out: the maximum fare, ¥25.00
    service.price_due(session)
    assert _charges(session, ref) == [2500]
    set_clock(at(1, "05:00"))  # the next service day: Monday's ¥25.00 is debited
    assert service.debit_due(session).paid == 1
    assert wallet_service.wallet_balance(session, r.citizen_id) == 10_000 - 2500
    # the gate's tap out arrives a day late: the leg is S01 → S04, ¥2.00; the day's charge becomes
    # ¥2.00, so the new charge is ¥2.00 − ¥25.00 = −¥23.00, refunded at the next debit
    assert upload(session, net.metro, [tap_out]).accepted == 1
    service.price_due(session)
    assert _charges(session, ref) == [2500, -2300]
    service.debit_due(session)
    assert wallet_service.wallet_balance(session, r.citizen_id) == 10_000 - 200
    # the same taps again: duplicates, nothing to price, nothing charged
    again = upload(session, net.metro, [tap_in, tap_out])
    assert (again.accepted, again.duplicates) == (0, 2)
    assert service.price_due(session).charges == 0
    assert sum(_charges(session, ref)) == 200
    assert ledger.check(session) == []


def test_daily_cap_across_the_day_and_out_of_order_upload(session):
    set_clock(at(2, "05:00"))
    net = make_network(session)
    r = make_rider(session, balance=100_000)
    ref = rider_ref(session, r)
    records = []
    for k in range(11):  # 11 rides S01 → S06 (9,500 m, ¥3.00 each) on Wednesday
        h = 6 + k
        records += r.ride(at(2, f"{h:02d}:00"), "S01", at(2, f"{h:02d}:30"), "S06")
    records.reverse()  # the gate uploads newest first: order does not matter
    set_clock(at(2, "23:30"))
    assert upload(session, net.metro, records).accepted == 22
    service.price_due(session)
    # 11 × ¥3.00 = ¥33.00, capped at ¥30.00 a day: the 11th ride is free
    assert _charges(session, ref) == [3000]
    st = service.price_week(session, rider_ref=ref, system_id="demo_transit_authority", week=WEEK)
    assert [p.charged for p in st.legs] == [300] * 10 + [0]
    assert st.legs[-1].capped_by == ("daily",)
    trips = service.trips(session, rider_ref=ref, since=WEEK, until=date(2026, 11, 29))
    (day,) = trips.days
    assert (day.fares, day.uncapped, day.charged, day.due) == (3000, 3300, 3000, 3000)


def test_missing_tap_out_corrected_by_operator_then_rider_claim_refused(session):
    set_clock(at(0, "07:00"))
    net = make_network(session)
    r = make_rider(session, balance=10_000)
    ref = rider_ref(session, r)
    tap_in = r.tap(at(0, "08:00"), "S01")
    set_clock(at(0, "08:05"))
    res = upload(session, net.metro, [tap_in])
    tap_id = res.results[0].tap_id
    set_clock(at(0, "20:00"))
    service.price_due(session)
    assert _charges(session, ref) == [2500]
    # the rider says they left at S04 (5,200 m: ¥2.00): the claim is applied at once, −¥23.00
    service.correct(session, tap_id=tap_id, stop_id="S04", source="rider", actor="rider", rider_ref=ref)
    assert _charges(session, ref) == [2500, -2300]
    # the operator's records say S06 (9,500 m: ¥3.00): its correction replaces the claim, +¥1.00
    service.correct(session, tap_id=tap_id, stop_id="S06", source="operator", actor="op",
                    operator_org_id=net.metro.org.public_id)
    assert _charges(session, ref) == [2500, -2300, 100]
    with pytest.raises(service.CorrectionRefused):
        service.correct(session, tap_id=tap_id, stop_id="S04", source="rider", actor="rider", rider_ref=ref)
    with pytest.raises(service.TapNotFound):  # the bus company cannot correct the metro's legs
        service.correct(session, tap_id=tap_id, stop_id="S04", source="operator", actor="op",
                        operator_org_id=net.bus.org.public_id)
    total = session.scalar(select(func.sum(TransitCharge.amount)).where(TransitCharge.rider_ref == ref))
    assert total == 300
