"""The demo seeds of traffic and taxes: what they make, and a second run changes nothing."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from onecity.demo import cast
from onecity.demo import services_taxes as demo_taxes
from onecity.demo import services_traffic as demo_traffic
from onecity.services.taxes import service as taxes
from onecity.services.taxes.models import TaxAssessment
from onecity.services.traffic import service as traffic_service
from onecity.services.traffic.models import Vehicle, Violation
from tests.identity.factories import make_citizen
from tests.identity.orgs.factories import make_org
from tests.services.traffic.factories import Traffic


def _counts(session: Session) -> tuple[int, ...]:
    return tuple(int(session.scalar(select(func.count()).select_from(m)) or 0)
                 for m in (Vehicle, Violation, TaxAssessment))


def test_the_demo_seeds_are_idempotent(session: Session, traffic: Traffic) -> None:
    ids = {}
    for who in (cast.MAIN, cast.SPOUSE):
        c = make_citizen(session, verified=True, birth_date=who.birth_date, name=who.name, id_number=who.id_number,
                         mobile=who.mobile)
        ids[who.key] = c.public_id
    made: dict[str, Any] = {"traffic-police": make_org(session, kind="agency", name="深圳市公安局交通警察支队"),
                            "tax-bureau": make_org(session, kind="agency", name="国家税务总局深圳市税务局")}
    report = SimpleNamespace(problems=[])
    for _ in range(2):
        demo_traffic.seed(session, report, ids, made)
        demo_taxes.seed(session, report, ids, made)
        assert report.problems == []
        assert _counts(session) == (2, 2, 3)
    mine = traffic_service.my_traffic(session, citizen_id=ids["main"])
    assert [v.plate for v in mine.vehicles] == ["粤BD12345"]
    assert mine.licence is not None and mine.licence.points_used == 6  # the red light, once
    assert [(v.code, v.due_fen) for v in mine.violations] == [("1625", 20_000)]
    assert {a.item for a in taxes.my_taxes(session, citizen_id=ids["spouse"]).due} == {
        "vehicle_vessel", "flexible_social_insurance"}
