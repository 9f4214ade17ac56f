"""Transit's JSON routes through the real app: signed operator uploads (idempotent per tap, forged and
truncated records rejected per record), the citizen's certificate, trips, arrears and e-bus card."""

from __future__ import annotations

import base64

from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy import func, select

from onecity.transit import service
from onecity.transit.models import TransitTap
from onecity.transit.ridecode import code
from onecity.transit.ridecode.keys import SigningKey
from tests.identity.factories import login_token
from tests.identity.orgs.factories import make_api_key, make_org
from tests.transit.platform.factories import Operator, at, make_network, make_rider, set_clock

PATH = "/v1/transit/operator/taps"


def _post(client, op, body, key=None):
    extra = {"idempotency-key": key} if key else {}
    req = op.signed("POST", PATH, body, **extra)
    return client.post(PATH, content=req["content"], headers=req["headers"])


def _taps(session):
    session.rollback()
    return session.scalar(select(func.count()).select_from(TransitTap))


def test_upload_is_idempotent_per_tap(client, session):
    set_clock(at(0, "07:00"))
    net = make_network(session)
    riders = [make_rider(session) for _ in range(3)]
    session.commit()
    batch = [rec for r in riders for rec in r.ride(at(0, "08:00"), "S01", at(0, "08:20"), "S04")]
    set_clock(at(0, "09:00"))  # the gates upload after their taps (the platform refuses taps from its future)
    first = _post(client, net.metro, {"taps": batch[:4]}, key="b1")
    assert first.status_code == 200, first.text
    assert (first.json()["accepted"], first.json()["duplicates"]) == (4, 0)
    # the same batch under the same key: the stored response; under a new key: all duplicates
    assert _post(client, net.metro, {"taps": batch[:4]}, key="b1").json() == first.json()
    again = _post(client, net.metro, {"taps": batch[:4]}, key="b2").json()
    assert (again["accepted"], again["duplicates"]) == (0, 4)
    # an overlapping batch (taps 2..5): only the two new ones are stored
    overlap = _post(client, net.metro, {"taps": batch[2:]}).json()
    assert (overlap["accepted"], overlap["duplicates"]) == (2, 2)
    assert [x["result"] for x in overlap["results"]] == ["duplicate", "duplicate", "accepted", "accepted"]
    # a tap twice inside one batch is one tap
    inner = _post(client, net.metro, {"taps": [batch[0], batch[0]]}).json()
    assert [x["result"] for x in inner["results"]] == ["duplicate", "duplicate"]
    assert _taps(session) == 6


def test_forged_truncated_and_foreign_records_rejected_per_record(client, session):
    set_clock(at(0, "07:00"))
    net = make_network(session)
    r = make_rider(session)
    session.commit()
    good = r.tap(at(0, "08:00"), "S01")
    text = good["code"]
    forged = {**good, "code": text[:150] + ("A" if text[150] != "A" else "B") + text[151:]}
    truncated = {**r.tap(at(0, "08:01"), "S01"), "code": text[:200]}
    stale = {**r.tap(at(0, "08:02"), "S01"), "at": at(0, "08:10")}  # the code is 8 minutes older than the tap
    # a certificate signed by a key the platform never had
    rogue = SigningKey.generate()
    from onecity.transit.ridecode import certificate

    fake_cert = certificate.issue_certificate(rogue, serial=1, rider_ref=bytes(8), device_public=r.device.public,
                                              not_before=at(0, "07:00"))
    unknown_key = {**good, "code": code.to_qr_text(code.make_code(fake_cert, r.device, ts=at(0, "08:00"), counter=9))}
    bus_at_metro = r.tap(at(0, "08:03"), "B600-01", network="bus")  # the metro does not run bus 600
    wrong_id = {**r.tap(at(0, "08:04"), "S01"), "tap_id": "tap_00000000000000000000000000"}
    unknown_stop = r.tap(at(0, "08:05"), "X99")
    set_clock(at(0, "09:00"))
    resp = _post(client, net.metro, {"taps": [forged, truncated, good, stale, unknown_key, bus_at_metro, wrong_id,
                                              unknown_stop]})
    assert resp.status_code == 200, resp.text
    out = resp.json()
    assert [(x["result"], x["reason"]) for x in out["results"]] == [
        ("rejected", "forged"), ("rejected", "truncated"), ("accepted", None), ("rejected", "expired"),
        ("rejected", "unknown_key"), ("rejected", "not_your_network"), ("rejected", "tap_id_mismatch"),
        ("rejected", "unknown_stop")]
    assert (out["accepted"], out["rejected"]) == (1, 7)
    assert _taps(session) == 1
    # a rider the platform never certified (a valid chain, but no such rider): rejected too
    from tests.transit.platform.factories import Rider

    stranger = Rider(r.citizen, SigningKey.generate())
    stranger_cert = certificate.issue_certificate(service.keys.signing_key(session), serial=2, rider_ref=bytes(8),
                                                  device_public=stranger.device.public, not_before=at(0, "07:00"))
    session.commit()
    res = _post(client, net.metro, {"taps": [stranger.tap(at(0, "08:06"), "S01", cert=stranger_cert)]}).json()
    assert res["results"][0]["reason"] == "unknown_rider"


