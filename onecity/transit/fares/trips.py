"""Matching one rider's taps into legs (进出站匹配).

Rules (`match_legs`), which hold whatever order the taps arrive in (they are sorted by time, then tap
id) and however often a tap is uploaded (one leg per tap id):

- a flat-fare network (bus) needs only a tap in: each tap in is a complete leg;
- on a tap-out network (metro) a tap in opens a leg and the next tap out on that network, within the
  network's max_trip_minutes, closes it;
- a tap in while a leg is open (anywhere), or a tap out too late, leaves the open leg
  `missing_tap_out`; a tap out with no open leg is `missing_tap_in`. Both are charged the network's
  maximum fare until corrected (补票/更正): a `Correction` names the stop the rider really left (or
  entered) by and turns the leg `corrected`, priced like a complete one;
- an open leg younger than max_trip_minutes at `as_of` stays `open` (the rider may still be inside)
  and is not priced yet.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from onecity.transit.fares.config import FareSystem

COMPLETE, CORRECTED, OPEN = "complete", "corrected", "open"
MISSING_TAP_OUT, MISSING_TAP_IN = "missing_tap_out", "missing_tap_in"


@dataclass(frozen=True)
class Tap:
    tap_id: str
    at: int  # epoch seconds (the gate's clock)
    network_id: str
    stop_id: str
    direction: str  # "in" | "out"


@dataclass(frozen=True)
class Correction:
    """The stop a rider really left by (for a leg missing its tap out, `tap_id` its tap in) or entered
    by (for a leg missing its tap in, `tap_id` its tap out)."""

    tap_id: str
    stop_id: str


@dataclass(frozen=True)
class Leg:
    leg_id: str  # the first tap's id
    network_id: str
    status: str
    start: int  # tap in (or the lone tap out) time
    end: int | None
    from_stop: str | None
    to_stop: str | None
    tap_ids: tuple[str, ...]

    @property
    def priced_as_complete(self) -> bool:
        return self.status in (COMPLETE, CORRECTED)


def match_legs(
    taps: Iterable[Tap],
    system: FareSystem,
    *,
    corrections: Iterable[Correction] = (),
    as_of: int | None = None,
) -> list[Leg]:
    unique: dict[str, Tap] = {}
    for t in taps:  # an uploaded-twice tap is one tap; should two copies differ, the same one wins always
        if t.tap_id not in unique or _rank(t) < _rank(unique[t.tap_id]):
            unique[t.tap_id] = t
    ordered = sorted(unique.values(), key=lambda t: (t.at, t.tap_id))
    legs: list[Leg] = []
    open_tap: Tap | None = None

    def close_missing(t: Tap) -> None:
        legs.append(Leg(t.tap_id, t.network_id, MISSING_TAP_OUT, t.at, None, t.stop_id, None, (t.tap_id,)))

    for t in ordered:
        network = system.networks.get(t.network_id)
        if network is None:
            continue  # a tap on a network this fare system does not price
        if t.direction == "in":
            if open_tap is not None:
                close_missing(open_tap)
                open_tap = None
            if network.tap_out:
                open_tap = t
            else:
                legs.append(
                    Leg(t.tap_id, t.network_id, COMPLETE, t.at, t.at, t.stop_id, t.stop_id, (t.tap_id,))
                )
        elif t.direction == "out" and network.tap_out:
            if open_tap is not None and open_tap.network_id == t.network_id and \
                    t.at - open_tap.at <= network.max_trip_minutes * 60:  # fmt: skip
                legs.append(Leg(open_tap.tap_id, t.network_id, COMPLETE, open_tap.at, t.at, open_tap.stop_id,
                                t.stop_id, (open_tap.tap_id, t.tap_id)))  # fmt: skip
                open_tap = None
                continue
            if open_tap is not None:
                close_missing(open_tap)
                open_tap = None
            legs.append(Leg(t.tap_id, t.network_id, MISSING_TAP_IN, t.at, t.at, None, t.stop_id, (t.tap_id,)))
    if open_tap is not None:
        limit = system.networks[open_tap.network_id].max_trip_minutes * 60
        if as_of is not None and as_of - open_tap.at <= limit:
            legs.append(Leg(open_tap.tap_id, open_tap.network_id, OPEN, open_tap.at, None, open_tap.stop_id, None,
                            (open_tap.tap_id,)))  # fmt: skip
        else:
            close_missing(open_tap)
    fixes = {c.tap_id: c.stop_id for c in corrections}
    return [_corrected(leg, fixes) for leg in sorted(legs, key=lambda g: (g.start, g.leg_id))]


def _rank(t: Tap) -> tuple[int, str, str, str]:
    return (t.at, t.network_id, t.stop_id, t.direction)


def _corrected(leg: Leg, fixes: dict[str, str]) -> Leg:
    stop = fixes.get(leg.tap_ids[0])
    if stop is None:
        return leg
    if leg.status == MISSING_TAP_OUT:
        return replace(leg, status=CORRECTED, to_stop=stop)  # exit time stays unknown: no transfer from it
    if leg.status == MISSING_TAP_IN:
        return replace(leg, status=CORRECTED, from_stop=stop)
    return leg
