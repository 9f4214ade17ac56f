"""Worked examples of the demo fare system (onecity/transit/data/demo_fares.json), arithmetic in the
comments. Metro line 1: S01 0 m, S02 2,000, S03 3,600, S04 (钟楼, interchange) 5,200, S05 7,000,
S06 9,500, S07 13,000, S08 24,000. Line 2: S09 0, S10 2,500, S04 4,800, S11 6,600, S12 15,000,
S13 (airport) 37,000. Distance bands: [0, 6 km) ¥2 · [6, 12) ¥3 · [12, 22) ¥4 · [22, 32) ¥5 · 32+ ¥6;
to or from the airport ¥25; a missing tap ¥25 (maximum fare). Bus 12 ¥1, bus 600 ¥2.
Transfers: metro exit → bus within 90 min −¥1; bus tap → metro entry within 90 min −¥1; bus → bus
within 60 min free (once in a row). Caps: ¥30 a service day (from 04:00), ¥120 an ISO week."""

from __future__ import annotations

from datetime import date

import pytest

from onecity.transit.fares import config, pricing
from onecity.transit.fares.config import FareConfigError
from onecity.transit.fares.pricing import NoFareRule, price
from onecity.transit.fares.trips import (
    CORRECTED,
    MISSING_TAP_IN,
    MISSING_TAP_OUT,
    OPEN,
    Correction,
    match_legs,
)
from tests.transit.fares_helpers import SYSTEM, at, bus, ride, tap
from tests.transit.pure import _clean_state  # noqa: F401 - no database: no table wipe


def charged(taps, **kw) -> list[int]:  # type: ignore[no-untyped-def]
    return [p.charged for p in price(SYSTEM, taps, **kw).legs]


def test_1_short_ride_within_one_line():
    # S01 → S03: |3,600 − 0| = 3,600 m < 6,000 → ¥2
    s = price(SYSTEM, ride(0, "08:00", "S01", "08:10", "S03"))
    assert [(p.distance, p.fare_product_id, p.charged) for p in s.legs] == [(3600, "metro_2", 200)]
    assert s.total == 200


def test_2_second_band():
    # S01 → S05: 7,000 m, in [6,000, 12,000) → ¥3
    assert charged(ride(0, "08:00", "S01", "08:15", "S05")) == [300]


def test_3_across_the_interchange_uses_the_shortest_path():
    # S01 → S04 on line 1 = 5,200; S04 → S09 on line 2 = 4,800; 5,200 + 4,800 = 10,000 m → ¥3
    s = price(SYSTEM, ride(0, "08:00", "S01", "08:20", "S09"))
    assert (s.legs[0].distance, s.total) == (10_000, 300)


def test_4_third_and_fourth_bands():
    # S01 → S07 = 13,000 m → ¥4;  S01 → S08 = 24,000 m → ¥5
    assert charged(ride(0, "08:00", "S01", "08:30", "S07")) == [400]
    assert charged(ride(0, "08:00", "S01", "08:40", "S08")) == [500]
    # S08 → S12: (24,000 − 5,200) + (15,000 − 4,800) = 18,800 + 10,200 = 29,000 m → ¥5
    assert charged(ride(0, "08:00", "S08", "08:50", "S12")) == [500]


def test_5_airport_rule_outranks_the_distance_band():
    # S04 → S13 is 37,000 − 4,800 = 32,200 m (band ¥6) but the to-airport rule has priority 10 → ¥25
    s = price(SYSTEM, ride(0, "08:00", "S04", "08:40", "S13"))
    assert (s.legs[0].distance, s.legs[0].fare_product_id, s.total) == (32_200, "metro_airport", 2500)
    # and from the airport too
    assert charged(ride(0, "09:00", "S13", "09:40", "S11")) == [2500]


