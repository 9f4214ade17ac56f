"""The traffic console's forms refuse a missing or wrong CSRF token and change nothing; another
agency's staff (not a traffic-police authority) and another authority's staff cannot record for,
or read the decisions of, this authority."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from onecity.db import transaction
from onecity.services.traffic import service
from onecity.services.traffic.models import DrivingLicence, Vehicle, Violation
from tests.console_steps import console_login, csrf_of
from tests.identity.family.factories import person
from tests.identity.orgs.factories import make_org, make_staff, staff_token
from tests.services.traffic.factories import Traffic, decide, fresh_plate, make_driver, make_traffic


def _counts() -> tuple[int, int, int]:
    with transaction() as s:
        return tuple(int(s.scalar(select(func.count()).select_from(m)) or 0)  # type: ignore[return-value]
                     for m in (Violation, Vehicle, DrivingLicence))


def test_console_forms_without_the_csrf_token_change_nothing(client: Any, session: Any, traffic: Traffic) -> None:
    d = make_driver(session)
    p = person(session)
    session.commit()
    console_login(client, traffic.staff.username, next="/console/services/traffic")
    assert csrf_of(client.get("/console/services/traffic").text)
    before = _counts()
    for url, data in (
        ("/console/services/traffic/violations", {"plate": d.plate, "code": "1352", "place": "滨河大道",
                                                  "occurred_at": "2026-11-26T08:00"}),
        ("/console/services/traffic/vehicles", {"plate": fresh_plate(), "vehicle_type": "small_car",
                                                "owner_id_number": p.id_number}),
        ("/console/services/traffic/licences", {"id_number": p.id_number, "licence_class": "C1",
                                                "cycle_start": "2019-07-01"}),
    ):
        for csrf in ({}, {"csrf": "forged"}):
            r = client.post(url, data={**data, **csrf}, follow_redirects=False)
            assert r.status_code == 403, (url, r.status_code)
    assert _counts() == before


def test_other_agencies_cannot_record_or_read_this_authoritys_decisions(client: Any, session: Any,
                                                                       traffic: Traffic) -> None:
    d = make_driver(session)
    v = decide(session, traffic, d)
    not_police = make_staff(session, make_org(session, kind="agency", name="深圳市民政局"), roles=("operator",))
    other_police = make_traffic(session)
    tokens = [staff_token(session, not_police), staff_token(session, other_police.staff)]
    session.commit()
    before = _counts()
    for token, code in zip(tokens, ("traffic_not_an_authority", "decision_not_found"), strict=True):
        auth = {"authorization": f"Bearer {token}"}
        qr = client.get(f"/v1/services/traffic/authority/decisions/{v.decision_no}/qr", headers=auth)
        assert (qr.status_code, qr.json()["code"]) == (404, code)
        listed = client.get("/v1/services/traffic/authority/violations", headers=auth)
        assert listed.status_code == 404 if code == "traffic_not_an_authority" else listed.json() == []
    r = client.post("/v1/services/traffic/authority/violations",
                    headers={"authorization": f"Bearer {tokens[0]}", "idempotency-key": "x1"},
                    json={"plate": d.plate, "occurred_at": v.occurred_at.isoformat(), "place": "深南大道",
                          "code": "1625"})
    assert (r.status_code, r.json()["code"]) == (404, "traffic_not_an_authority")
    assert _counts() == before
    with transaction() as s:
        assert [x.decision_no for x in service.list_for_authority(s, authority_org_id=traffic.org.public_id)] == [
            v.decision_no]
