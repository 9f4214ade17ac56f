"""Traffic through the real app: the authority's staff and cameras record violations, the citizen
reads a decision by QR (payload or an uploaded picture) and pays it; a second payment is refused;
the console shows the decision's QR. Concurrency on PostgreSQL: two payers at once pay once."""

from __future__ import annotations

import io
import json
import os
from collections import Counter
from typing import Any

import pytest
import segno
import zxingcpp
from PIL import Image

from onecity import clock
from onecity.db import transaction
from onecity.errors import DomainError
from onecity.identity.orgs.signatures import sign_request
from onecity.identity.sessions import create_session
from onecity.payments.wallet import service as wallet
from onecity.services import collection
from onecity.services.traffic import service
from tests.concurrency_helpers import run_all
from tests.console_steps import console_login, csrf_of
from tests.identity.factories import login_token
from tests.identity.family.factories import person
from tests.identity.orgs.factories import make_api_key, staff_token
from tests.payments.trade.factories import fund_wallet
from tests.services.traffic.factories import Traffic, decide, make_driver


def _auth(token: str, **extra: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}", **extra}


def _when() -> str:
    return (clock.now().astimezone(clock.CITY_TZ).replace(microsecond=0, hour=8)).isoformat()


def test_staff_records_citizen_scans_and_pays_once(client: Any, session: Any, traffic: Traffic) -> None:
    d = make_driver(session, wallet=50_000)
    friend = person(session)
    fund_wallet(session, friend.id, 50_000)
    staff = staff_token(session, traffic.staff)
    citizen, other = login_token(session, d.person.citizen), login_token(session, friend.citizen)
    session.commit()
    r = client.post("/v1/services/traffic/authority/violations", headers=_auth(staff, **{"idempotency-key": "v1"}),
                    json={"plate": d.plate, "occurred_at": _when(), "place": "深南大道", "code": "1625"})
    assert r.status_code == 201, r.text
    number = r.json()["decision_no"]
    qr = client.get(f"/v1/services/traffic/authority/decisions/{number}/qr", headers=_auth(staff)).json()["payload"]
    seen = client.post("/v1/services/traffic/decisions/scan", json={"payload": qr}, headers=_auth(citizen))
    assert seen.status_code == 200 and (seen.json()["due_fen"], seen.json()["points"]) == (20_000, 6)
    head, body, sig = qr.split(".")
    forged = f"{head}.{body}.{sig[:10]}{'B' if sig[10] == 'A' else 'A'}{sig[11:]}"  # well formed, wrong signature
    for bad_payload in (forged, qr.replace(".", "!", 1)):
        bad = client.post("/v1/services/traffic/decisions/scan", json={"payload": bad_payload},
                          headers=_auth(citizen))
        assert (bad.status_code, bad.json()["code"]) == (422, "decision_qr_invalid")

    url = f"/v1/services/traffic/decisions/{number}/pay"
    paid = client.post(url, json={"expected_fen": 20_000}, headers=_auth(citizen, **{"idempotency-key": "p1"}))
    assert paid.status_code == 200, paid.text
    again = client.post(url, json={"expected_fen": 20_000}, headers=_auth(citizen, **{"idempotency-key": "p1"}))
    assert again.json() == paid.json()  # the retry is answered, not repeated
    twice = client.post(url, json={}, headers=_auth(other, **{"idempotency-key": "p2"}))
    assert (twice.status_code, twice.json()["code"]) == (409, "fine_already_paid")
    with transaction() as s:  # 500.00 − 200.00 once; the friend's wallet untouched
        assert wallet.wallet_balance(s, d.id) == 30_000
        assert wallet.wallet_balance(s, friend.id) == 50_000
        assert collection.received(s, traffic.org.public_id) == 20_000
    me = client.get("/v1/services/traffic/me", headers=_auth(citizen)).json()
    assert me["licence"]["points_used"] == 6 and [v["status"] for v in me["violations"]] == ["paid"]
    listed = client.get("/v1/services/traffic/authority/violations?status=paid", headers=_auth(staff)).json()
    assert [v["decision_no"] for v in listed] == [number]


