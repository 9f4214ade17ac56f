"""Invariants of fare pricing over any taps (Hypothesis): caps hold, upload order and duplicates change
nothing, no leg costs more than its own fare or less than nothing."""

from __future__ import annotations

from collections import defaultdict

from hypothesis import given, settings
from hypothesis import strategies as st

from onecity.transit.fares.pricing import price
from onecity.transit.fares.trips import Tap
from tests.transit.fares_helpers import SYSTEM, at
from tests.transit.pure import _clean_state  # noqa: F401 - no database: no table wipe

METRO_STOPS = [f"S{i:02d}" for i in range(1, 14)]
DAILY = next(c.amount for c in SYSTEM.fare_caps if c.period == "day")
WEEKLY = next(c.amount for c in SYSTEM.fare_caps if c.period == "week")


@st.composite
def a_tap(draw: st.DrawFn) -> tuple[int, str, str, str]:
    when = at(draw(st.integers(0, 9)), "00:00") + draw(st.integers(0, 86_399))
    network = draw(st.sampled_from(["metro", "metro", "metro", "bus_1y", "bus_2y"]))
    if network == "metro":
        return when, network, draw(st.sampled_from(METRO_STOPS)), draw(st.sampled_from(["in", "out"]))
    return when, network, "B12-01" if network == "bus_1y" else "B600-01", "in"


taps_strategy = st.lists(a_tap(), max_size=40).map(
    lambda xs: [Tap(f"tap_{i:03d}", w, n, s, d) for i, (w, n, s, d) in enumerate(xs)]
)
PROPS = settings(max_examples=200, deadline=None)


@given(taps_strategy)
@PROPS
def test_a_capped_day_never_costs_more_than_the_cap_nor_a_week_more_than_its_cap(taps: list[Tap]) -> None:
    s = price(SYSTEM, taps)
    weeks: dict[tuple[int, int], int] = defaultdict(int)
    for day, amount in s.by_day.items():
        assert 0 <= amount <= DAILY
        weeks[tuple(day.isocalendar())[:2]] += amount  # type: ignore[index]
    assert all(w <= WEEKLY for w in weeks.values())
    assert s.total == sum(s.by_day.values()) == sum(p.charged for p in s.legs)
    for p in s.legs:
        assert 0 <= p.charged <= p.after_transfer <= p.base


@given(taps_strategy, st.randoms(use_true_random=False), st.lists(st.integers(0, 39), max_size=10))
@PROPS
def test_upload_order_and_duplicate_uploads_do_not_change_the_total(taps: list[Tap], rnd, dup_idx) -> None:  # type: ignore[no-untyped-def]
    first = price(SYSTEM, taps)
    again = list(taps) + [taps[i] for i in dup_idx if i < len(taps)]
    rnd.shuffle(again)
    second = price(SYSTEM, again)
    assert second.total == first.total
    assert [(p.leg.leg_id, p.charged) for p in second.legs] == [(p.leg.leg_id, p.charged) for p in first.legs]


@given(taps_strategy)
@PROPS
def test_every_tap_lands_in_exactly_one_leg(taps: list[Tap]) -> None:
    s = price(SYSTEM, taps, as_of=at(20, "00:00"))
    ids = [t for p in s.legs for t in p.leg.tap_ids]
    # bus "out" taps are ignored; every other tap is in one priced leg (nothing is left open 10 days on)
    assert sorted(ids) == sorted(t.tap_id for t in taps if t.network_id == "metro" or t.direction == "in")
    assert not s.open_legs
