"""The payment-code and scan-to-pay API and pages through HTTP, with real merchants, wallets and orders.

Worked examples (small-amount limit 200.00 yuan unless set):
- a 12.00 payment by code: 1200 <= 20000 → paid at once; wallet 100.00 → 88.00.
- a 300.00 payment by code with the limit at 200.00: 30000 > 20000 → waits; the citizen confirms on
  /app/pay; wallet 500.00 → 200.00.
"""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
import segno
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from onecity import clock
from onecity.crypto.fields import blind_index
from onecity.identity.sessions import SESSION_COOKIE, create_session
from onecity.payments.codes import emvco, totp
from onecity.payments.codes import service as codes
from onecity.payments.trade import service as trade
from onecity.payments.wallet import service as wallet
from tests.identity.factories import login_token, make_citizen
from tests.payments.trade.factories import make_buyer, make_merchant


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _cookie_client(client: TestClient, session: Session, citizen: Any) -> str:
    """Sign `client` in with a web-session cookie; returns the CSRF token of that session."""
    token, row = create_session(
        session, kind="citizen", subject_id=citizen.public_id, credential="cookie", label="test"
    )
    session.commit()
    client.cookies.set(SESSION_COOKIE, token)
    return blind_index(row.public_id, purpose="csrf")[:32]


def _png(text: str) -> bytes:
    buf = io.BytesIO()
    segno.make(text, error="m", micro=False).save(buf, kind="png", scale=6, border=4)
    return buf.getvalue()


def test_device_api_provisions_a_secret_the_server_accepts(client: TestClient, session: Session) -> None:
    citizen = make_citizen(session, verified=True)
    token = login_token(session, citizen)
    unverified = login_token(session, make_citizen(session, verified=False))
    session.commit()
    assert client.post("/v1/payment-code/devices", json={}, headers=_bearer(unverified)).status_code == 403
    r = client.post("/v1/payment-code/devices", json={"label": "Mate 60"}, headers=_bearer(token))
    assert r.status_code == 201, r.text
    d = r.json()
    assert (d["prefix"], d["digits"], d["period"], d["algorithm"]) == ("28", 8, 60, "SHA256")
    assert len(d["number"]) == 8 and d["secret"]
    # The phone's computation, done here from the response only:
    import base64

    secret = base64.urlsafe_b64decode(d["secret"] + "=" * (-len(d["secret"]) % 4))
    code = totp.payment_code(secret, d["number"], totp.time_step(int(clock.now().timestamp())))
    holder = codes.consume_payment_code(session, code=code, merchant_id="org_01TEST")
    assert holder.citizen_id == citizen.public_id
    session.rollback()  # SQLite: release the write lock before the app's next request
    listed = client.get("/v1/payment-code/devices", headers=_bearer(token)).json()
    assert [x["device_id"] for x in listed] == [d["device_id"]] and listed[0]["secret"] is None
    assert (
        client.delete(f"/v1/payment-code/devices/{d['device_id']}", headers=_bearer(token)).status_code == 204
    )
    assert client.get("/v1/payment-code/devices", headers=_bearer(token)).json() == []
    assert client.delete("/v1/payment-code/devices/pcd_nope", headers=_bearer(token)).status_code == 404


def test_settings_api(client: TestClient, session: Session) -> None:
    token = login_token(session, make_citizen(session, verified=True))
    session.commit()
    h = _bearer(token)
    assert client.get("/v1/payment-code/settings", headers=h).json() == {
        "small_amount_limit_fen": 20000,
        "default_fen": 20000,
        "max_fen": 200000,
    }
    assert (
        client.put("/v1/payment-code/settings", json={"small_amount_limit_fen": 0}, headers=h).json()[
            "small_amount_limit_fen"
        ]
        == 0
    )
    r = client.put("/v1/payment-code/settings", json={"small_amount_limit_fen": 200001}, headers=h)
    assert r.status_code == 422 and r.json()["code"] == "small_amount_limit_out_of_range"


def test_pay_by_code_under_and_over_the_limit_then_confirm_on_the_page(
    client: TestClient, session: Session
) -> None:
    merchant = make_merchant(session, name="城东便利店")
    buyer = make_buyer(session, balance=50_000)
    device = codes.provision_device(session, citizen_id=buyer.public_id, session_id=None)
    session.commit()
    # 12.00 ≤ 200.00: paid at once.
    small = trade.pay_by_code(
        session,
        merchant_id=merchant.public_id,
        out_trade_no="A1",
        amount=1200,
        subject="牛奶",
        auth_code=codes.current_code(session, device_id=device.device_id),
    )
    session.commit()
    assert small.status == "TRADE_SUCCESS"
    # 300.00 > 200.00: waits for the citizen (a new minute, a new code).
    clock.advance(timedelta(minutes=1))
    big = trade.pay_by_code(
        session,
        merchant_id=merchant.public_id,
        out_trade_no="A2",
        amount=30_000,
        subject="电饭煲",
        auth_code=codes.current_code(session, device_id=device.device_id),
    )
    session.commit()
    assert big.status == "WAIT_BUYER_PAY"
    csrf = _cookie_client(client, session, buyer)
    page = client.get("/app/pay")
    assert page.status_code == 200 and big.trade_no in page.text and "300.00" in page.text
    assert page.headers["cache-control"] == "no-store"  # it carries the device secret
    updates = client.get("/app/pay/updates", params={"since": "2000-01-01T00:00:00+00:00"}).json()
    assert [p["trade_no"] for p in updates["pending"]] == [big.trade_no]
    assert {u["merchant_name"] for u in updates["uses"]} == {"城东便利店"}
    assert (
        client.post("/app/pay/confirm", data={"trade_no": big.trade_no, "csrf": "wrong"}).status_code == 403
    )
    r = client.post("/app/pay/confirm", data={"trade_no": big.trade_no, "csrf": csrf})
    assert r.status_code == 200 and 'data-status="TRADE_SUCCESS"' in r.text
    session.expire_all()
    # 500.00 − 12.00 − 300.00 = 188.00
    assert wallet.wallet_balance(session, buyer.public_id) == 18_800