def test_bad_input_is_a_problem_and_records_nothing(client: Any, session: Any, traffic: Traffic) -> None:
    d = make_driver(session)
    staff = staff_token(session, traffic.staff)
    session.commit()
    for body, code in (({"plate": "粤BI2345", "code": "1625"}, "plate_invalid"),
                       ({"plate": d.plate, "code": "9999"}, "violation_code_unknown"),
                       ({"plate": d.plate, "code": "1625", "fine_fen": 1}, "violation_invalid")):
        r = client.post("/v1/services/traffic/authority/violations", headers=_auth(staff),
                        json={"occurred_at": _when(), "place": "深南大道", **body})
        assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["code"] == code
    assert client.get("/v1/services/traffic/authority/violations", headers=_auth(staff)).json() == []


def test_cameras_upload_signed_batches_once(client: Any, session: Any, traffic: Traffic) -> None:
    d = make_driver(session)
    app_id, pem = make_api_key(session, traffic.org, scopes=["operator"])
    session.commit()
    body = json.dumps({"violations": [
        {"plate": d.plate, "occurred_at": _when(), "place": "北环大道 K12 测速点", "code": "1636", "source_ref": "CAM-1"},
        {"plate": d.plate, "occurred_at": _when(), "place": "福中路", "code": "1039", "source_ref": "CAM-2"},
    ]}).encode()
    path = "/v1/services/traffic/org/violations"
    first = client.post(path, content=body, headers={**sign_request(pem, app_id, "POST", path, body),
                                                     "content-type": "application/json"})
    assert first.status_code == 200, first.text
    again = client.post(path, content=body, headers={**sign_request(pem, app_id, "POST", path, body),
                                                     "content-type": "application/json"})
    assert [v["decision_no"] for v in again.json()["recorded"]] == [v["decision_no"] for v in first.json()["recorded"]]
    with transaction() as s:
        assert service.licence_of(s, citizen_id=d.id).points_used == 6  # type: ignore[union-attr]  # 6 + 0, once


def _png_of(payload: str) -> bytes:
    buf = io.BytesIO()
    segno.make(payload, error="m").save(buf, kind="png", scale=6, border=4)
    return buf.getvalue()


def test_the_app_reads_an_uploaded_qr_and_pays(client: Any, session: Any, traffic: Traffic) -> None:
    d = make_driver(session, wallet=30_000)
    v = decide(session, traffic, d)
    payload = service.decision_qr(session, decision_no=v.decision_no).payload
    token, _ = create_session(session, kind="citizen", subject_id=d.id, credential="cookie", label="test")
    session.commit()
    client.cookies.set("oc_session", token)
    home = client.get("/app/services/traffic")
    assert home.status_code == 200 and 'data-points="6"' in home.text and v.decision_no in home.text
    csrf = csrf_of(home.text)
    r = client.post("/app/services/traffic/scan", data={"csrf": csrf},
                    files={"image": ("qr.png", _png_of(payload), "image/png")}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/app/services/traffic/decision/{v.decision_no}"
    page = client.get(r.headers["location"])
    assert 'data-testid="decision-due">200.00<' in page.text
    altered = client.post("/app/services/traffic/scan", data={"csrf": csrf},
                          files={"image": ("qr.png", _png_of(payload[:-4] + "abcd"), "image/png")})
    assert altered.status_code == 422 and "决定书二维码无效" in altered.text
    typed = client.post("/app/services/traffic/scan", data={"csrf": csrf, "payload": v.decision_no},
                        follow_redirects=False)
    assert typed.status_code == 303
    pay_url = f"/app/services/traffic/decision/{v.decision_no}/pay"
    bad_csrf = client.post(pay_url, data={"csrf": "nope", "expected_fen": "20000"})
    assert bad_csrf.status_code == 403
    paid = client.post(pay_url, data={"csrf": csrf, "expected_fen": "20000"}, follow_redirects=False)
    assert paid.status_code == 303
    assert 'data-testid="decision-paid"' in client.get(paid.headers["location"]).text
    twice = client.post(pay_url, data={"csrf": csrf, "expected_fen": "20000"})
    assert twice.status_code == 409 and "该罚款已缴纳" in twice.text
    with transaction() as s:
        assert wallet.wallet_balance(s, d.id) == 10_000  # 300.00 − 200.00


def test_the_console_records_and_shows_a_scannable_qr(client: Any, session: Any, traffic: Traffic) -> None:
    d = make_driver(session)
    session.commit()
    console_login(client, traffic.staff.username, next="/console/services/traffic")
    home = client.get("/console/services/traffic")
    assert home.status_code == 200
    r = client.post("/console/services/traffic/violations", follow_redirects=False,
                    data={"csrf": csrf_of(home.text), "plate": d.plate, "code": "1352", "place": "滨河大道",
                          "occurred_at": clock.now().astimezone(clock.CITY_TZ).strftime("%Y-%m-%dT%H:%M")})
    assert r.status_code == 303, r.text
    page = client.get(r.headers["location"])
    assert page.status_code == 200 and "<svg" in page.text
    number = r.headers["location"].split("/")[-1].split("?")[0]
    png = client.get(f"/console/services/traffic/decisions/{number}/qr.png")
    assert png.headers["content-type"] == "image/png"
    text = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.content)))[0].text
    with transaction() as s:
        assert service.read_scanned(s, payload=text).decision_no == number
    bad = client.post("/console/services/traffic/violations", data={"csrf": csrf_of(home.text), "plate": "X",
                                                                   "code": "1352", "place": "滨河大道",
                                                                   "occurred_at": "2026-11-26T08:00"})
    assert bad.status_code == 422 and 'data-testid="error"' in bad.text


