"""Consent and the access history: an organisation reads a citizen's certificate online only under
the citizen's consent for that purpose and type (missing, expired and withdrawn consents refused);
every read and every online verification (QR and SD-JWT) lands in the citizen's history, which the
citizen sees on /app/credentials/history, where consents are granted and withdrawn."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from onecity import clock
from onecity.audit.models import AuditEntry
from onecity.credentials import algorithms, jose, presentation, sdjwt, service, status_list, types
from onecity.credentials.schemas import CredentialOut
from onecity.identity.orgs import service as orgs
from onecity.identity.orgs.signatures import sign_request
from onecity.identity.sessions import SESSION_COOKIE, create_session
from tests.credentials.issuer_factories import make_issuer
from tests.credentials.test_issuance import CLAIMS
from tests.identity.factories import login_token, make_citizen
from tests.identity.orgs.factories import make_api_key, make_org, make_staff, staff_token


def _holder_world(session: Any) -> tuple[Any, Any, CredentialOut]:
    issuer = make_issuer(session)
    citizen = make_citizen(session, verified=True)
    cred = service.issue_credential(session, issuer_id=issuer.issuer_id, type_id="driving_licence",
                                    claims=dict(CLAIMS), citizen_id=citizen.public_id, actor="test")
    return issuer, citizen, cred


def test_a_read_needs_a_consent_for_that_org_purpose_and_type(session):
    _, citizen, cred = _holder_world(session)
    hospital = make_org(session, kind="hospital")
    other = make_org(session, kind="agency")
    args = {"org_id": hospital.public_id, "citizen_id": citizen.public_id, "type_id": "driving_licence",
            "purpose": "service_application"}
    with pytest.raises(service.ConsentRequired):  # no consent at all
        service.read_for_purpose(session, **args)
    consent = service.grant_consent(session, citizen_id=citizen.public_id, org_id=hospital.public_id,
                                    purpose="service_application", type_ids=["driving_licence", "resident_id"],
                                    days=30)
    assert consent.active and consent.type_ids == ("driving_licence", "resident_id")
    claims = service.read_for_purpose(session, **args)
    assert claims["name"] == "欧阳建国" and claims["licence_number"] == "110105198807142316"
    for wrong in ({"purpose": "marketing"}, {"org_id": other.public_id}):
        with pytest.raises(service.ConsentRequired):
            service.read_for_purpose(session, **{**args, **wrong})
    with pytest.raises(service.CredentialNotFound):  # consented, but the citizen holds no such certificate
        service.read_for_purpose(session, **{**args, "type_id": "resident_id"})
    with pytest.raises(types.UnknownType):
        service.read_for_purpose(session, **{**args, "type_id": "pilot_licence"})

    history = service.access_history(session, citizen_id=citizen.public_id)
    assert len(history) == 1  # only the read that happened
    entry = history[0]
    assert (entry.channel, entry.org_id, entry.purpose, entry.verdict, entry.credential_id) == (
        "read", hospital.public_id, "service_application", "ok", cred.credential_id)
    assert entry.fields == tuple(CLAIMS) and entry.org_name == hospital.name_zh
    audit_actions = list(session.scalars(select(AuditEntry.action).where(
        AuditEntry.subject_citizen_id == citizen.public_id).order_by(AuditEntry.seq)))
    assert audit_actions[-2:] == ["credential_consent.grant", "credential.read"]

    clock.advance(timedelta(days=30, seconds=1))  # the consent expired
    with pytest.raises(service.ConsentRequired):
        service.read_for_purpose(session, **args)
    assert not service.list_consents(session, citizen_id=citizen.public_id)[0].active


def test_a_withdrawn_consent_stops_reads_and_a_suspended_certificate_is_not_read(session):
    issuer, citizen, cred = _holder_world(session)
    agency = make_org(session, kind="agency")
    c = service.grant_consent(session, citizen_id=citizen.public_id, org_id=agency.public_id, purpose="prefill",
                              type_ids=["driving_licence"])
    args = {"org_id": agency.public_id, "citizen_id": citizen.public_id, "type_id": "driving_licence",
            "purpose": "prefill"}
    assert service.read_for_purpose(session, **args)["licence_class"] == "C1"
    service.suspend_credential(session, issuer_id=issuer.issuer_id, credential_id=cred.credential_id, reason="审核中")
    with pytest.raises(service.CredentialNotFound):
        service.read_for_purpose(session, **args)
    service.reinstate_credential(session, issuer_id=issuer.issuer_id, credential_id=cred.credential_id)
    with pytest.raises(service.ConsentNotFound):  # only the citizen's own consents
        service.withdraw_consent(session, citizen_id=make_citizen(session).public_id, consent_id=c.consent_id)
    out = service.withdraw_consent(session, citizen_id=citizen.public_id, consent_id=c.consent_id)
    assert not out.active and out.withdrawn_at is not None
    assert service.withdraw_consent(session, citizen_id=citizen.public_id, consent_id=c.consent_id) == out
    with pytest.raises(service.ConsentRequired):
        service.read_for_purpose(session, **args)
    with pytest.raises(service.ConsentInvalid):
        service.grant_consent(session, citizen_id=citizen.public_id, org_id=agency.public_id, purpose="Bad Purpose",
                              type_ids=["driving_licence"])
    with pytest.raises(service.ConsentInvalid):
        service.grant_consent(session, citizen_id=citizen.public_id, org_id="org_nobody", purpose="prefill",
                              type_ids=["driving_licence"])


def test_the_read_api_answers_403_without_consent_and_200_with_it(client, session):
    _, citizen, _ = _holder_world(session)
    hospital = make_org(session, kind="hospital")
    app_id, pem = make_api_key(session, hospital, scopes=["operator"])
    clerk = staff_token(session, make_staff(session, hospital, roles=["operator"]))
    token = login_token(session, citizen)
    session.commit()
    path = f"/v1/credentials/read?citizen_id={citizen.public_id}&type_id=driving_licence&purpose=admission"
    no = client.get(path, headers={"authorization": f"Bearer {clerk}"})
    assert no.status_code == 403 and no.headers["content-type"].startswith("application/problem+json")
    assert no.json()["code"] == "credential_consent_required"
    me = {"authorization": f"Bearer {token}"}
    r = client.post("/v1/me/credential-consents", headers=me,
                    json={"org_id": hospital.public_id, "purpose": "admission", "type_ids": ["driving_licence"],
                          "days": 7})
    assert r.status_code == 201 and r.json()["active"] is True
    consent_id = r.json()["consent_id"]
    signed = sign_request(pem, app_id, "GET", path, b"")
    ok = client.get(path, headers=signed)
    assert ok.status_code == 200, ok.text
    assert ok.json()["claims"]["name"] == "欧阳建国" and ok.json()["type_id"] == "driving_licence"
    access = client.get("/v1/me/credential-access", headers=me).json()
    assert [(a["channel"], a["org_id"], a["purpose"]) for a in access] == [("read", hospital.public_id, "admission")]
    w = client.post(f"/v1/me/credential-consents/{consent_id}/withdraw", headers=me)
    assert w.status_code == 200 and w.json()["active"] is False
    again = client.get(path, headers=sign_request(pem, app_id, "GET", path, b""))
    assert again.status_code == 403
    assert [c["active"] for c in client.get("/v1/me/credential-consents", headers=me).json()] == [False]


def _sd_jwt_presentation(session: Any, issuer_id: str, cred: CredentialOut, holder: algorithms.KeyPair, *,
                         aud: str, nonce: str, disclose: list[str]) -> str:
    """An SD-JWT VC of the certificate signed by its issuer, presented with a KB-JWT."""
    ctype = types.get_type(cred.type_id)
    key = service.signer(session, issuer_id=issuer_id)
    now = clock.now()
    issued = sdjwt.issue(issuer_key=key.jose_key(), iss=issuer_id, vct=ctype.vct, claims=dict(cred.claims or {}),
                         disclosable=[n for n in ctype.selectively_disclosable if n in (cred.claims or {})],
                         holder_jwk=algorithms.public_jwk("EdDSA", holder.public), iat=now,
                         exp=now + timedelta(days=365), kid=key.kid,
                         status=status_list.status_claim(cred.status_uri, cred.status_idx))
    return sdjwt.present(issued.serialize(), disclose=disclose, holder_key=jose.signing_key("EdDSA", holder.private),
                         aud=aud, nonce=nonce, iat=now)


def test_every_online_verification_lands_in_the_holders_history(client, session):
    from onecity.config import get_settings

    issuer = make_issuer(session, region=get_settings().city_code)
    citizen = make_citizen(session, verified=True)
    cred = service.issue_credential(session, issuer_id=issuer.issuer_id, type_id="driving_licence",
                                    claims=dict(CLAIMS), citizen_id=citizen.public_id, actor="test")
    hotel = make_org(session, kind="merchant", name="深圳湾酒店")
    app_id, pem = make_api_key(session, hotel, scopes=["operator"])
    holder = algorithms.generate("EdDSA")
    views = service.signed_views(session, credential_id=cred.credential_id, holder_public=holder.public,
                                 holder_alg="EdDSA")
    sd = _sd_jwt_presentation(session, issuer.issuer_id, cred, holder, aud="https://hotel.example", nonce="n-42",
                              disclose=["address"])
    session.commit()

    def show(cert: bytes) -> str:
        return presentation.present(cert, holder_alg="EdDSA", holder_private=holder.private,
                                    holder_public=holder.public, now=clock.now())

    anon = client.post("/v1/verifications", json={"text": show(views["full"])}).json()  # an anonymous verifier
    assert anon["ok"]
    raw = json.dumps({"text": show(views["hotel"]), "purpose": "hotel_checkin"}).encode()
    r = client.post("/v1/verifications", content=raw, headers={
        **sign_request(pem, app_id, "POST", "/v1/verifications", raw), "content-type": "application/json"})
    assert r.status_code == 200 and r.json()["ok"] and r.json()["view"] == "hotel"
    sd_ok = client.post("/v1/verifications", json={"text": sd, "audience": "https://hotel.example", "nonce": "n-42"})
    assert sd_ok.json()["ok"], sd_ok.json()
    forged = show(views["full"])[:-6] + "AAAAAA"  # unreadable: nothing checked, no trace in the history
    assert not client.post("/v1/verifications", json={"text": forged}).json()["ok"]
    service.revoke_credential(session, issuer_id=issuer.issuer_id, credential_id=cred.credential_id, reason="注销")
    session.commit()
    revoked = client.post("/v1/verifications", json={"text": show(views["full"])}).json()
    assert revoked["reason"] == "revoked"

    history = service.access_history(session, citizen_id=citizen.public_id)
    assert [(h.channel, h.org_id, h.purpose, h.verdict) for h in reversed(history)] == [
        ("verification", None, None, "ok"),
        ("verification", hotel.public_id, "hotel_checkin", "ok"),
        ("verification", None, None, "ok"),
        ("verification", None, None, "revoked"),
    ]
    full, hotel_view, sd_entry, failed = reversed(history)
    assert full.fields == tuple(CLAIMS)
    assert set(hotel_view.fields) == set(types.get_type("driving_licence").views["hotel"].fields)
    assert "address" in sd_entry.fields and "birth_date" not in sd_entry.fields and "cnf" not in sd_entry.fields
    assert failed.fields == ()


def _field(html: str, name: str) -> str:
    m = re.search(rf'name="{name}" value="([^"]+)"', html)
    assert m, name
    return m.group(1)


def test_the_history_page_lists_reads_and_consents_and_withdraws_one(client, session):
    _, citizen, _ = _holder_world(session)
    agency = make_org(session, kind="agency", name="南山区政务服务中心")
    token, _ = create_session(session, kind="citizen", subject_id=citizen.public_id, credential="cookie",
                              label="test")
    c = service.grant_consent(session, citizen_id=citizen.public_id, org_id=agency.public_id, purpose="prefill",
                              type_ids=["driving_licence"])
    service.read_for_purpose(session, org_id=agency.public_id, citizen_id=citizen.public_id,
                             type_id="driving_licence", purpose="prefill")
    session.commit()
    assert client.get("/app/credentials/history", follow_redirects=False).status_code == 303  # sign in first
    client.cookies.set(SESSION_COOKIE, token)
    page = client.get("/app/credentials/history")
    assert page.status_code == 200
    assert "南山区政务服务中心" in page.text and "在线读取" in page.text and "prefill" in page.text
    assert "准驾车型" in page.text  # the fields seen, by label
    assert 'data-active="true"' in page.text
    csrf = _field(page.text, "csrf")
    bad = client.post(f"/app/credentials/consents/{c.consent_id}/withdraw", data={"csrf": "forged"},
                      follow_redirects=False)
    assert bad.status_code == 403
    r = client.post(f"/app/credentials/consents/{c.consent_id}/withdraw", data={"csrf": csrf}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/app/credentials/history?done=withdrawn")
    assert 'data-active="false"' in client.get("/app/credentials/history").text
    granted = client.post("/app/credentials/consents", follow_redirects=False, data={
        "csrf": csrf, "org_id": agency.public_id, "purpose": "renewal", "type_ids": ["driving_licence"], "days": "5"})
    assert granted.status_code == 303
    refused = client.post("/app/credentials/consents", data={
        "csrf": csrf, "org_id": agency.public_id, "purpose": "renewal", "type_ids": ["pilot_licence"], "days": "5"})
    assert refused.status_code == 404 and "未知的证照类型" in refused.text
    with_org = orgs.get_org(session, agency.public_id)
    assert [x.purpose for x in service.list_consents(session, citizen_id=citizen.public_id)] == ["renewal", "prefill"]
    assert with_org.kind == "agency"
