"""The HTTP connector against a biller with its own endpoints: here the simulated biller served over
HTTP (an httpx MockTransport) that checks the platform's Ed25519 request signature with the public
key from `GET /v1/services/bills/key`, like a real biller would; and billers pushing acknowledgements
back through the signed org API."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from urllib.parse import parse_qs, unquote, urlsplit

import httpx
import pytest

from onecity import clock
from onecity.crypto import signing as crypto_signing
from onecity.identity.orgs import service as orgs
from onecity.identity.orgs.signatures import (
    APP_ID,
    NONCE,
    SIGNATURE,
    TIMESTAMP,
    canonical_string,
    sign_request,
)
from onecity.services.bills import service
from onecity.services.bills.errors import AccountUnknownAtBiller, BillerUnavailable
from tests.identity.orgs.factories import make_api_key
from tests.services.bills.factories import (
    WATER_NO,
    citizen,
    make_biller,
    run_dispatch,
    wallet_fen,
)

ENDPOINT = "https://biller.example/api"


def biller_server(sim: service.SimulatedBiller, public_pem: str, seen: list[str]) -> httpx.MockTransport:
    """The biller's HTTP side: refuses unsigned or badly signed requests (401), then answers from the simulator."""

    def handle(request: httpx.Request) -> httpx.Response:
        h = request.headers
        parts = urlsplit(str(request.url))
        message = canonical_string(method=request.method, decoded_path=unquote(parts.path), query=parts.query,
                                   timestamp=h.get(TIMESTAMP, ""), nonce=h.get(NONCE, ""), body=request.content)
        if h.get(APP_ID) != "onecity-platform" or not crypto_signing.verify(public_pem, message.encode(),
                                                                             h.get(SIGNATURE, "")):
            return httpx.Response(401, json={"code": "bad_signature"})
        path = parts.path.removeprefix("/api")
        seen.append(f"{request.method} {path}")
        try:
            if request.method == "GET" and path == "/bills":
                bills = sim.fetch(parse_qs(parts.query)["account_no"][0])
                return httpx.Response(200, json={"bills": [
                    {"bill_id": b.bill_id, "period": b.period, "amount": b.amount, "due_date": b.due_date.isoformat()
                     if b.due_date else None, "status": b.status, "holder_masked": b.holder_masked} for b in bills]})
            if request.method == "POST" and path == "/payments":
                d = json.loads(request.content)
                ack = sim.pay(d["bill_id"], d["amount"], d["ref"])
                return httpx.Response(200, json={"ref": ack.ref, "accepted": ack.accepted, "biller_ref": ack.biller_ref,
                                                 "reason": ack.reason, "duplicate": ack.duplicate})
            if request.method == "GET" and path.startswith("/payments/"):
                st = sim.status(unquote(path.removeprefix("/payments/")))
                if st.status == "not_found":
                    return httpx.Response(404, json={"code": "not_found"})
                return httpx.Response(200, json={"ref": st.ref, "status": st.status, "biller_ref": st.biller_ref,
                                                 "reason": st.reason, "confirmed_at": st.confirmed_at.isoformat()
                                                 if st.confirmed_at else None})
        except service.BillerAccountUnknown:
            return httpx.Response(404, json={"code": "account_unknown"})
        except service.BillerDown:
            return httpx.Response(503, json={"code": "busy"})
        except service.BillerTimeout as exc:
            raise httpx.ReadTimeout(str(exc), request=request) from exc
        return httpx.Response(404, json={"code": "no_route"})

    return httpx.MockTransport(handle)


@pytest.fixture
def http_biller(session, client):  # type: ignore[no-untyped-def]
    clock.freeze(datetime(2026, 11, 10, 2, tzinfo=UTC))
    org = make_biller(session, "water", connector="http", endpoint=ENDPOINT)
    c = citizen(session, balance=20_000)
    session.commit()
    sim = service.SimulatedBiller(org, service.BillerSimConfig(failure_bp=0, timeout_bp=0, duplicate_ack_bp=0,
                                                               min_delay_ms=500, max_delay_ms=500))
    bill = sim.issue_bill(WATER_NO, period="2026-10", amount=8_640, due_date=date(2026, 11, 20))
    seen: list[str] = []
    key = client.get("/v1/services/bills/key").json()["public_key_pem"]
    transport = biller_server(sim, key, seen)
    service.use_connector(org, service.HttpBiller(ENDPOINT, transport=transport))
    return org, sim, bill, c, seen, transport


