"""The issuer routes and the public status-list and trust-list routes through the real app: staff
bearer tokens and signed agency requests, roles, idempotency keys, problem codes and cache headers."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from onecity import clock
from onecity.credentials import jose, service, status_list
from onecity.credentials.models import Credential
from onecity.db import session_factory
from onecity.identity.orgs import service as orgs
from onecity.identity.orgs.signatures import sign_request
from tests.credentials.issuer_factories import make_issuer
from tests.credentials.test_issuance import CLAIMS
from tests.identity.orgs.factories import make_api_key, make_org, make_staff, staff_token


def _bearer(token: str, **extra: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}", **extra}


def _count() -> int:
    with session_factory()() as s:
        return s.scalar(select(func.count()).select_from(Credential)) or 0


def test_issue_revoke_and_the_published_list(client, session):
    issuer = make_issuer(session)
    org = orgs.get_org(session, issuer.org_id)
    operator = staff_token(session, make_staff(session, org, roles=["operator"]))
    reviewer = staff_token(session, make_staff(session, org, roles=["reviewer"]))
    session.commit()
    body = {"type_id": "driving_licence", "claims": CLAIMS}
    r = client.post("/v1/issuer/credentials", json=body, headers=_bearer(operator, **{"Idempotency-Key": "i-1"}))
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["credential_id"].startswith("crd_") and out["issuer_id"] == issuer.issuer_id
    assert r.headers["location"] == f"/v1/issuer/credentials/{out['credential_id']}"
    again = client.post("/v1/issuer/credentials", json=body, headers=_bearer(operator, **{"Idempotency-Key": "i-1"}))
    assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
    assert again.json() == out and _count() == 1
    denied = client.post("/v1/issuer/credentials", json=body, headers=_bearer(reviewer))
    assert denied.status_code == 403  # reviewers read; operators and managers issue
    listed = client.get("/v1/issuer/credentials", headers=_bearer(reviewer)).json()
    assert [c["credential_id"] for c in listed] == [out["credential_id"]] and listed[0]["claims"] is None

    cid = out["credential_id"]
    s = client.post(f"/v1/issuer/credentials/{cid}/suspend", headers=_bearer(operator))
    assert s.status_code == 200 and s.json()["status"] == "suspended"
    assert client.post(f"/v1/issuer/credentials/{cid}/reinstate", headers=_bearer(operator)).json()["status"] == "valid"
    re = client.post(f"/v1/issuer/credentials/{cid}/reissue", json={}, headers=_bearer(operator))
    assert re.status_code == 201 and re.json()["credential_id"] != cid and _count() == 2
    old = client.get(f"/v1/issuer/credentials/{cid}", headers=_bearer(reviewer)).json()
    assert old["status"] == "revoked" and old["replaced_by"] == re.json()["credential_id"]
    cid = re.json()["credential_id"]
    out = re.json()
    rv = client.post(f"/v1/issuer/credentials/{cid}/revoke", headers=_bearer(operator, **{"Idempotency-Key": "r-1"}))
    assert rv.status_code == 200 and rv.json()["status"] == "revoked"
    no = client.post(f"/v1/issuer/credentials/{cid}/reinstate", headers=_bearer(operator))
    assert no.status_code == 409 and no.json()["code"] == "credential_status_conflict"

    with session_factory()() as s2:
        public = service.active_key(s2, issuer_id=issuer.issuer_id).public_key
    key = jose.verifying_key("EdDSA", public)
    jwt = client.get(f"/v1/status-lists/{issuer.issuer_id}")
    assert jwt.status_code == 200 and jwt.headers["content-type"].startswith("application/statuslist+jwt")
    assert jwt.headers["cache-control"] == "public, max-age=300"
    token = status_list.verify_jwt(jwt.text, key=key, now=clock.now(), expected_uri=out["status_uri"])
    assert token.status_list.get(out["status_idx"]) == status_list.INVALID
    cwt = client.get(f"/v1/status-lists/{issuer.issuer_id}", headers={"accept": "application/statuslist+cwt"})
    assert cwt.status_code == 200 and cwt.headers["content-type"] == "application/statuslist+cwt"
    token = status_list.verify_cwt(cwt.content, key=key, now=clock.now())
    assert token.status_list.get(out["status_idx"]) == status_list.INVALID and token.ttl == 300
    missing = client.get("/v1/status-lists/iss_nope")
    assert missing.status_code == 404 and missing.json()["code"] == "credential_issuer_not_found"


def test_bad_claims_and_other_orgs_get_problem_codes(client, session):
    issuer = make_issuer(session)
    org = orgs.get_org(session, issuer.org_id)
    admin = staff_token(session, make_staff(session, org, roles=["admin"]))
    stranger = staff_token(session, make_staff(session, make_org(session, kind="agency"), roles=["admin"]))
    session.commit()
    bad = client.post("/v1/issuer/credentials", json={"type_id": "driving_licence",
                                                       "claims": {**CLAIMS, "valid_until": "2032-02-30"}},
                      headers=_bearer(admin))
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
    assert bad.json()["code"] == "credential_claims_invalid" and "valid_until" in bad.text
    unknown = client.post("/v1/issuer/credentials", json={"type_id": "pilot_licence", "claims": {}},
                          headers=_bearer(admin))
    assert unknown.status_code == 404 and unknown.json()["code"] == "credential_type_unknown"
    nobody = client.post("/v1/issuer/credentials", json={"type_id": "driving_licence", "claims": CLAIMS},
                         headers=_bearer(stranger))
    assert nobody.status_code == 404 and nobody.json()["code"] == "credential_issuer_not_found"
    cid = client.post("/v1/issuer/credentials", json={"type_id": "driving_licence", "claims": CLAIMS},
                      headers=_bearer(admin)).json()["credential_id"]
    theirs = client.post(f"/v1/issuer/credentials/{cid}/revoke", headers=_bearer(stranger))
    assert theirs.status_code == 404
    assert _count() == 1


def test_signed_agency_request_issues_and_the_trust_list_is_public(client, session):
    issuer = make_issuer(session)
    org = orgs.get_org(session, issuer.org_id)
    app_id, pem = make_api_key(session, org, scopes=["operator"])
    session.commit()
    raw = json.dumps({"type_id": "driving_licence", "claims": CLAIMS}).encode()
    headers = sign_request(pem, app_id, "POST", "/v1/issuer/credentials", raw)
    r = client.post("/v1/issuer/credentials", content=raw, headers={**headers, "content-type": "application/json"})
    assert r.status_code == 201, r.text
    tl = client.get("/v1/trust-list")
    assert tl.status_code == 200 and "max-age" in tl.headers["cache-control"]
    content = service.verify_trust_list(tl.text)
    assert content.scope == "440300" and [i.issuer_id for i in content.issuers] == [issuer.issuer_id]