@pytest.mark.skipif(os.environ.get("ONECITY_TEST_DB") != "postgres",
                    reason="row locks and concurrent transactions are tested on PostgreSQL")
def test_two_payers_at_once_pay_the_fine_once(session: Any, traffic: Traffic) -> None:
    d = make_driver(session, wallet=50_000)
    payers = [d.id]
    for _ in range(5):
        p = person(session)
        fund_wallet(session, p.id, 50_000)
        payers.append(p.id)
    v = decide(session, traffic, d)
    session.commit()

    def pay(citizen_id: str) -> Any:
        def call() -> Any:
            with transaction() as s:
                return service.pay_fine(s, decision_no=v.decision_no, citizen_id=citizen_id)
        return call

    results = run_all([pay(c) for c in payers], workers=6)
    codes = Counter(r.code if isinstance(r, DomainError) else "ok" for r in results)
    assert codes == {"ok": 1, "fine_already_paid": 5}, codes
    with transaction() as s:
        assert collection.received(s, traffic.org.public_id) == 20_000
        assert sum(wallet.wallet_balance(s, c) for c in payers) == 6 * 50_000 - 20_000


def test_the_console_registers_vehicles_and_licences(client: Any, session: Any, traffic: Traffic) -> None:
    p = person(session)
    session.commit()
    console_login(client, traffic.staff.username, next="/console/services/traffic")
    csrf = csrf_of(client.get("/console/services/traffic").text)
    bad = client.post("/console/services/traffic/vehicles", data={"csrf": csrf, "plate": "粤BI2345",
                                                                  "vehicle_type": "small_car",
                                                                  "owner_id_number": p.id_number})
    assert bad.status_code == 422 and "号牌号码格式不正确" in bad.text
    r = client.post("/console/services/traffic/vehicles", follow_redirects=False,
                    data={"csrf": csrf, "plate": "粤B·FA1234", "vehicle_type": "small_car", "owner_id_number": p.id_number})
    assert r.status_code == 303, r.text
    future = client.post("/console/services/traffic/licences", data={"csrf": csrf, "id_number": p.id_number,
                                                                     "licence_class": "C1", "cycle_start": "2030-01-01"})
    assert future.status_code == 422
    r = client.post("/console/services/traffic/licences", follow_redirects=False,
                    data={"csrf": csrf, "id_number": p.id_number, "licence_class": "C1", "cycle_start": "2019-07-01"})
    assert r.status_code == 303, r.text
    with transaction() as s:
        assert [v.plate for v in service.vehicles_of(s, citizen_id=p.id)] == ["粤BFA1234"]
        lic = service.licence_of(s, citizen_id=p.id)
        assert lic is not None and (lic.cycle_start.isoformat(), lic.points_used) == ("2026-07-01", 0)
