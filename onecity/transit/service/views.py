"""Read-only views for transit's pages (乘车码页、行程、运营方控制台): the names a person reads (stops,
networks, fare products) from the fare configurations (an operator's taps with the console's filters:
taps.list_taps), whether a certificate serial was ever issued, and the verdict a gate would give a scanned
code now (the console's code check). Nothing here changes state."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from onecity import clock
from onecity.transit.denylist import DenyList
from onecity.transit.gate import NETWORK_FLAGS, Gate, GatePlace, Verdict
from onecity.transit.models import TransitDeviceCertificate, TransitFareSystem
from onecity.transit.service import deny, keys
from onecity.transit.service.errors import InvalidTransitInput


@dataclass(frozen=True)
class Names:
    """Display names by id; an id without a name shows as itself."""

    stops: dict[str, str] = field(default_factory=dict)
    networks: dict[str, str] = field(default_factory=dict)
    products: dict[str, str] = field(default_factory=dict)
    stop_ids_by_network: dict[str, list[str]] = field(default_factory=dict)

    def stop(self, stop_id: str | None) -> str:
        return "—" if stop_id is None else self.stops.get(stop_id, stop_id)

    def network(self, network_id: str | None) -> str:
        return "—" if network_id is None else self.networks.get(network_id, network_id)

    def product(self, product_id: str | None) -> str:
        return "—" if product_id is None else self.products.get(product_id, product_id)


def names(session: Session, system_id: str | None = None) -> Names:
    """The names of one fare system (or of every one, merged)."""
    q = select(TransitFareSystem.config)
    if system_id is not None:
        q = q.where(TransitFareSystem.system_id == system_id)
    out = Names()
    for doc in session.scalars(q):
        out.stops.update({s["stop_id"]: s.get("stop_name", s["stop_id"]) for s in doc.get("stops", [])})
        out.networks.update({n["network_id"]: n.get("network_name", n["network_id"]) for n in doc.get("networks", [])})
        out.products.update({p["fare_product_id"]: p.get("fare_product_name", p["fare_product_id"])
                             for p in doc.get("fare_products", [])})
        for line in doc.get("lines", []):
            out.stop_ids_by_network.setdefault(line["network_id"], []).extend(s for s, _ in line["stops"])
        for route in doc.get("routes", []):
            out.stop_ids_by_network.setdefault(route["network_id"], []).extend(route["stop_ids"])
    for net, stops in out.stop_ids_by_network.items():
        out.stop_ids_by_network[net] = list(dict.fromkeys(stops))
    return out


def certificate_issued(session: Session, serial: int) -> bool:
    """Whether the platform ever signed a device certificate with this serial."""
    return session.scalars(select(TransitDeviceCertificate.id).where(
        TransitDeviceCertificate.serial == serial)).first() is not None


def check_code(session: Session, *, text: str, network: str) -> Verdict:
    """What a gate on `network` holding the platform's keys and today's deny-list says of a scanned
    code now (without remembering it: a check is not a tap)."""
    if network not in NETWORK_FLAGS:
        raise InvalidTransitInput(f"network is one of {tuple(NETWORK_FLAGS)}")
    deny_list = DenyList()
    deny_list.update(deny.whole(session))
    gate = Gate(GatePlace("console", "-", network, "in"), keys.verifying_key_set(session), deny=deny_list)
    return gate.check(text, now=int(clock.now().timestamp()))