def test_6_missing_tap_out_pays_the_maximum_fare_and_a_correction_refunds():
    taps = [tap(at(0, "08:00"), "S02", "in"), tap(at(1, "09:00"), "S10", "in")]  # no tap out after either
    s = price(SYSTEM, taps, as_of=at(1, "18:00"))
    # leg 1: missing tap out → metro_max ¥25; leg 2 (next day) never tapped out either (18:00 − 09:00
    # > 240 min) → ¥25
    assert [(p.leg.status, p.charged) for p in s.legs] == [(MISSING_TAP_OUT, 2500), (MISSING_TAP_OUT, 2500)]
    # the rider says they left leg 1 at S04: S02 → S04 = 5,200 − 2,000 = 3,200 m → ¥2
    fixed = price(SYSTEM, taps, corrections=[Correction(taps[0].tap_id, "S04")], as_of=at(1, "18:00"))
    assert [(p.leg.status, p.charged) for p in fixed.legs] == [(CORRECTED, 200), (MISSING_TAP_OUT, 2500)]
    # refund = 5,000 − 2,700 = 2,300 fen
    assert s.total - fixed.total == 2300


def test_7_tap_out_without_tap_in_and_its_correction():
    out = tap(at(0, "08:30"), "S05", "out")
    assert charged([out]) == [2500]  # missing tap in → maximum fare
    # entered at S01: 7,000 m → ¥3
    s = price(SYSTEM, [out], corrections=[Correction(out.tap_id, "S01")])
    assert (s.legs[0].leg.status, s.total) == (CORRECTED, 300)


def test_8_open_leg_is_not_priced_until_the_trip_could_have_ended():
    t = tap(at(0, "08:00"), "S01", "in")
    s = price(SYSTEM, [t], as_of=at(0, "09:00"))  # 60 min < 240 min: maybe still inside
    assert (s.total, [g.status for g in s.open_legs]) == (0, [OPEN])
    s = price(SYSTEM, [t], as_of=at(0, "12:01"))  # 241 min > 240 → missing tap out, ¥25
    assert s.total == 2500


def test_9_bus_to_bus_within_60_minutes_is_free_once():
    taps = [
        bus(0, "08:00", "bus_1y", "B12-01"),
        bus(0, "08:20", "bus_2y"),
        bus(0, "08:40", "bus_1y", "B12-03"),
    ]
    # ¥1 + (type 0: A + AB, AB = ¥0 → the 600 costs 0) + (transfer_count 1 used up → full ¥1) = 1 + 0 + 1 = ¥2
    assert charged(taps) == [100, 0, 100]


def test_10_metro_then_bus_within_90_minutes_gets_one_yuan_off():
    taps = ride(0, "08:00", "S01", "08:30", "S05") + [bus(0, "09:10")]
    # metro S01 → S05 ¥3; bus 600 ¥2, type 1 (A + AB + B): 2 + (−1) = ¥1, 40 min after the exit ≤ 90
    s = price(SYSTEM, taps)
    assert [p.charged for p in s.legs] == [300, 100] and s.total == 400
    assert s.legs[1].transfer is not None and s.legs[1].transfer.fare_transfer_type == 1


def test_11_transfer_window_is_measured_from_the_metro_exit():
    # exit 08:30, bus at 10:05 → 95 min > 90: no discount, 3 + 2 = ¥5
    assert charged(ride(0, "08:00", "S01", "08:30", "S05") + [bus(0, "10:05")]) == [300, 200]
    # bus 12 (¥1) then metro within 90 min: S04 → S07 = 13,000 − 5,200 = 7,800 m → ¥3, − ¥1 = ¥2;
    # total 1 + 2 = ¥3
    assert charged([bus(0, "07:00", "bus_1y", "B12-01")] + ride(0, "07:40", "S04", "07:55", "S07")) == [
        100,
        200,
    ]


def test_12_discount_never_makes_a_leg_negative():
    # metro ¥2 then bus 12 ¥1 within 90 min: max(0, 1 − 1) = 0
    assert charged(ride(0, "08:00", "S01", "08:10", "S03") + [bus(0, "08:30", "bus_1y", "B12-01")]) == [
        200,
        0,
    ]


def test_13_daily_cap():
    taps = []
    for hour in ("07", "09", "11", "13", "15", "17", "19"):  # seven S01 ↔ S08 rides, ¥5 each
        taps += ride(0, f"{hour}:00", "S01", f"{hour}:40", "S08")
    s = price(SYSTEM, taps)
    # 7 × ¥5 = ¥35 uncapped; cap ¥30: six × 500 = 3,000, then 3,000 − 3,000 = 0 left
    assert [p.charged for p in s.legs] == [500] * 6 + [0] and s.total == 3000
    assert s.legs[6].capped_by == ("daily",) and s.legs[5].capped_by == ()


