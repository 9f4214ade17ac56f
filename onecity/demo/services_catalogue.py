"""The demo city's service catalogue: the services of Shenzhen's agencies and billers (数据 in
`data/services_catalogue.json`), each published for 440300 — most need no trip at all, some one, a
few more; several are generic application forms (JSON Schema, pre-filled from certificates) run by
the instant / review_one_step / review_two_step / review_then_pay workflows, and the rest point at
the dedicated pages (provident fund, traffic, taxes, bills).

Idempotent: a code the city already has (seeded earlier, or by another area's demo file) is left as
it is; a draft left by an interrupted run is published.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from sqlalchemy.orm import Session

from onecity.errors import DomainError
from onecity.services.catalogue import service as catalogue
from onecity.services.catalogue.schemas import ServiceItemIn

ACTOR = "demo:seed"


def load() -> dict[str, Any]:
    raw = (resources.files("onecity.demo") / "data" / "services_catalogue.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(raw)
    return data


def definitions(data: dict[str, Any], org_ids: dict[str, str]) -> list[ServiceItemIn]:
    """The items whose agency exists, as `ServiceItemIn` (materials and forms resolved)."""
    out = []
    for raw in data["items"]:
        agency = org_ids.get(raw["agency"])
        if agency is None:
            continue
        fields = {**data["defaults"], **{k: v for k, v in raw.items() if k not in ("agency", "form")}}
        fields["agency_org_id"] = agency
        fields["materials"] = [data["material_library"][m] for m in fields.get("materials", [])]
        fields["form_schema"] = data["forms"][raw["form"]] if "form" in raw else None
        out.append(ServiceItemIn.model_validate(fields))
    return out


def seed(session: Session, report: Any, ids: dict[str, str], made: dict[str, Any]) -> None:
    catalogue.ensure_categories(session)
    org_ids = {username: org.public_id for username, org in made.items()}
    lines = []
    for item in definitions(load(), org_ids):
        try:
            existing = catalogue.get_item(session, code=item.code)
        except DomainError:
            existing = None
        if existing is None:
            catalogue.create_item(session, item=item, actor=ACTOR)
            lines.append(f"service {item.code}")
        if existing is None or existing.status == "draft":
            catalogue.publish_item(session, code=item.code, actor=ACTOR)
    published = catalogue.list_items(session)
    if lines:
        lines.append(f"catalogue: {len(published)} services published by "
                     f"{len({i.agency_org_id for i in published})} agencies and billers")
    report.money += lines
