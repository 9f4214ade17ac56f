"""A fare system (票价体系) as data: one operator's GTFS-Fares-v2-like configuration, loaded from JSON.

The names are GTFS Fares v2's (gtfs.org/schedule/reference): `networks`, `areas` (with the stops in
them), `fare_products` (fare_product_id, fare_product_name, amount, currency), `fare_leg_rules`
(leg_group_id, network_id, from_area_id, to_area_id, fare_product_id, rule_priority),
`fare_transfer_rules` (from_leg_group_id, to_leg_group_id, transfer_count, duration_limit,
duration_limit_type, fare_transfer_type, fare_product_id). Amounts are decimal strings as in GTFS
("2.00", negative for a transfer discount) and become int fen here, at the edge.

OneCity extensions, where GTFS has no field: `min_distance`/`max_distance` (metres, [min, max)) on a
leg rule for Chinese metros' distance bands (计程票价), the distance being the shortest path along
`lines` (each line lists its stations with their position in metres); `tap_out` and
`max_fare_product_id` on a network (charged when a tap is missing); `fare_caps` (day/week, per
service day starting at `service_day_starts` local time); `stops` with their area.
Timeframes (from_timeframe_group_id) are not used by the demo and are not implemented.
"""

from __future__ import annotations

import heapq
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from onecity.errors import DomainError
from onecity.money import InvalidAmount, Money

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
DURATION_LIMIT_TYPES = (0, 1, 2, 3)  # 0 dep→arr, 1 dep→dep, 2 arr→dep, 3 arr→arr (current → next leg)
FARE_TRANSFER_TYPES = (0, 1, 2)  # 0: A + AB, 1: A + AB + B, 2: AB


class FareConfigError(DomainError):
    code = "fare_config_invalid"
    status = 422
    message_zh = "票价配置无效"
    message_en = "The fare configuration is not valid"


def parse_amount(text: str, currency: str) -> int:
    """GTFS "2.00" / "-1.00" as fen, exactly."""
    if not isinstance(text, str):
        raise FareConfigError(f"amount {text!r} is not a decimal string")
    neg = text.startswith("-")
    try:
        fen = Money.parse(text[1:] if neg else text, currency).fen
    except InvalidAmount as exc:
        raise FareConfigError(f"amount {text!r}") from exc
    return -fen if neg else fen


@dataclass(frozen=True)
class Network:
    network_id: str
    network_name: str
    operator_id: str
    tap_out: bool  # metro: tap in and out; bus: tap in only (flat fare)
    max_fare_product_id: str | None = None
    max_trip_minutes: int = 240


@dataclass(frozen=True)
class FareProduct:
    fare_product_id: str
    fare_product_name: str
    amount: int  # fen
    currency: str


@dataclass(frozen=True)
class FareLegRule:
    fare_product_id: str
    leg_group_id: str | None = None
    network_id: str | None = None
    from_area_id: str | None = None
    to_area_id: str | None = None
    min_distance: int | None = None  # metres, inclusive
    max_distance: int | None = None  # metres, exclusive
    rule_priority: int = 0


@dataclass(frozen=True)
class FareTransferRule:
    from_leg_group_id: str
    to_leg_group_id: str
    fare_transfer_type: int
    fare_product_id: str | None = None
    transfer_count: int = -1  # -1: any number of transfers in a row
    duration_limit: int | None = None  # seconds
    duration_limit_type: int | None = None


@dataclass(frozen=True)
class FareCap:
    cap_id: str
    period: str  # "day" | "week"
    amount: int  # fen
    network_ids: tuple[str, ...]


@dataclass
class FareSystem:
    operator_id: str
    currency: str
    timezone: ZoneInfo
    service_day_starts_s: int
    networks: dict[str, Network]
    stop_area: dict[str, str]
    fare_products: dict[str, FareProduct]
    fare_leg_rules: list[FareLegRule]
    fare_transfer_rules: list[FareTransferRule]
    fare_caps: list[FareCap]
    _graph: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    _dist_cache: dict[tuple[str, str], int | None] = field(default_factory=dict)

    def amount(self, fare_product_id: str) -> int:
        return self.fare_products[fare_product_id].amount

    def distance(self, a: str, b: str) -> int | None:
        """Shortest distance in metres along the lines (None when not connected)."""
        if (a, b) not in self._dist_cache:
            self._dist_cache[(a, b)] = self._dijkstra(a, b)
        return self._dist_cache[(a, b)]

    def _dijkstra(self, a: str, b: str) -> int | None:
        if a not in self._graph or b not in self._graph:
            return None
        best = {a: 0}
        queue = [(0, a)]
        while queue:
            d, s = heapq.heappop(queue)
            if s == b:
                return d
            if d > best[s]:
                continue
            for t, w in self._graph[s]:
                if d + w < best.get(t, 1 << 62):
                    best[t] = d + w
                    heapq.heappush(queue, (d + w, t))
        return None