def test_settings_page(client: TestClient, session: Session) -> None:
    citizen = make_citizen(session, verified=True)
    csrf = _cookie_client(client, session, citizen)
    assert "200.00" in client.get("/app/pay/settings").text
    r = client.post("/app/pay/settings", data={"limit": "50.5", "csrf": csrf}, follow_redirects=False)
    assert r.status_code == 303
    assert codes.small_amount_limit(session, citizen.public_id) == 5050
    session.rollback()
    bad = client.post("/app/pay/settings", data={"limit": "2000.01", "csrf": csrf})
    assert bad.status_code == 422 and "2000.00" in bad.text
    assert client.post("/app/pay/settings", data={"limit": "abc", "csrf": csrf}).status_code == 422


def test_scan_api_dynamic_and_static(client: TestClient, session: Session) -> None:
    merchant = make_merchant(session, name="西湖茶馆")
    buyer = make_buyer(session, balance=10_000)
    token = login_token(session, buyer)
    order = trade.precreate(
        session, merchant_id=merchant.public_id, out_trade_no="P1", amount=2_550, subject="龙井"
    )
    static = trade.static_qr_payload(session, merchant.public_id)
    session.commit()
    h = _bearer(token)
    assert order.qr_code is not None
    d = client.post("/v1/scans", json={"payload": order.qr_code}, headers=h).json()
    assert (d["merchant_name"], d["dynamic"], d["amount_fen"], d["order_ref"]) == (
        "西湖茶馆",
        True,
        2550,
        order.trade_no,
    )
    paid = client.post("/v1/scans/payments", json={"payload": order.qr_code}, headers=h)
    assert paid.status_code == 201 and paid.json()["status"] == "TRADE_SUCCESS"
    s = client.post("/v1/scans", json={"payload": static}, headers=h).json()
    assert s["dynamic"] is False and s["amount_fen"] is None
    no_amount = client.post("/v1/scans/payments", json={"payload": static}, headers=h)
    assert no_amount.status_code == 422 and no_amount.json()["code"] == "scan_amount_required"
    ok = client.post(
        "/v1/scans/payments", json={"payload": static, "amount_fen": 450, "note": "茶点"}, headers=h
    )
    assert ok.status_code == 201 and ok.json()["amount"] == 450
    # 100.00 − 25.50 − 4.50 = 70.00
    assert wallet.wallet_balance(session, buyer.public_id) == 7_000
    session.rollback()
    foreign = emvco.encode_merchant_qr(merchant_id="x", merchant_name="A", city="B").replace(
        "cn.onecity", "cn.another"
    )
    bad = client.post("/v1/scans", json={"payload": foreign}, headers=h)
    assert bad.status_code == 400 and bad.json()["code"] == "merchant_qr_invalid"  # CRC broken by the edit
    fixed = foreign[:-4] + f"{emvco.crc16_ccitt_false(foreign[:-4].encode()):04X}"
    assert (
        client.post("/v1/scans", json={"payload": fixed}, headers=h).json()["code"] == "merchant_qr_foreign"
    )


def test_scan_page_with_uploaded_image(client: TestClient, session: Session) -> None:
    merchant = make_merchant(session, name="湖滨书店")
    buyer = make_buyer(session, balance=10_000)
    static = trade.static_qr_payload(session, merchant.public_id)
    csrf = _cookie_client(client, session, buyer)
    r = client.post("/app/scan", data={"csrf": csrf}, files={"image": ("qr.png", _png(static), "image/png")})
    assert r.status_code == 200, r.text
    assert "湖滨书店" in r.text and 'data-testid="scan-amount-input"' in r.text
    not_qr = client.post(
        "/app/scan", data={"csrf": csrf}, files={"image": ("x.png", b"not an image", "image/png")}
    )
    assert not_qr.status_code == 422 and "没有找到二维码" in not_qr.text
    paid = client.post("/app/scan/pay", data={"csrf": csrf, "payload": static, "amount": "12.30", "note": ""})
    assert paid.status_code == 200 and 'data-status="TRADE_SUCCESS"' in paid.text and "12.30" in paid.text
    broke = client.post(
        "/app/scan/pay", data={"csrf": csrf, "payload": static, "amount": "999.00", "note": ""}
    )
    assert broke.status_code == 409  # 100.00 − 12.30 leaves 87.70: not enough


@pytest.mark.parametrize("path", ["/app/pay", "/app/scan", "/app/pay/settings"])
def test_pages_send_visitors_to_sign_in(client: TestClient, path: str) -> None:
    r = client.get(path, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/app/login")
