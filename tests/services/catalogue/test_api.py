"""The catalogue's JSON API: public reads, the administrators' editor, problem+json errors."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from onecity.services.catalogue.models import SvcItem
from tests.identity.orgs.factories import make_admin, make_org, make_staff, staff_token
from tests.services.catalogue.factories import item_in, make_item

BASE = "/v1/services/catalogue"


def _admin(session: Session) -> dict[str, str]:
    return {"Authorization": f"Bearer {staff_token(session, make_admin(session))}"}


def _body(agency_org_id: str, **kw: Any) -> dict[str, Any]:
    return item_in(agency_org_id, **kw).model_dump(mode="json", exclude_none=True)


def _rows(session: Session) -> int:
    session.rollback()
    n = int(session.scalar(select(func.count()).select_from(SvcItem)) or 0)
    session.rollback()  # end the read: SQLite would keep the app's writers waiting
    return n


def test_public_reads(client: TestClient, session: Session) -> None:
    a = make_org(session, kind="agency")
    make_item(session, a, code="hpf.withdraw.rent", category="provident",
              name=("住房公积金租房提取", "Provident fund withdrawal for rent"))
    make_item(session, a, code="draft.one", publish=False)
    session.commit()
    assert [i["code"] for i in client.get(f"{BASE}/items").json()["items"]] == ["hpf.withdraw.rent"]
    one = client.get(f"{BASE}/items/hpf.withdraw.rent").json()
    assert (one["version"], one["trips"], one["name"]["en"]) == (1, 0, "Provident fund withdrawal for rent")
    draft = client.get(f"{BASE}/items/draft.one")
    assert draft.status_code == 404 and draft.json()["code"] == "service_item_not_found"
    assert draft.headers["content-type"].startswith("application/problem+json")
    assert [i["code"] for i in client.get(f"{BASE}/search", params={"q": "公积金提取"}).json()] == ["hpf.withdraw.rent"]
    cats = {c["code"]: c["count"] for c in client.get(f"{BASE}/categories").json()}
    assert cats["provident"] == 1
    assert client.get(f"{BASE}/popular").status_code == 200


def test_admin_create_edit_publish_retire(client: TestClient, session: Session) -> None:
    a = make_org(session, kind="agency")
    h = _admin(session)
    session.commit()
    r = client.post(f"{BASE}/admin/items", json=_body(a.public_id), headers={**h, "Idempotency-Key": "k1"})
    assert r.status_code == 201, r.text
    code = r.json()["code"]
    assert client.get(f"{BASE}/items/{code}").status_code == 404  # a draft
    assert client.post(f"{BASE}/admin/items/{code}/publish", headers={**h, "Idempotency-Key": "k2"}).json()["status"] == "published"
    edited = client.put(f"{BASE}/admin/items/{code}", json=_body(a.public_id, fee_fen=2000),
                        headers={**h, "Idempotency-Key": "k3"}).json()
    assert (edited["version"], edited["status"]) == (2, "draft")
    assert client.get(f"{BASE}/items/{code}").json()["fee_fen"] == 0
    client.post(f"{BASE}/admin/items/{code}/publish", headers={**h, "Idempotency-Key": "k4"})
    assert client.get(f"{BASE}/items/{code}").json()["fee_fen"] == 2000
    assert [v["status"] for v in client.get(f"{BASE}/admin/items/{code}/versions", headers=h).json()] == [
        "published", "retired"]
    client.post(f"{BASE}/admin/items/{code}/retire", headers={**h, "Idempotency-Key": "k5"})
    assert client.get(f"{BASE}/items").json() == {"items": [], "next_cursor": None}
    again = client.post(f"{BASE}/admin/items/{code}/retire", headers={**h, "Idempotency-Key": "k6"})
    assert again.status_code == 409 and again.json()["code"] == "service_item_status_conflict"


def test_bad_input_is_problem_json_and_changes_nothing(client: TestClient, session: Session) -> None:
    a = make_org(session, kind="agency")
    shop = make_org(session, kind="merchant")
    h = _admin(session)
    session.commit()
    agency_id = a.public_id  # read now: a rollback would expire it and reading it again opens a transaction
    cases = [
        (_body(a.public_id, form_schema={"type": "object", "properties": {"x": {"minLength": -1}}}, prefill={}),
         422, "service_form_schema_invalid"),
        (_body(a.public_id, workflow="nope"), 422, "service_workflow_unknown"),
        (_body(a.public_id, fee_fen=-100), 422, "service_item_invalid"),
        (_body(shop.public_id), 422, "service_agency_invalid"),
        (_body("org_01NOPE"), 422, "service_agency_invalid"),
        ({**_body(a.public_id), "surprise": 1}, 422, "validation_error"),
    ]
    for i, (body, status, code) in enumerate(cases):
        r = client.post(f"{BASE}/admin/items", json=body, headers={**h, "Idempotency-Key": f"bad{i}"})
        assert (r.status_code, r.json()["code"]) == (status, code), r.text
        assert r.headers["content-type"].startswith("application/problem+json")
    assert _rows(session) == 0
    ok = client.post(f"{BASE}/admin/items", json=_body(agency_id), headers={**h, "Idempotency-Key": "good"})
    assert ok.status_code == 201
    dup = client.post(f"{BASE}/admin/items", json=_body(agency_id, fee_fen=5), headers={**h, "Idempotency-Key": "dup"})
    assert (dup.status_code, dup.json()["code"]) == (409, "service_item_exists")
    assert _rows(session) == 1


def test_items_are_paged(client: TestClient, session: Session) -> None:
    a = make_org(session, kind="agency")
    for code, category in (("a.one", "traffic"), ("b.two", "household"), ("c.three", "household")):
        make_item(session, a, code=code, category=category)
    session.commit()
    first = client.get(f"{BASE}/items", params={"limit": 2}).json()
    assert [i["code"] for i in first["items"]] == ["b.two", "c.three"]  # household before traffic
    second = client.get(f"{BASE}/items", params={"limit": 2, "after": first["next_cursor"]}).json()
    assert [i["code"] for i in second["items"]] == ["a.one"] and second["next_cursor"] is None


def test_only_administrators_edit(client: TestClient, session: Session) -> None:
    a = make_org(session, kind="agency")
    staff = make_staff(session, a, roles=["owner"])
    token = staff_token(session, staff)
    session.commit()
    agency_id = a.public_id
    session.rollback()
    r = client.post(f"{BASE}/admin/items", json=_body(agency_id),
                    headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "x"})
    assert r.status_code == 403
    assert client.get("/v1/services/measures").status_code == 401
    assert _rows(session) == 0


def test_measures_json(client: TestClient, session: Session) -> None:
    a = make_org(session, kind="agency")
    make_item(session, a, code="z.zero", trips=0)
    make_item(session, a, code="z.two", trips=2)
    h = _admin(session)
    session.commit()
    r = client.get("/v1/services/measures", headers=h).json()
    assert r["city"]["services_zero_trips"] == {"part": 1, "total": 2, "permille": 500}
    assert [m["agency_org_id"] for m in r["agencies"]] == [a.public_id]
