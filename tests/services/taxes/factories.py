"""Factories for the tax tests (they only flush: commit before the app must see the rows)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from onecity.services.taxes import service
from onecity.services.taxes.schemas import AssessmentIn, AssessmentOut
from tests.identity.family.factories import Person
from tests.identity.orgs.factories import make_org, make_staff

ACTOR = "test:factory"


@dataclass
class Bureau:
    org: Any
    staff: Any


def make_bureau(session: Session) -> Bureau:
    org = make_org(session, kind="agency", name="国家税务总局深圳市税务局")
    service.register_office(session, org_id=org.public_id, actor=ACTOR)
    staff = make_staff(session, org, roles=("operator",))
    session.flush()
    return Bureau(org=org, staff=staff)


def assess(session: Session, bureau: Bureau, p: Person, *, item: str = "vehicle_vessel", period: str = "2026",
           amount: int = 36_000, due_on: date = date(2026, 12, 31), ref: str | None = None) -> AssessmentOut:
    out = service.issue_assessment(session, office_org_id=bureau.org.public_id, actor=ACTOR,
                                   assessment=AssessmentIn(id_number=p.id_number, item=item, period=period,
                                                           amount_fen=amount, due_on=due_on, source_ref=ref))
    session.flush()
    return out
