"""The demo catalogue: at least 40 services across at least 8 agencies, seeded idempotently."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from onecity.demo import cast, seed, services_catalogue
from onecity.services.catalogue import service
from onecity.services.catalogue.models import SvcItem


def test_every_agency_of_the_data_is_a_demo_org() -> None:
    usernames = {d.username: d.kind for d in cast.ORGS}
    for raw in services_catalogue.load()["items"]:
        assert usernames.get(raw["agency"]) in ("agency", "biller"), raw["code"]


def test_demo_catalogue(session: Session) -> None:
    report = seed.SeedReport()
    made = seed.seed_orgs(session, report)
    services_catalogue.seed(session, report, {}, made)
    rows = session.scalar(select(func.count()).select_from(SvcItem))
    services_catalogue.seed(session, report, {}, made)  # again: nothing new
    assert session.scalar(select(func.count()).select_from(SvcItem)) == rows
    published = service.list_items(session)
    assert len(published) >= 40
    government = {o.public_id for o in made.values() if o.kind == "agency"}
    assert len({i.agency_org_id for i in published} & government) >= 8
    trips = Counter(i.trips for i in published)
    assert trips[0] > len(published) // 2 and trips[1] >= 3 and trips[2] >= 1
    forms = [i for i in published if i.entry == "form"]
    assert {i.workflow for i in forms} >= {"instant", "review_one_step", "review_two_step", "review_then_pay"}
    assert any(v.startswith("household_register.") for i in forms for v in i.prefill.values())
    pages = {i.entry_url for i in published if i.entry == "page"}
    assert pages >= {"/app/services/provident", "/app/services/traffic", "/app/services/taxes", "/app/services/bills"}
    assert sum(1 for i in published if i.fee_fen == 0) > len(published) * 3 // 4
    # search works on the demo data
    detail = service.get_item(session, code="traffic.licence.renew")
    assert detail.agency_org_id == made["traffic-police"].public_id and detail.trips == 0
    assert "ps.household.certificate" in [i.code for i in service.search(session, q="户籍证明")]
    assert {"traffic.licence.renew", "traffic.licence.replace"} <= {i.code for i in service.search(session, q="驾驶证")}
