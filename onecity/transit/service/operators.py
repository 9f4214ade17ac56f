"""Fare systems (票价体系) and operators (运营方): which fare configuration prices a network, which
organisation runs it, and the ledger account its fares are paid into."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from onecity import clock
from onecity.identity.orgs import service as orgs
from onecity.ledger import service as ledger
from onecity.ledger.schemas import DEBITS_MUST_NOT_EXCEED_CREDITS, HOT
from onecity.transit.fares import config
from onecity.transit.fares.config import FareSystem
from onecity.transit.models import TransitFareSystem, TransitOperator
from onecity.transit.service.errors import InvalidTransitInput, NotAnOperator


@dataclass(frozen=True)
class LoadedSystem:
    system: FareSystem
    stop_networks: dict[str, tuple[str, ...]]  # stop → the fare networks whose lines or routes call at it
    network_operator: dict[str, str]  # network_id → operator code


# system_id → (the config object last seen, its fingerprint, parsed); the object is kept so that a row
# read again in the same session (same identity, same dict) skips re-serialising the config (~1 ms)
_LOADED: dict[str, tuple[dict[str, Any], str, LoadedSystem]] = {}


def _fingerprint(doc: dict[str, Any]) -> str:
    return json.dumps(doc, sort_keys=True, ensure_ascii=False)


def _load(doc: dict[str, Any]) -> LoadedSystem:
    system = config.from_dict(doc)
    stops: dict[str, list[str]] = {}
    for line in doc.get("lines", []):
        for stop, _ in line["stops"]:
            stops.setdefault(stop, []).append(line["network_id"])
    for route in doc.get("routes", []):
        for stop in route["stop_ids"]:
            stops.setdefault(stop, []).append(route["network_id"])
    return LoadedSystem(system, {s: tuple(dict.fromkeys(n)) for s, n in stops.items()},
                        {n.network_id: n.operator_id for n in system.networks.values()})


def install_fare_system(session: Session, doc: dict[str, Any]) -> str:
    """Store (or replace) a fare system's configuration after checking it; returns its id."""
    _load(doc)  # raises FareConfigError naming what is wrong
    system_id = str(doc["operator_id"])
    row = session.scalars(select(TransitFareSystem).where(TransitFareSystem.system_id == system_id)).one_or_none()
    if row is None:
        session.add(TransitFareSystem(system_id=system_id, config=doc, updated_at=clock.now()))
    elif _fingerprint(row.config) != _fingerprint(doc):
        row.config, row.updated_at = doc, clock.now()
    session.flush()
    return system_id


def loaded(session: Session, system_id: str) -> LoadedSystem:
    """The parsed fare system (parsed once per process and configuration)."""
    row = session.scalars(select(TransitFareSystem).where(TransitFareSystem.system_id == system_id)).one_or_none()
    if row is None:
        raise InvalidTransitInput(f"no fare system {system_id}")
    hit = _LOADED.get(system_id)
    if hit is not None and hit[0] is row.config:
        return hit[2]
    fp = _fingerprint(row.config)
    if hit is None or hit[1] != fp:
        hit = (row.config, fp, _load(row.config))
    else:
        hit = (row.config, fp, hit[2])
    _LOADED[system_id] = hit
    return hit[2]


def operator_account_key(org_id: str) -> str:
    return f"transit_operator:{org_id}:CNY"


def register_operator(session: Session, *, org_id: str, system_id: str, operator_code: str) -> TransitOperator:
    """Make a transit organisation the operator of `operator_code`'s networks in a fare system (idempotent)."""
    org = orgs.get_org(session, org_id)
    if org.kind != "transit":
        raise NotAnOperator(f"{org_id} is a {org.kind} organisation")
    ls = loaded(session, system_id)
    if operator_code not in ls.network_operator.values():
        raise InvalidTransitInput(f"no network of {system_id} is run by {operator_code}")
    row = session.scalars(select(TransitOperator).where(TransitOperator.org_id == org_id)).one_or_none()
    if row is not None:
        return row
    account = ledger.open_account(session, key=operator_account_key(org_id), code="transit_operator", owner=org_id,
                                  flags=DEBITS_MUST_NOT_EXCEED_CREDITS | HOT, name=f"transit fares {org_id}")
    row = TransitOperator(org_id=org_id, system_id=system_id, operator_code=operator_code,
                          ledger_account_id=account.id, created_at=clock.now())
    session.add(row)
    session.flush()
    session.info.pop("transit.operators", None)
    return row


def operator_of(session: Session, org_id: str) -> TransitOperator:
    row = session.scalars(select(TransitOperator).where(TransitOperator.org_id == org_id)).one_or_none()
    if row is None:
        raise NotAnOperator()
    return row


def operators_of_system(session: Session, system_id: str) -> dict[str, TransitOperator]:
    """operator code → operator, for one fare system (read once per transaction: pricing asks per leg)."""
    cache = session.info.setdefault("transit.operators", {})
    found = cache.get(system_id)
    if found is None or any(r not in session for r in found.values()):
        rows = session.scalars(select(TransitOperator).where(TransitOperator.system_id == system_id))
        found = cache[system_id] = {r.operator_code: r for r in rows}
    return dict(found)


def systems(session: Session) -> list[str]:
    return list(session.scalars(select(TransitFareSystem.system_id).order_by(TransitFareSystem.system_id)))