def _opt(d: dict[str, Any], key: str) -> Any:
    v = d.get(key)
    return None if v in ("", None) else v


def from_dict(doc: dict[str, Any]) -> FareSystem:
    """Build and check a fare system; raises FareConfigError naming what is wrong."""
    try:
        currency = doc.get("currency", "CNY")
        h, m = (int(x) for x in doc.get("service_day_starts", "04:00").split(":"))
        networks = {n["network_id"]: Network(n["network_id"], n.get("network_name", n["network_id"]),
                                             n["operator_id"], bool(n["tap_out"]), _opt(n, "max_fare_product_id"),
                                             int(n.get("max_trip_minutes", 240)))
                    for n in doc["networks"]}  # fmt: skip
        stop_area = {s["stop_id"]: s["area_id"] for s in doc.get("stops", [])}
        products = {p["fare_product_id"]: FareProduct(p["fare_product_id"], p.get("fare_product_name", ""),
                                                      parse_amount(p["amount"], p.get("currency", currency)),
                                                      p.get("currency", currency))
                    for p in doc["fare_products"]}  # fmt: skip
        leg_rules = [FareLegRule(r["fare_product_id"], _opt(r, "leg_group_id"), _opt(r, "network_id"),
                                 _opt(r, "from_area_id"), _opt(r, "to_area_id"), _opt(r, "min_distance"),
                                 _opt(r, "max_distance"), int(r.get("rule_priority", 0)))
                     for r in doc["fare_leg_rules"]]  # fmt: skip
        transfer_rules = [FareTransferRule(t["from_leg_group_id"], t["to_leg_group_id"], int(t["fare_transfer_type"]),
                                           _opt(t, "fare_product_id"), int(t.get("transfer_count", -1)),
                                           _opt(t, "duration_limit"), _opt(t, "duration_limit_type"))
                          for t in doc.get("fare_transfer_rules", [])]  # fmt: skip
        caps = [FareCap(c["cap_id"], c["period"], parse_amount(c["amount"], currency), tuple(c["network_ids"]))
                for c in doc.get("fare_caps", [])]  # fmt: skip
        system = FareSystem(doc["operator_id"], currency, ZoneInfo(doc.get("timezone", "Asia/Shanghai")),
                            h * 3600 + m * 60, networks, stop_area, products, leg_rules, transfer_rules, caps)  # fmt: skip
        for line in doc.get("lines", []):
            stops = line["stops"]
            for (s1, p1), (s2, p2) in zip(stops, stops[1:], strict=False):
                w = abs(int(p2) - int(p1))
                system._graph.setdefault(s1, []).append((s2, w))
                system._graph.setdefault(s2, []).append((s1, w))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise FareConfigError(f"fare configuration: {exc!r}") from exc
    _check(system)
    return system


def _check(s: FareSystem) -> None:
    for r in s.fare_leg_rules:
        if r.fare_product_id not in s.fare_products:
            raise FareConfigError(f"leg rule names unknown product {r.fare_product_id}")
        if r.network_id is not None and r.network_id not in s.networks:
            raise FareConfigError(f"leg rule names unknown network {r.network_id}")
    for t in s.fare_transfer_rules:
        if t.fare_transfer_type not in FARE_TRANSFER_TYPES:
            raise FareConfigError(f"fare_transfer_type {t.fare_transfer_type}")
        if (t.duration_limit is None) != (t.duration_limit_type is None):
            raise FareConfigError("duration_limit_type goes with duration_limit, and only with it")
        if t.duration_limit_type is not None and t.duration_limit_type not in DURATION_LIMIT_TYPES:
            raise FareConfigError(f"duration_limit_type {t.duration_limit_type}")
        if t.fare_product_id is not None and t.fare_product_id not in s.fare_products:
            raise FareConfigError(f"transfer rule names unknown product {t.fare_product_id}")
    for n in s.networks.values():
        if n.tap_out and n.max_fare_product_id not in s.fare_products:
            raise FareConfigError(f"network {n.network_id} needs a max_fare_product_id (missing taps)")
    for c in s.fare_caps:
        if c.period not in ("day", "week") or c.amount <= 0:
            raise FareConfigError(f"fare cap {c.cap_id}: period day|week and a positive amount")
    for p in s.fare_products.values():
        if p.currency != s.currency:
            raise FareConfigError(f"product {p.fare_product_id} in {p.currency}, system in {s.currency}")


def load(path: Path) -> FareSystem:
    return from_dict(json.loads(path.read_text(encoding="utf-8")))


def load_demo() -> FareSystem:
    """The demo city's metro and two flat-fare bus lines (onecity/transit/data/demo_fares.json)."""
    return load(DATA_DIR / "demo_fares.json")