def test_14_daily_cap_cuts_a_leg_partly_and_the_service_day_starts_at_4():
    taps = ride(0, "08:00", "S04", "08:40", "S13") + ride(0, "20:00", "S13", "20:40", "S04") + \
        ride(1, "01:30", "S01", "01:50", "S03") + ride(1, "05:00", "S01", "05:10", "S03")  # fmt: skip
    s = price(SYSTEM, taps)
    # Monday: airport ¥25, back ¥25 → 3,000 − 2,500 = 500 left: the second pays ¥5. Tuesday 01:30 is
    # still Monday's service day (before 04:00): 3,000 − 3,000 = 0. Tuesday 05:00 is Tuesday's: ¥2.
    assert [(p.service_day, p.charged) for p in s.legs] == [
        (date(2026, 11, 23), 2500),
        (date(2026, 11, 23), 500),
        (date(2026, 11, 23), 0),
        (date(2026, 11, 24), 200),
    ]
    assert s.by_day == {date(2026, 11, 23): 3000, date(2026, 11, 24): 200}


def test_15_weekly_cap():
    taps = []
    for day in range(6):  # Monday..Saturday, six ¥5 rides a day = ¥30 a day (exactly the daily cap)
        for hour in ("07", "09", "11", "13", "15", "17"):
            taps += ride(day, f"{hour}:00", "S01", f"{hour}:40", "S08")
    s = price(SYSTEM, taps)
    # Mon–Thu: 4 × 3,000 = 12,000 = the weekly cap; Friday and Saturday: 0
    assert [s.by_day[date(2026, 11, 23 + d)] for d in range(6)] == [3000, 3000, 3000, 3000, 0, 0]
    assert s.total == 12_000
    # the next ISO week starts on Monday 30 November: ¥5 again
    assert price(SYSTEM, taps + ride(7, "08:00", "S01", "08:40", "S08")).total == 12_500


def test_16_out_of_order_and_duplicate_uploads_change_nothing():
    taps = (
        ride(0, "08:00", "S01", "08:15", "S05") + [bus(0, "08:40")] + ride(0, "17:00", "S05", "17:15", "S01")
    )
    # 300 + (200 − 100) + 300 = ¥7
    assert price(SYSTEM, taps).total == 700
    shuffled = [taps[4], taps[2], taps[0], taps[3], taps[1], taps[0], taps[2]]
    assert price(SYSTEM, shuffled).total == 700
    assert [g.status for g in match_legs(shuffled, SYSTEM)] == ["complete"] * 3


def test_17_a_bus_tap_while_inside_the_metro_closes_the_open_leg():
    taps = [tap(at(0, "08:00"), "S01", "in"), bus(0, "08:30"), tap(at(0, "09:00"), "S03", "out")]
    legs = match_legs(taps, SYSTEM)
    assert [g.status for g in legs] == [MISSING_TAP_OUT, "complete", MISSING_TAP_IN]
    # 2,500 + 200 (no transfer from a leg missing its exit) + 2,500 = 5,200; day cap ¥30 → 2,500 + 200 + 300
    assert charged(taps) == [2500, 200, 300]


def test_amounts_are_parsed_exactly_and_config_errors_are_named():
    assert config.parse_amount("-1.00", "CNY") == -100 and config.parse_amount("25.00", "CNY") == 2500
    doc = {
        "operator_id": "x",
        "networks": [{"network_id": "m", "operator_id": "o", "tap_out": True}],
        "fare_products": [],
        "fare_leg_rules": [],
    }
    with pytest.raises(FareConfigError, match="max_fare_product_id"):
        config.from_dict(doc)
    with pytest.raises(FareConfigError):
        config.from_dict({"operator_id": "x"})
    with pytest.raises(FareConfigError):
        config.parse_amount("2.5.0", "CNY")


def test_a_journey_no_rule_covers_is_a_domain_error():
    with pytest.raises(NoFareRule):
        price(SYSTEM, ride(0, "08:00", "S01", "08:10", "NOWHERE"))
    assert pricing.service_day(SYSTEM, at(0, "03:59")) == date(2026, 11, 22)
