"""The merchant and citizen JSON routes through the real app: staff bearer tokens, signed organisation
requests, roles, idempotency keys and problem codes."""

from __future__ import annotations

import json

from onecity.identity.orgs.signatures import sign_request
from onecity.payments.wallet import service as wallet
from tests.identity.factories import login_token
from tests.identity.orgs.factories import make_api_key, make_org, make_staff, staff_token
from tests.payments.trade.factories import make_buyer, make_merchant, payment_code


def _bearer(token: str, **extra: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}", **extra}


def test_staff_create_query_list_close(client, session):
    m = make_merchant(session)
    cashier = staff_token(session, make_staff(session, m, roles=["cashier"]))
    session.commit()
    body = {"out_trade_no": "T-100", "amount": 1234, "subject": "咖啡", "precreate": True}
    r = client.post("/v1/merchant/orders", json=body, headers=_bearer(cashier, **{"idempotency-key": "k1"}))
    assert r.status_code == 201, r.text
    o = r.json()
    assert o["status"] == "WAIT_BUYER_PAY" and o["qr_code"].startswith("000201") and o["merchant_id"] == m.public_id
    assert r.headers["location"] == "/v1/merchant/orders/T-100"
    again = client.post("/v1/merchant/orders", json=body, headers=_bearer(cashier))
    assert again.status_code == 201 and again.json()["trade_no"] == o["trade_no"]
    clash = client.post("/v1/merchant/orders", json={**body, "amount": 1}, headers=_bearer(cashier))
    assert clash.status_code == 409 and clash.json()["code"] == "out_trade_no_reused"
    assert client.get("/v1/merchant/orders/T-100", headers=_bearer(cashier)).json()["trade_no"] == o["trade_no"]
    page = client.get("/v1/merchant/orders", headers=_bearer(cashier)).json()
    assert [i["out_trade_no"] for i in page["items"]] == ["T-100"]
    closed = client.post("/v1/merchant/orders/T-100/close", headers=_bearer(cashier))
    assert closed.status_code == 200 and closed.json()["status"] == "TRADE_CLOSED"
    missing = client.get("/v1/merchant/orders/nope", headers=_bearer(cashier))
    assert missing.status_code == 404 and missing.json()["code"] == "trade_not_found"


def test_signed_request_pays_by_code_then_finance_refunds(client, session):
    m = make_merchant(session)
    app_id, pem = make_api_key(session, m, scopes=["cashier"])
    buyer = make_buyer(session, balance=10_000)
    code = payment_code(session, buyer)
    finance = staff_token(session, make_staff(session, m, roles=["finance"]))
    cashier = staff_token(session, make_staff(session, m, roles=["cashier"]))
    session.commit()
    raw = json.dumps({"out_trade_no": "POS-1", "amount": 2000, "subject": "超市", "auth_code": code}).encode()
    headers = sign_request(pem, app_id, "POST", "/v1/merchant/payments", raw)
    r = client.post("/v1/merchant/payments", content=raw, headers={**headers, "content-type": "application/json"})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "TRADE_SUCCESS" and r.json()["app_id"] == app_id
    refund = {"refund_amount": 500, "out_request_no": "RF-1", "reason": "退一件"}
    denied = client.post("/v1/merchant/orders/POS-1/refunds", json=refund, headers=_bearer(cashier))
    assert denied.status_code == 403  # cashiers take payments; refunds are for finance and managers
    ok = client.post("/v1/merchant/orders/POS-1/refunds", json=refund, headers=_bearer(finance))
    assert ok.status_code == 201, ok.text
    assert ok.json()["total_refunded"] == 500 and ok.json()["status"] == "TRADE_SUCCESS"
    too_much = client.post("/v1/merchant/orders/POS-1/refunds", json={"refund_amount": 1501, "out_request_no": "RF-2"},
                           headers=_bearer(finance))
    assert too_much.status_code == 409 and too_much.json()["code"] == "refund_amount_exceeds"
    assert wallet.wallet_balance(session, buyer.public_id) == 10_000 - 2000 + 500
    session.rollback()  # end the read (SQLite: every transaction holds the write lock)
    listed = client.get("/v1/merchant/orders/POS-1/refunds", headers=_bearer(cashier)).json()
    assert [x["out_request_no"] for x in listed] == ["RF-1"]


