"""The medinsure JSON routes through the real app: signed institution requests, citizen bearer tokens,
administrators, Idempotency-Key replays and problem codes."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from onecity.identity.orgs.signatures import sign_request
from onecity.ledger import service as ledger
from onecity.medinsure import service as med
from onecity.payments.wallet import service as wallet
from tests.identity.family.factories import make_face_grant, person
from tests.identity.orgs.factories import make_api_key, make_org, make_staff, staff_token
from tests.medinsure.factories import link_pay_medical, make_insured, set_accumulators


class Institution:
    """Signed requests as an institution's API key."""

    def __init__(self, client: Any, app_id: str, pem: str) -> None:
        self.client, self.app_id, self.pem = client, app_id, pem

    def post(self, path: str, body: Any = None, key: str | None = None) -> Any:
        raw = json.dumps(body if body is not None else {}).encode()
        headers = {**sign_request(self.pem, self.app_id, "POST", path, raw), "content-type": "application/json"}
        if key:
            headers["idempotency-key"] = key
        return self.client.post(path, content=raw, headers=headers)

    def get(self, path: str) -> Any:
        return self.client.get(path, headers=sign_request(self.pem, self.app_id, "GET", path, b""))


def _bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


BILL = [{"code": "110200003", "quantity": 1, "unit_price_fen": 6000},
        {"code": "XA11GAV001A001", "quantity": 1, "unit_price_fen": 2800}]