def test_upload_needs_a_transit_operator_signature(client, session):
    set_clock(at(0, "07:00"))
    net = make_network(session)
    r = make_rider(session)
    session.commit()
    body = {"taps": [r.tap(at(0, "08:00"), "S01")]}
    assert client.post(PATH, json=body).status_code == 401
    req = net.metro.signed("POST", PATH, body)
    tampered = req["content"].replace(b'"S01"', b'"S02"')  # the body no longer matches its signature
    assert client.post(PATH, content=tampered, headers=req["headers"]).status_code == 401
    merchant = make_org(session, kind="merchant")
    app_id, pem = make_api_key(session, merchant, scopes=["operator"])
    session.commit()
    shop = Operator(merchant, app_id, pem).signed("POST", PATH, body)
    not_transit = client.post(PATH, content=shop["content"], headers=shop["headers"])
    assert not_transit.status_code == 404 and not_transit.json()["code"] == "transit_not_an_operator"
    assert _taps(session) == 0


def test_citizen_gets_a_certificate_rides_and_sees_trips_and_pays_arrears(client, session):
    set_clock(at(0, "07:00"))
    net = make_network(session)
    r = make_rider(session, balance=100, certify=False)
    token = login_token(session, r.citizen)
    session.commit()
    auth = {"authorization": f"Bearer {token}"}
    device = ed25519.Ed25519PrivateKey.generate()
    pub = device.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    bad = client.post("/v1/transit/certificates", json={"device_public_key": "AAAA"}, headers=auth)
    assert bad.status_code == 422 and bad.json()["code"] == "transit_device_key_invalid"
    resp = client.post("/v1/transit/certificates", json={"device_public_key": base64.b64encode(pub).decode()},
                       headers={**auth, "idempotency-key": "c1"})
    assert resp.status_code == 201, resp.text
    cert = resp.json()
    assert cert["max_fare"] == 5000 and cert["rider_ref"] == client.get("/v1/transit/me", headers=auth).json()[
        "rider_ref"]
    # the phone makes codes offline with its own key; the metro's gates upload them
    r.device = SigningKey(device.private_bytes_raw(), pub)
    r.certs.append(base64.b64decode(cert["certificate"]))
    set_clock(at(0, "09:00"))
    assert _post(client, net.metro, {"taps": r.ride(at(0, "08:00"), "S01", at(0, "08:20"), "S04")}).json()[
        "accepted"] == 2
    set_clock(at(1, "05:00"))
    service.price_due(session)
    session.commit()
    trips = client.get("/v1/transit/trips", headers=auth).json()
    (day,) = trips["days"]
    assert day["service_day"] == "2026-11-23" and day["fares"] == 200 and day["due"] == 200
    (leg,) = day["legs"]
    assert (leg["from_stop"], leg["to_stop"], leg["charged"], leg["operator_id"]) == (
        "S01", "S04", 200, net.metro.org.public_id)
    # ¥2.00 due, ¥1.00 in the wallet: the debit fails, the rider is in arrears and denied
    assert service.debit_due(session).failed == 1
    session.commit()
    arrears = client.get("/v1/transit/arrears", headers=auth).json()
    assert arrears["in_arrears"] and arrears["amount"] == 200
    refused = client.post("/v1/transit/certificates", json={"device_public_key": base64.b64encode(pub).decode()},
                          headers=auth)
    assert refused.status_code == 409 and refused.json()["code"] == "transit_rider_in_arrears"
    req = net.metro.signed("GET", "/v1/transit/operator/deny-list")
    deny = client.get("/v1/transit/operator/deny-list", headers=req["headers"]).json()
    assert deny["riders"] == [cert["rider_ref"]]
    failed = client.post("/v1/transit/arrears/pay", headers=auth)
    assert failed.status_code == 409 and failed.json()["code"] == "transit_arrears_payment_failed"
    from tests.payments.trade.factories import fund_wallet

    fund_wallet(session, r.citizen_id, 1000)
    session.commit()
    paid = client.post("/v1/transit/arrears/pay", headers={**auth, "idempotency-key": "p1"})
    assert paid.status_code == 200 and paid.json() == {"in_arrears": False, "amount": 0, "charges": []}
    path = f"/v1/transit/operator/deny-list?since={deny['version']}"
    delta = client.get(path, headers=net.metro.signed("GET", path)["headers"]).json()
    assert delta["remove"]["riders"] == [cert["rider_ref"]] and delta["to_version"] == deny["version"] + 1
    # the operator's console figures
    path = "/v1/transit/operator/revenue?since=2026-11-20&until=2026-11-24"
    (rev,) = client.get(path, headers=net.metro.signed("GET", path)["headers"]).json()
    assert (rev["service_day"], rev["taps"], rev["fares"], rev["paid"]) == ("2026-11-23", 2, 200, 200)
    path = "/v1/transit/operator/trips?day=2026-11-23"
    (trip,) = client.get(path, headers=net.metro.signed("GET", path)["headers"]).json()
    assert trip["charged"] == 200
    path = "/v1/transit/operator/taps"
    assert len(client.get(path, headers=net.metro.signed("GET", path)["headers"]).json()["items"]) == 2
    # the bus company sees none of the metro's taps
    assert client.get(path, headers=net.bus.signed("GET", path)["headers"]).json()["items"] == []
    # e-bus card through the API
    top = client.post("/v1/transit/card/top-ups", json={"amount": 300, "request_id": "r1"}, headers=auth)
    assert top.status_code == 200 and top.json()["balance"] == 300
    mode = client.post("/v1/transit/payment-mode", json={"mode": "card"}, headers=auth)
    assert mode.json()["payment_mode"] == "card"


