"""The insurer and citizen JSON routes through the real app: signed organisation requests, staff
tokens, Idempotency-Key replays, problem codes, and a citizen seeing only their own policies."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from onecity import clock
from onecity.identity.orgs.signatures import sign_request
from tests.identity.factories import login_token, make_citizen
from tests.identity.orgs.factories import make_api_key, make_org, make_staff, staff_token
from tests.medinsure.commercial.factories import bill, make_insurer, settle

PRODUCT = {"code": "HUIMIN", "name_zh": "惠民保", "name_en": "Huiminbao", "ratio_bp": 8000, "deductible_fen": 10_000,
           "annual_limit_fen": 50_000, "excluded_categories": ["C"]}


def _signed(client, pem, app_id, method, path, body=None, key=None):
    raw = json.dumps(body).encode() if body is not None else b""
    headers = sign_request(pem, app_id, method, path, raw)
    if body is not None:
        headers["content-type"] = "application/json"
    if key:
        headers["idempotency-key"] = key
    return client.request(method, path, content=raw or None, headers=headers)


def test_insurer_defines_issues_and_reads_claims(client, session):
    clock.freeze(datetime(2026, 5, 20, 2, tzinfo=UTC))
    insurer = make_insurer(session)
    app_id, pem = make_api_key(session, insurer, scopes=["operator"])
    finance_staff = make_staff(session, insurer, roles=["finance"])
    citizen = make_citizen(session)
    token = login_token(session, citizen)
    stranger = login_token(session, make_citizen(session))
    session.commit()

    r = _signed(client, pem, app_id, "POST", "/v1/insurer/products", PRODUCT, key="p-1")
    assert r.status_code == 201, r.text
    product = r.json()
    assert (product["version"], product["excluded_categories"]) == (1, ["C"])
    replay = _signed(client, pem, app_id, "POST", "/v1/insurer/products", PRODUCT, key="p-1")
    assert replay.status_code == 201 and replay.json()["product_id"] == product["product_id"]
    dup = _signed(client, pem, app_id, "POST", "/v1/insurer/products", PRODUCT, key="p-2")
    assert dup.status_code == 409 and dup.json()["code"] == "commercial_product_exists"
    bad = _signed(client, pem, app_id, "POST", "/v1/insurer/products", {**PRODUCT, "code": "X", "ratio_bp": 0})
    assert bad.status_code == 422 and bad.json()["code"] == "commercial_product_invalid"

    policy_body = {"policy_no": "PA-1", "citizen_id": citizen.public_id, "product_id": product["product_id"],
                   "start": "2026-06-01", "end": "2027-05-31"}
    r = _signed(client, pem, app_id, "POST", "/v1/insurer/policies", policy_body, key="pol-1")
    assert r.status_code == 201, r.text
    policy = r.json()
    assert r.headers["location"] == f"/v1/insurer/policies/{policy['policy_id']}"
    early = _signed(client, pem, app_id, "POST", "/v1/insurer/policies",
                    {**policy_body, "policy_no": "PA-2", "end": "2026-05-01"})
    assert early.status_code == 422 and early.json()["code"] == "commercial_policy_invalid"

    revised = _signed(client, pem, app_id, "POST", f"/v1/insurer/products/{product['product_id']}/revisions",
                      {k: v for k, v in PRODUCT.items() if k != "code"} | {"ratio_bp": 9000}, key="rev-1")
    assert revised.status_code == 201 and revised.json()["version"] == 2

    # The citizen sees their policy; someone else does not.
    mine = client.get("/v1/medinsure/commercial/policies", headers={"authorization": f"Bearer {token}"})
    assert [p["policy_id"] for p in mine.json()] == [policy["policy_id"]]
    assert mine.json()[0]["product"]["ratio_bp"] == 8000 and mine.json()[0]["insurer_name"] == insurer.name_zh
    assert client.get(f"/v1/medinsure/commercial/policies/{policy['policy_id']}",
                      headers={"authorization": f"Bearer {stranger}"}).status_code == 404
    assert client.get("/v1/medinsure/commercial/policies",
                      headers={"authorization": f"Bearer {stranger}"}).json() == []

    # A settlement on 2026-06-02: within 150.00 → deductible 10_000, then 80 % of 5_000 = 4_000.
    clock.freeze(datetime(2026, 6, 2, 2, tzinfo=UTC))
    settle(session, citizen.public_id, date(2026, 6, 2), bill(2026, "outpatient", [(1, "A01", "A", 15_000, 0, 0)]),
           "stl_1")
    finance = staff_token(session, finance_staff)  # sessions last a week: sign in on the day
    session.commit()
    auth = {"authorization": f"Bearer {finance}"}
    claims = client.get("/v1/insurer/claims", headers=auth).json()
    assert [(c["settlement_ref"], c["paid_fen"], c["per_line"]) for c in claims["items"]] == [
        ("stl_1", 4_000, {"1": [10_000, 4_000]})]
    day = client.get("/v1/insurer/claims/daily/2026-06-02", headers=auth).json()
    assert (day["claims"], day["paid_fen"], day["net_fen"]) == (1, 4_000, 4_000)
    assert client.get("/v1/insurer/claims/daily/June", headers=auth).status_code == 422
    one = client.get(f"/v1/insurer/policies/{policy['policy_id']}", headers=auth)
    assert one.status_code == 200 and one.json()["this_year"] == {
        "year": 2026, "deductible_used_fen": 10_000, "paid_fen": 4_000, "limit_left_fen": 46_000}


def test_other_organisations_see_no_insurer_routes(client, session):
    merchant = make_org(session, kind="merchant")
    app_id, pem = make_api_key(session, merchant, scopes=["operator"])
    session.commit()
    r = _signed(client, pem, app_id, "POST", "/v1/insurer/products", PRODUCT)
    assert r.status_code == 404 and r.json()["code"] == "not_an_insurer"
    r = _signed(client, pem, app_id, "GET", "/v1/insurer/policies")
    assert r.status_code == 404 and r.json()["code"] == "not_an_insurer"