def test_scan_fees_presettle_confirm_refund_over_http(client, session, city):
    p = make_insured(session, personal=1_000, wallet=50_000, activated=False)
    set_accumulators(session, p, outpatient=150_000)
    grant = make_face_grant(session, p.citizen, act="medinsure.activate_code")
    token = p.token(session)
    app_id, pem = make_api_key(session, city.hospital3)
    inst = Institution(client, app_id, pem)
    session.commit()

    r = client.post("/v1/medinsure/me/code/activate", json={"face_grant": grant}, headers=_bearer(token))
    assert r.status_code == 200 and r.json()["code_activated"] is True and r.json()["personal_balance_fen"] == 1_000
    code = client.get("/v1/medinsure/me/code?svg=true", headers=_bearer(token)).json()
    assert code["svg"].startswith("<svg") and code["refresh_seconds"] == 60

    r = inst.post("/v1/medinsure/visits", {"code": code["text"], "visit_type": "outpatient"}, key="scan-1")
    assert r.status_code == 201, r.text
    visit = r.json()
    vid = visit["visit_id"]
    assert visit["citizen_name_masked"] and "citizen_id" not in visit and r.headers["location"].endswith(vid)
    replay = inst.post("/v1/medinsure/visits", {"code": code["text"], "visit_type": "outpatient"}, key="scan-1")
    assert replay.status_code == 201 and replay.json()["visit_id"] == vid  # the same answer, no second visit
    again = inst.post("/v1/medinsure/visits", {"code": code["text"], "visit_type": "outpatient"}, key="scan-2")
    assert again.status_code == 409 and again.json()["code"] == "medinsure_code_used"

    bad = inst.post(f"/v1/medinsure/visits/{vid}/fees", {"lines": [{**BILL[0], "unit_price_fen": 5000}]})
    assert bad.status_code == 422 and bad.json()["code"] == "medinsure_price_mismatch"
    assert bad.json()["line_no"] == 1 and bad.json()["reason"] == "price_mismatch"
    r = inst.post(f"/v1/medinsure/visits/{vid}/fees", {"lines": BILL}, key="fees-1")
    assert r.status_code == 200 and r.json()["total_fen"] == 8_800
    pre = inst.post(f"/v1/medinsure/visits/{vid}/presettle", key="pre-1").json()
    # 6000: fund 4200, within 1800; 2800 outside. Account 1000 (line 1), wallet 800 + 2800
    assert {x["payer"]: x["fen"] for x in pre["payers"]} == {"fund": 4_200, "personal_account": 1_000,
                                                            "wallet": 3_600}
    assert pre["needs_confirmation"] is True
    counter = inst.post(f"/v1/medinsure/visits/{vid}/settle", key="settle-0")
    assert counter.status_code == 403 and counter.json()["code"] == "medinsure_counter_not_allowed"

    waiting = client.get("/v1/medinsure/me/confirmations", headers=_bearer(token)).json()
    assert [w["visit_id"] for w in waiting] == [vid] and waiting[0]["presettlement"]["self_pay_fen"] == 3_600
    r = client.post(f"/v1/medinsure/me/confirmations/{vid}/confirm", json={},
                    headers={**_bearer(token), "idempotency-key": "confirm-1"})
    assert r.status_code == 200, r.text
    s = r.json()
    assert (s["fund_fen"], s["personal_fen"], s["self_fen"]) == (4_200, 1_000, 3_600)
    r2 = client.post(f"/v1/medinsure/me/confirmations/{vid}/confirm", json={},
                     headers={**_bearer(token), "idempotency-key": "confirm-1"})
    assert r2.json()["settlement_id"] == s["settlement_id"]
    assert inst.get(f"/v1/medinsure/visits/{vid}/settlement").json()["settlement_id"] == s["settlement_id"]
    assert client.get(f"/v1/medinsure/me/visits/{vid}/settlement", headers=_bearer(token)).status_code == 200

    verdict = client.post("/v1/medinsure/receipts/verify", json={"receipt": s["receipt"],
                                                                 "signature": s["receipt_signature"]}).json()
    assert verdict["valid"] is True and verdict["receipt_id"] == s["receipt"]["receipt_id"]
    tampered = client.post("/v1/medinsure/receipts/verify", json={"receipt": {**s["receipt"], "total_fen": 1},
                                                                  "signature": s["receipt_signature"]}).json()
    assert tampered["valid"] is False
    assert "PUBLIC KEY" in client.get("/v1/medinsure/code-key").json()["public_key_pem"]

    sid = s["settlement_id"]
    r = inst.post(f"/v1/medinsure/settlements/{sid}/refunds", {"line_nos": [2], "reason": "退药"}, key="rf-1")
    assert r.status_code == 201 and r.json()["by_payer"] == {"wallet": 2_800}
    replay = inst.post(f"/v1/medinsure/settlements/{sid}/refunds", {"line_nos": [2], "reason": "退药"}, key="rf-1")
    assert replay.json()["refund_id"] == r.json()["refund_id"]  # the retry is the same refund
    twice = inst.post(f"/v1/medinsure/settlements/{sid}/refunds", {"line_nos": [2]}, key="rf-2")
    assert twice.status_code == 409 and twice.json()["code"] == "medinsure_refund_exceeds_bill"
    session.rollback()
    assert wallet.wallet_balance(session, p.id) == 50_000 - 3_600 + 2_800
    assert ledger.check(session) == []
    session.rollback()  # end the read (SQLite: every transaction holds the write lock)
    listed = inst.get(f"/v1/medinsure/settlements/{sid}/refunds").json()
    assert [x["line_nos"] for x in listed] == [[2]]


def test_who_may_call_what(client, session, city):
    p = make_insured(session)
    other = make_org(session, kind="merchant")
    m_app, m_pem = make_api_key(session, other)
    token = p.token(session)
    session.commit()
    merchant = Institution(client, m_app, m_pem)
    code = client.get("/v1/medinsure/me/code", headers=_bearer(token)).json()["text"]
    r = merchant.post("/v1/medinsure/visits", {"code": code, "visit_type": "outpatient"})
    assert r.status_code == 404 and r.json()["code"] == "medinsure_not_an_institution"
    assert client.post("/v1/medinsure/visits", json={"code": code, "visit_type": "outpatient"}).status_code == 401
    assert client.get("/v1/medinsure/fund/daily-totals", headers=_bearer(token)).status_code == 403
    assert client.get("/v1/medinsure/me", headers=_bearer(token)).json()["scheme"] == "employee"