def test_fetch_pay_confirm_over_signed_http(session, http_biller):
    org, sim, bill, c, seen, _ = http_biller
    assert service.get_biller(session, org).connector == "http"
    acc = service.add_account(session, citizen_id=c.public_id, biller_org_id=org, account_no=WATER_NO, alias="家",
                              actor=c.public_id)
    target = service.locate(session, citizen_id=c.public_id, account_id=acc.account_id, scope="pay_bills")
    session.commit()
    bills = service.fetch_from_biller(target)
    assert [(b.bill_id, b.amount, b.status) for b in bills] == [(bill, 8_640, "unpaid")]
    paid = service.pay_bill(session, target=target, bills=bills, bill_id=bill, amount=8_640, actor=c.public_id)
    session.commit()
    run_dispatch()
    session.expire_all()
    assert service.get_payment(session, payment_id=paid.payment_id).state == "confirmed"
    assert seen == ["GET /bills", "POST /payments", f"GET /payments/{paid.payment_id}"]
    assert wallet_fen(session, c.public_id) == 11_360


def test_unsigned_or_unknown_or_down(session, http_biller):
    org, sim, bill, c, seen, transport = http_biller
    # A request signed with another key is refused by the biller: the platform reads that as "down".
    other_pem, _ = crypto_signing.generate_ed25519()
    with httpx.Client(transport=transport) as raw:
        url = f"{ENDPOINT}/bills?account_no={WATER_NO}"
        forged = raw.get(url, headers=sign_request(other_pem, "onecity-platform", "GET", url))
        assert forged.status_code == 401
    route = service.Route(org, "water", "http", ENDPOINT)
    with pytest.raises(service.BillerAccountUnknown):
        service.connector(route).fetch("0000000000")
    target = service.Target(0, "bac_x", c.public_id, c.public_id, "0000000000", route)
    with pytest.raises(AccountUnknownAtBiller):
        service.fetch_from_biller(target)
    service.use_connector(org, service.HttpBiller(ENDPOINT, transport=httpx.MockTransport(
        lambda r: httpx.Response(502, text="bad gateway"))))
    with pytest.raises(BillerUnavailable):
        service.fetch_from_biller(target)
    service.use_connector(org, service.HttpBiller(ENDPOINT, transport=httpx.MockTransport(
        lambda r: httpx.Response(200, json={"bills": [{"bill_id": "b", "period": "p", "amount": 86.4,
                                                        "due_date": None, "status": "unpaid"}]}))))
    with pytest.raises(BillerUnavailable):  # an amount that is not whole fen is not believed
        service.fetch_from_biller(target)


def test_billers_push_acknowledgements_and_repeats_are_harmless(session, client, http_biller):
    org, sim, bill, c, seen, _ = http_biller
    acc = service.add_account(session, citizen_id=c.public_id, biller_org_id=org, account_no=WATER_NO, alias="家",
                              actor=c.public_id)
    target = service.locate(session, citizen_id=c.public_id, account_id=acc.account_id, scope="pay_bills")
    session.commit()
    paid = service.pay_bill(session, target=target, bills=service.fetch_from_biller(target), bill_id=bill,
                            amount=8_640, actor=c.public_id)
    app_id, pem = make_api_key(session, orgs.get_org(session, org), scopes=["operator"])
    other = make_biller(session, "gas")
    other_app, other_pem = make_api_key(session, orgs.get_org(session, other), scopes=["operator"])
    session.commit()
    url = "/v1/services/bills/org/acks"
    body = json.dumps({"ref": paid.payment_id, "accepted": True, "biller_ref": "WB-1"})
    results = []
    for i in range(3):
        r = client.post(url, content=body, headers={**sign_request(pem, app_id, "POST", url, body),
                                                    "content-type": "application/json", "idempotency-key": f"k{i}"})
        assert r.status_code == 200, r.text
        results.append(r.json()["result"])
    assert results == ["acknowledged", "duplicate", "duplicate"]
    foreign = client.post(url, content=body, headers={**sign_request(other_pem, other_app, "POST", url, body),
                                                      "content-type": "application/json"})
    assert foreign.status_code == 404
    session.expire_all()
    got = service.get_payment(session, payment_id=paid.payment_id)
    assert (got.state, got.biller_ref) == ("acknowledged", "WB-1")
