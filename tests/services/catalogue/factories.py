"""Factories for service items, built through the real catalogue service (they only flush).

    agency = make_org(session, kind="agency")
    item = make_item(session, agency, code="hpf.withdraw.rent", name=("住房公积金租房提取", "Provident fund withdrawal for rent"))
    session.commit()
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from onecity.identity.orgs.models import Org
from onecity.services.catalogue import service
from onecity.services.catalogue.schemas import I18n, ServiceItemIn, ServiceItemOut

FORM: dict[str, Any] = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "title": "姓名", "maxLength": 50},
        "purpose": {"type": "string", "title": "用途", "maxLength": 200},
    },
    "required": ["name", "purpose"],
}


def item_in(agency_org_id: str, **kw: Any) -> ServiceItemIn:
    name = kw.pop("name", ("户籍证明开具", "Household registration certificate"))
    description = kw.pop("description", ("开具户籍证明。", "Issue a certificate of household registration."))
    data: dict[str, Any] = {
        "code": "ps.household.certificate",
        "agency_org_id": agency_org_id,
        "name": I18n(zh=name[0], en=name[1]),
        "category": "household",
        "description": I18n(zh=description[0], en=description[1]),
        "time_limit_days": 1,
        "trips": 0,
        "entry": "form",
        "form_schema": FORM,
        "prefill": {"name": "profile.name"},
        "workflow": "review_one_step",
    }
    data.update(kw)
    return ServiceItemIn.model_validate(data)


def make_item(session: Session, agency: Org | str, *, publish: bool = True, actor: str = "test:factory",
              **kw: Any) -> ServiceItemOut:
    org_id = agency if isinstance(agency, str) else agency.public_id
    out = service.create_item(session, item=item_in(org_id, **kw), actor=actor)
    if publish:
        out = service.publish_item(session, code=out.code, city_code=out.city_code, actor=actor)
    session.flush()
    return out
