"""The demo city's transit: the demo fare system (onecity/transit/data/demo_fares.json) with its metro
run by the city's metro company and its bus lines by the bus company, the platform keys, and the
demo citizens as riders (they get a ride code in the app). Idempotent: seeding twice changes nothing."""

from __future__ import annotations

import json

from sqlalchemy.orm import Session

from onecity.transit.fares.config import DATA_DIR
from onecity.transit.service import keys, operators, riders

DEMO_FARES = DATA_DIR / "demo_fares.json"


def seed_demo(session: Session, *, metro_org_id: str | None, bus_org_id: str | None,
              citizen_ids: list[str]) -> list[str]:
    """Returns the lines the seed report prints."""
    doc = json.loads(DEMO_FARES.read_text(encoding="utf-8"))
    system_id = operators.install_fare_system(session, doc)
    out = []
    for org_id, code in ((metro_org_id, "demo_metro"), (bus_org_id, "demo_bus")):
        if org_id is not None:
            op = operators.register_operator(session, org_id=org_id, system_id=system_id, operator_code=code)
            out.append(f"transit operator {org_id} runs {code} ({system_id}), fares into {op.ledger_account_id}")
    keys.ensure_keys(session)
    for citizen_id in citizen_ids:
        riders.rider(session, citizen_id)
    out.append(f"transit riders: {len(citizen_ids)} demo citizens can show a ride code")
    return out
