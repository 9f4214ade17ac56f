"""Taps for the fare tests, on the demo fare system (onecity/transit/data/demo_fares.json)."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from onecity.transit.fares import config
from onecity.transit.fares.trips import Tap

SYSTEM = config.load_demo()
CITY = ZoneInfo("Asia/Shanghai")
_ids = itertools.count(1)


def at(day: int, hhmm: str) -> int:
    """Epoch seconds of `hhmm` local time on day `day` of the week of Monday 23 November 2026."""
    h, m = (int(x) for x in hhmm.split(":"))
    return int((datetime(2026, 11, 23, h, m, tzinfo=CITY) + timedelta(days=day)).timestamp())


def tap(
    when: int, stop: str, direction: str = "in", network: str = "metro", tap_id: str | None = None
) -> Tap:
    return Tap(tap_id or f"tap_{next(_ids):06d}", when, network, stop, direction)


def ride(day: int, start: str, frm: str, end: str, to: str) -> list[Tap]:
    """A metro ride: tap in at `frm` at `start`, tap out at `to` at `end`."""
    return [tap(at(day, start), frm, "in"), tap(at(day, end), to, "out")]


def bus(day: int, when: str, network: str = "bus_2y", stop: str = "B600-01") -> Tap:
    return tap(at(day, when), stop, "in", network)