def test_rider_claim_and_operator_correction_through_the_api(client, session):
    set_clock(at(0, "07:00"))
    net = make_network(session)
    r = make_rider(session, balance=10_000)
    token = login_token(session, r.citizen)
    other = make_rider(session)
    other_token = login_token(session, other.citizen)
    session.commit()
    auth = {"authorization": f"Bearer {token}"}
    set_clock(at(0, "08:05"))
    res = _post(client, net.metro, {"taps": [r.tap(at(0, "08:00"), "S01")]}).json()
    tap_id = res["results"][0]["tap_id"]
    set_clock(at(0, "20:00"))
    service.price_due(session)
    session.commit()
    (day,) = client.get("/v1/transit/trips", headers=auth).json()["days"]
    assert (day["fares"], day["legs"][0]["status"]) == (2500, "missing_tap_out")  # the maximum fare
    # someone else cannot claim this rider's leg
    foreign = client.post("/v1/transit/claims", json={"tap_id": tap_id, "stop_id": "S04"},
                          headers={"authorization": f"Bearer {other_token}"})
    assert foreign.status_code == 404 and foreign.json()["code"] == "transit_tap_not_found"
    bad_stop = client.post("/v1/transit/claims", json={"tap_id": tap_id, "stop_id": "B600-01"}, headers=auth)
    assert bad_stop.status_code == 422
    claim = client.post("/v1/transit/claims", json={"tap_id": tap_id, "stop_id": "S04", "reason": "闸机故障"},
                        headers={**auth, "idempotency-key": "cl1"})
    assert claim.status_code == 201 and claim.json()["source"] == "rider"
    (day,) = client.get("/v1/transit/trips", headers=auth).json()["days"]
    assert (day["fares"], day["charged"], day["legs"][0]["status"]) == (200, 200, "corrected")  # ¥25 − ¥23
    body = {"tap_id": tap_id, "stop_id": "S06"}
    req = net.metro.signed("POST", "/v1/transit/operator/corrections", body)
    fixed = client.post("/v1/transit/operator/corrections", content=req["content"], headers=req["headers"])
    assert fixed.status_code == 201 and fixed.json()["source"] == "operator"
    (day,) = client.get("/v1/transit/trips", headers=auth).json()["days"]
    assert (day["fares"], day["charged"]) == (300, 300)  # S01 → S06, 9,500 m: ¥3.00
    charges = client.get("/v1/transit/charges", headers=auth).json()
    assert sorted(c["amount"] for c in charges) == [-2300, 100, 2500]
    again = client.post("/v1/transit/claims", json={"tap_id": tap_id, "stop_id": "S04"}, headers=auth)
    assert again.status_code == 409 and again.json()["code"] == "transit_correction_refused"