def test_citizen_confirms_a_pending_order(client, session):
    m = make_merchant(session)
    buyer = make_buyer(session, balance=100_000, small_limit=0)
    token = login_token(session, buyer)
    cashier = staff_token(session, make_staff(session, m, roles=["cashier"]))
    code = payment_code(session, buyer)
    session.commit()
    r = client.post("/v1/merchant/payments", headers=_bearer(cashier),
                    json={"out_trade_no": "BIG-1", "amount": 50_000, "subject": "家电", "auth_code": code})
    assert r.json()["status"] == "WAIT_BUYER_PAY" and r.json()["needs_confirmation"] is True
    pending = client.get("/v1/trades/pending", headers=_bearer(token)).json()
    assert [p["trade_no"] for p in pending] == [r.json()["trade_no"]]
    paid = client.post(f"/v1/trades/{r.json()['trade_no']}/pay", headers=_bearer(token, **{"idempotency-key": "p1"}))
    assert paid.status_code == 200 and paid.json()["status"] == "TRADE_SUCCESS"
    assert client.get("/v1/trades/pending", headers=_bearer(token)).json() == []
    assert client.get("/v1/merchant/orders/BIG-1", headers=_bearer(cashier)).json()["status"] == "TRADE_SUCCESS"


def test_other_organisations_cannot_use_merchant_routes(client, session):
    hospital = make_org(session, kind="hospital")
    staff = staff_token(session, make_staff(session, hospital, roles=["cashier"]))
    session.commit()
    r = client.post("/v1/merchant/orders", json={"out_trade_no": "H-1", "amount": 100, "subject": "挂号"},
                    headers=_bearer(staff))
    assert r.status_code == 403 and r.json()["code"] == "not_a_merchant"


def test_finance_reads_settlements_and_the_file_developers_read_notifications(client, session):
    from datetime import date, datetime, timedelta

    from onecity import clock, outbox
    from onecity.app import load_subscribers
    from onecity.clock import CITY_TZ
    from onecity.payments.trade import service as trade

    clock.freeze(datetime(2026, 11, 25, 15, tzinfo=CITY_TZ))
    m = make_merchant(session)
    finance = staff_token(session, make_staff(session, m, roles=["finance"]))
    app_id, pem = make_api_key(session, m, scopes=["developer"])
    session.commit()
    r = client.put("/v1/merchant/profile", headers=_bearer(finance),
                   json={"bank_account": "6222020200112233445", "holder_name": m.name_zh,
                         "notify_url": "http://127.0.0.1:9/notify"})
    assert r.status_code == 200 and r.json()["bank_account_masked"] == "**** **** **** 3445"
    buyer = make_buyer(session, balance=10_000)
    o = trade.create_order(session, merchant_id=m.public_id, out_trade_no="S-1", amount=1_000, subject="x")
    trade.pay_as_citizen(session, citizen_id=buyer.public_id, trade_no=o.trade_no)
    session.commit()
    load_subscribers()
    outbox.run_once()
    clock.freeze(clock.now() + timedelta(days=1))
    trade.settle_all(session, day=date(2026, 11, 25))
    session.commit()
    listed = client.get("/v1/merchant/settlements", headers=_bearer(finance)).json()
    assert [(s["settle_date"], s["payout_amount"], s["fees"]) for s in listed] == [("2026-11-25", 996, 4)]
    f = client.get("/v1/merchant/settlements/2026-11-25/file", headers=_bearer(finance))
    assert f.status_code == 200 and f.text.splitlines()[-4].endswith("10.00,0.04,9.96")
    assert client.get("/v1/merchant/settlements/2026-11-24/file", headers=_bearer(finance)).json()["code"] == \
        "settlement_not_found"
    url = "/v1/merchant/notifications"
    n = client.get(url, headers=sign_request(pem, app_id, "GET", url))
    assert n.status_code == 200 and n.json()["items"][0]["trade_no"] == o.trade_no
    assert n.json()["items"][0]["url"] == "http://127.0.0.1:9/notify"