def test_administrators_publish_designate_enrol_and_read_totals(client, session, city):
    city_org = make_org(session, kind="city")
    admin = staff_token(session, make_staff(session, city_org, roles=["admin"]))
    clinic = make_org(session, kind="hospital")
    citizen = person(session)
    clinic_id, citizen_id = clinic.public_id, citizen.id
    doc = med.policy_for(session, on=date(2026, 6, 15)).to_json()
    session.commit()
    h = _bearer(admin)
    r = client.post("/v1/medinsure/institutions", json={"org_id": clinic_id, "level": 1}, headers=h)
    assert r.status_code == 201 and r.json()["level"] == 1 and r.json()["kind"] == "hospital"
    bad = client.post("/v1/medinsure/institutions", json={"org_id": clinic_id, "level": 0}, headers=h)
    assert bad.status_code == 422 and bad.json()["code"] == "medinsure_institution_invalid"
    r = client.post("/v1/medinsure/insured", json={"citizen_id": citizen_id, "scheme": "resident"}, headers=h)
    assert r.status_code == 201 and r.json()["personal_balance_fen"] == 0
    r = client.post(f"/v1/medinsure/insured/{citizen_id}/contributions", json={"amount": 12_345}, headers=h)
    assert r.json()["personal_balance_fen"] == 12_345
    r = client.post("/v1/medinsure/policies", json={"document": {**doc, "version": 2}}, headers=h)
    assert r.status_code == 201 and r.json()["policy_key"] == "pengcheng/2026/v2"
    bad = client.post("/v1/medinsure/policies", json={"document": {"city": "x"}}, headers=h)
    assert bad.status_code == 422 and bad.json()["code"] == "medinsure_policy_invalid"
    totals = client.get("/v1/medinsure/fund/daily-totals?day=2026-06-15", headers=h).json()
    assert totals["settlements"] == 0 and totals["day"] == "2026-06-15"
    assert len(client.get("/v1/medinsure/policies", headers=h).json()) == 3


def test_online_pharmacy_order_with_family_aid_over_http(client, session, city):
    """A daughter orders for her father (resident, no personal account); her account pays by family aid."""
    father = make_insured(session, scheme="resident", born=date(1958, 11, 8))
    daughter = make_insured(session, personal=10_000, wallet=10_000)
    link_pay_medical(session, daughter, father, relation="parent")
    set_accumulators(session, father, outpatient=20_000)
    ph = city.pharmacy.public_id
    med.set_pharmacy_prices(session, org_id=ph, items=[("XB01ACA001A001", 1_480)], actor="test")
    token = daughter.token(session)
    father_id, daughter_id = father.id, daughter.id
    session.commit()
    h = _bearer(token)
    assert [x["org_id"] for x in client.get("/v1/medinsure/pharmacies", headers=h).json()] == [ph]
    items = client.get(f"/v1/medinsure/pharmacies/{ph}/items", headers=h).json()
    assert items[0]["unit_price_fen"] == 1_480
    r = client.post("/v1/medinsure/me/pharmacy-orders", headers={**h, "idempotency-key": "order-1"},
                    json={"pharmacy_id": ph, "items": [{"code": "XB01ACA001A001", "quantity": 2}],
                          "for_citizen_id": father_id})
    assert r.status_code == 201, r.text
    vid = r.json()["visit_id"]
    # 2 × 1480 = 2960 → resident at a pharmacy: fund round(2960 × 50 %) = 1480, within 1480
    assert {x["payer"]: x["fen"] for x in r.json()["presettlement"]["payers"]} == {"fund": 1_480, "wallet": 1_480}
    q = client.get(f"/v1/medinsure/me/confirmations/{vid}?family={daughter_id}", headers=h).json()
    assert {x["payer"]: x["fen"] for x in q["payers"]} == {"fund": 1_480, f"family:{daughter_id}": 1_480}
    s = client.post(f"/v1/medinsure/me/confirmations/{vid}/confirm", json={"family_payers": [daughter_id]},
                    headers={**h, "idempotency-key": "confirm-order-1"}).json()
    assert (s["fund_fen"], s["personal_fen"], s["self_fen"]) == (1_480, 1_480, 0)
    me = client.get("/v1/medinsure/me", headers=h).json()
    assert me["personal_balance_fen"] == 10_000 - 1_480
    assert [v["visit_id"] for v in client.get("/v1/medinsure/me/visits", headers=h).json()["items"]] == [vid]
