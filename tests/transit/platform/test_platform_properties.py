"""Property: however a rider's taps arrive — in any order, split into any batches, some sent twice,
with pricing runs in between — the charges add up to the fares of all the taps priced at once, and
each tap is stored once. Never double-charged, never under-charged."""

from __future__ import annotations

from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from onecity import clock
from onecity.transit import service
from onecity.transit.models import TransitCharge, TransitTap
from tests.transit.platform.factories import at, make_network, make_rider, rider_ref, set_clock, upload

STOPS = ["S01", "S02", "S04", "S06", "S08", "S13"]
rides = st.lists(st.tuples(st.integers(0, 1), st.integers(6, 20), st.sampled_from(STOPS), st.sampled_from(STOPS),
                           st.booleans()), min_size=1, max_size=12)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rides=rides, order=st.randoms(use_true_random=False), cuts=st.integers(1, 4), resend=st.integers(0, 3))
def test_charges_equal_the_fares_of_all_taps_whatever_the_arrival(session, rides, order, cuts, resend):
    clock.reset()
    set_clock(at(0, "05:00"))
    if service.operators.systems(session) == []:
        make_network(session)
    net = service.operators.operators_of_system(session, "demo_transit_authority")
    metro = net["demo_metro"].org_id
    r = make_rider(session, balance=100_000)
    ref = rider_ref(session, r)
    records = []
    for day in (0, 1):
        set_clock(at(day, "05:00"))
        cert = r.certify(session)
        for d, hour, frm, to, taps_out in rides:
            if d != day:
                continue
            records.append(r.tap(at(day, f"{hour:02d}:00"), frm, cert=cert))
            if taps_out:  # else a missing tap out: the maximum fare
                records.append(r.tap(at(day, f"{hour:02d}:30"), to, "out", cert=cert))
    order.shuffle(records)
    batches = [records[i::cuts] for i in range(cuts)] + [records[:resend]]
    for k, batch in enumerate(batches):
        set_clock(at(1, "21:00") + 600 * k)  # after the last tap: the platform refuses taps from its future
        if batch:
            upload(session, metro, batch)
        service.price_due(session)
    set_clock(at(3, "05:00"))
    service.price_due(session)
    stored = session.scalar(select(func.count()).select_from(TransitTap).where(TransitTap.rider_ref == ref))
    assert stored == len(records)
    charged = session.scalar(select(func.coalesce(func.sum(TransitCharge.amount), 0)).where(
        TransitCharge.rider_ref == ref))
    statement = service.price_week(session, rider_ref=ref, system_id="demo_transit_authority",
                                   week=date(2026, 11, 23))
    assert charged == statement.total
    assert statement.total <= 3000 * 2  # never above the daily cap on either day
