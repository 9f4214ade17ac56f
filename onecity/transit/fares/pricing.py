"""Pricing one rider's legs (计费): leg fare, transfer, fare caps — in that order, legs by time.

1. Leg fare. A complete (or corrected) leg takes the product of the matching fare_leg_rule with the
   highest rule_priority (first listed on a tie): network, from/to area and distance band must all
   match where the rule sets them. A leg missing a tap pays its network's maximum fare
   (max_fare_product_id) and takes part in no transfer; an open leg is not priced yet.
2. Transfer. When the previous priced leg's leg group and this one's have a fare_transfer_rule whose
   duration limit holds (measured as duration_limit_type says) and whose transfer_count is not used
   up by the transfers just before, this leg costs
   type 0 (A + AB): AB · type 1 (A + AB + B): max(0, B + AB) · type 2 (AB): max(0, AB - A),
   with AB the transfer product's amount (0 when none; negative for a discount).
3. Caps. Each fare cap covering the leg's network limits what its period (the service day, starting
   at service_day_starts local time, or the ISO week of that service day) can be charged: a leg is
   charged at most what is left under every cap that covers it. So a capped period never costs more
   than its cap, and because taps are sorted before matching, the order they arrive in changes
   nothing.

`price` is pure: re-running it with a correction gives the corrected statement; the difference is
what the rider is refunded.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from onecity.errors import DomainError
from onecity.transit.fares.config import FareLegRule, FareSystem, FareTransferRule
from onecity.transit.fares.trips import OPEN, Correction, Leg, Tap, match_legs


class NoFareRule(DomainError):
    code = "fare_rule_missing"
    status = 422
    message_zh = "没有适用的票价规则"
    message_en = "No fare rule applies to this journey"


@dataclass(frozen=True)
class PricedLeg:
    leg: Leg
    fare_product_id: str
    leg_group_id: str | None
    distance: int | None  # metres
    base: int  # fen: the leg's own fare (the maximum fare when a tap is missing)
    after_transfer: int  # fen
    charged: int  # fen, after caps
    transfer: FareTransferRule | None
    capped_by: tuple[str, ...]
    service_day: date


@dataclass(frozen=True)
class Statement:
    legs: list[PricedLeg]
    open_legs: list[Leg]
    total: int
    by_day: dict[date, int]


def service_day(system: FareSystem, at: int) -> date:
    return datetime.fromtimestamp(at - system.service_day_starts_s, system.timezone).date()


def leg_rule(system: FareSystem, leg: Leg) -> tuple[FareLegRule, int | None]:
    """The fare_leg_rule of a complete leg, and its distance in metres."""
    dist = None
    if leg.from_stop is not None and leg.to_stop is not None:
        dist = system.distance(leg.from_stop, leg.to_stop)
    a_from, a_to = system.stop_area.get(leg.from_stop or ""), system.stop_area.get(leg.to_stop or "")
    best: FareLegRule | None = None
    for r in system.fare_leg_rules:
        if ((r.network_id is None or r.network_id == leg.network_id)
                and (r.from_area_id is None or r.from_area_id == a_from)
                and (r.to_area_id is None or r.to_area_id == a_to)
                and (r.min_distance is None or (dist is not None and dist >= r.min_distance))
                and (r.max_distance is None or (dist is not None and dist < r.max_distance))
                and (best is None or r.rule_priority > best.rule_priority)):  # fmt: skip
            best = r
    if best is None:
        raise NoFareRule(f"{leg.network_id} {leg.from_stop} → {leg.to_stop}")
    return best, dist


def _within(t: FareTransferRule, prev: Leg, cur: Leg) -> bool:
    if t.duration_limit is None:
        return True
    a = prev.start if t.duration_limit_type in (0, 1) else prev.end
    b = cur.end if t.duration_limit_type in (0, 3) else cur.start
    return a is not None and b is not None and 0 <= b - a <= t.duration_limit


def _transfer_rule(system: FareSystem, prev: PricedLeg, cur: Leg, cur_group: str | None,
                   chain: int) -> FareTransferRule | None:  # fmt: skip
    if prev.leg_group_id is None or cur_group is None:
        return None
    for t in system.fare_transfer_rules:
        if (t.from_leg_group_id == prev.leg_group_id and t.to_leg_group_id == cur_group
                and (t.transfer_count < 0 or chain < t.transfer_count) and _within(t, prev.leg, cur)):  # fmt: skip
            return t
    return None


def _with_transfer(fare_transfer_type: int, *, a: int, ab: int, b: int) -> int:
    """What the next leg costs: type 0 (A + AB) AB, type 1 (A + AB + B) B + AB, type 2 (AB) AB − A;
    never below nothing."""
    return max(0, {0: ab, 1: b + ab, 2: ab - a}[fare_transfer_type])


def price_legs(system: FareSystem, legs: Iterable[Leg]) -> Statement:
    ordered = sorted(legs, key=lambda g: (g.start, g.leg_id))
    priced: list[PricedLeg] = []
    spent: dict[tuple[str, object], int] = defaultdict(int)
    by_day: dict[date, int] = defaultdict(int)
    chain = 0
    prev: PricedLeg | None = None
    for leg in ordered:
        if leg.status == OPEN:
            continue
        if leg.priced_as_complete:
            rule, dist = leg_rule(system, leg)
            product, group = rule.fare_product_id, rule.leg_group_id
        else:
            product = system.networks[leg.network_id].max_fare_product_id or ""
            dist, group = None, None
        base = system.amount(product)
        after, transfer = base, None
        if prev is not None:
            transfer = _transfer_rule(system, prev, leg, group, chain)
        if transfer is not None and prev is not None:
            ab = system.amount(transfer.fare_product_id) if transfer.fare_product_id else 0
            after = _with_transfer(transfer.fare_transfer_type, a=prev.after_transfer, ab=ab, b=base)
            chain += 1
        else:
            chain = 0
        day = service_day(system, leg.start)
        charge, capped = after, []
        keys = []
        for cap in system.fare_caps:
            if leg.network_id not in cap.network_ids:
                continue
            key = (cap.cap_id, day if cap.period == "day" else tuple(day.isocalendar())[:2])
            keys.append(key)
            left = max(0, cap.amount - spent[key])
            if charge > left:
                charge = left
                capped.append(cap.cap_id)
        for key in keys:
            spent[key] += charge
        by_day[day] += charge
        prev = PricedLeg(leg, product, group, dist, base, after, charge, transfer, tuple(capped), day)
        priced.append(prev)
    return Statement(
        priced, [g for g in ordered if g.status == OPEN], sum(p.charged for p in priced), dict(by_day)
    )


def price(system: FareSystem, taps: Iterable[Tap], *, corrections: Iterable[Correction] = (),
          as_of: int | None = None) -> Statement:  # fmt: skip
    """One rider's taps to a statement: match, then price."""
    return price_legs(system, match_legs(taps, system, corrections=corrections, as_of=as_of))
