"""Claiming a certificate into the wallet, OpenID4VCI-style, through the HTTP API: offer after face
verification → Token Endpoint (pre-authorised code) → Credential Endpoint with a JWT proof of the
holder key → SD-JWT VC + QR certificates bound to that key. Every refusal is checked to leave
everything as it was (the code, the token, the certificate, the face grant)."""

from __future__ import annotations

import json
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jwcrypto.jwk import JWK
from sd_jwt.verifier import SDJWTVerifier
from sqlalchemy import select

from onecity import clock
from onecity.credentials import cwt, jose, presentation, sdjwt
from onecity.credentials.models import Credential, CredentialClaim
from onecity.credentials.service import claims
from onecity.identity.face.models import FaceGrant
from onecity.outbox import OutboxEvent
from tests.credentials.issuer_factories import make_issuer
from tests.credentials.samples import DRIVING_LICENCE, FIELD_NAMES
from tests.identity.family.factories import make_face_grant, person

NAMES = FIELD_NAMES[2]
BASE = "http://testserver"
PRE_AUTH = "urn:ietf:params:oauth:grant-type:pre-authorized_code"


def _claims_for(id_number: str, name: str) -> dict[str, Any]:
    out = {NAMES[k]: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in DRIVING_LICENCE.items()}
    out.update(name=name, licence_number=id_number, file_number="110100123456")
    return out


class Holder:
    """A citizen with a session token and an Ed25519 holder key (what the browser keeps in IndexedDB)."""

    def __init__(self, session: Any) -> None:
        self.person = person(session)
        self.token = self.person.token(session)
        self.key = Ed25519PrivateKey.generate()
        self.public = self.key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def proof(self, nonce: str, *, aud: str = BASE, typ: str = claims.PROOF_TYP, key: Any = None,
              iat: int | None = None) -> str:
        header = {"typ": typ, "jwk": jose.public_jwk(self.key)}
        payload = {"aud": aud, "iat": iat if iat is not None else int(clock.now().timestamp()), "nonce": nonce}
        return jose.sign_compact(key or self.key, header, payload)


@pytest.fixture
def setup(session: Any) -> dict[str, Any]:
    issuer = make_issuer(session)
    holder = Holder(session)
    other = Holder(session)
    from onecity.credentials import service

    cred = service.issue_credential(session, issuer_id=issuer.issuer_id, type_id="driving_licence",
                                    claims=_claims_for(holder.person.id_number, holder.person.name),
                                    citizen_id=holder.person.id, actor="test")
    session.commit()
    return {"issuer": issuer, "holder": holder, "other": other, "cred": cred.credential_id}


def _offer(client: Any, session: Any, holder: Holder, cred: str, *, grant: str | None = None) -> Any:
    if grant is None:
        grant = make_face_grant(session, holder.person.citizen, act=claims.CLAIM_ACT)
        session.commit()
    return client.post(f"/v1/wallet/credentials/{cred}/offer", json={"face_grant": grant}, headers=holder.auth)


def _code(offer: dict[str, Any]) -> str:
    code: str = offer["grants"][PRE_AUTH]["pre-authorized_code"]
    return code


def _token(client: Any, code: str, headers: dict[str, str] | None = None) -> Any:
    return client.post("/v1/oid4vci/token", data={"grant_type": PRE_AUTH, "pre-authorized_code": code},
                       headers=headers or {})


def _credential(client: Any, access_token: str, proof: str, config: str = "driving_licence") -> Any:
    return client.post("/v1/oid4vci/credential", headers={"Authorization": f"Bearer {access_token}"},
                       json={"credential_configuration_id": config, "proofs": {"jwt": [proof]}})


def _row(session: Any, cred: str) -> SimpleNamespace:
    """A snapshot of the certificate's row; the read transaction ends at once (SQLite: the app's
    requests must be able to write)."""
    session.expire_all()
    row = session.scalars(select(Credential).where(Credential.public_id == cred)).one()
    snap = SimpleNamespace(**{c: getattr(row, c) for c in ("holder_citizen_id", "holder_alg", "holder_public_key",
                                                             "claimed_at")})
    session.rollback()
    return snap


def _claim_to_token(client: Any, session: Any, holder: Holder, cred: str) -> dict[str, Any]:
    offer = _offer(client, session, holder, cred)
    assert offer.status_code == 201, offer.text
    tok = _token(client, _code(offer.json()))
    assert tok.status_code == 200, tok.text
    return dict(tok.json())


def test_claim_flow_binds_the_holder_key_and_returns_both_formats(client, session, setup) -> None:
    holder, cred = setup["holder"], setup["cred"]
    listed = client.get("/v1/wallet/credentials", headers=holder.auth).json()
    assert [(c["credential_id"], c["claimed"], c["status"]) for c in listed["credentials"]] == [(cred, False, "valid")]

    offer = _offer(client, session, holder, cred)
    assert offer.status_code == 201, offer.text
    body = offer.json()
    assert body["credential_issuer"] == BASE and body["credential_configuration_ids"] == ["driving_licence"]
    assert offer.headers["cache-control"] == "no-store"

    tok = _token(client, _code(body))
    assert tok.status_code == 200, tok.text
    t = tok.json()
    assert t["token_type"] == "Bearer" and t["expires_in"] == 600 and t["c_nonce_expires_in"] == 300  # noqa: S105
    assert t["access_token"].startswith("oc4vci_")

    meta = client.get("/.well-known/openid-credential-issuer").json()
    assert meta["credential_endpoint"] == f"{BASE}/v1/oid4vci/credential"
    assert meta["credential_configurations_supported"]["driving_licence"]["format"] == "dc+sd-jwt"
    nonce = client.post("/v1/oid4vci/nonce").json()["c_nonce"]  # the Nonce Endpoint's nonce works as well

    resp = _credential(client, t["access_token"], holder.proof(nonce))
    assert resp.status_code == 200, resp.text
    out = resp.json()
    sd = out["credentials"][0]["credential"]
    qr = out["onecity_qr_certificates"]
    assert set(qr["certificates"]) == set(qr["deflate_prefixes"]) == {"full", "traffic_police", "hotel", "car_rental"}

    row = _row(session, cred)
    assert (row.holder_citizen_id, row.holder_alg, row.holder_public_key) == (holder.person.id, "EdDSA", holder.public)
    assert row.claimed_at is not None
    events = session.scalars(select(OutboxEvent.topic).where(OutboxEvent.topic == "credentials.claimed")).all()
    assert events == ["credentials.claimed"]
    session.rollback()

    # the SD-JWT VC: bound to the holder's key, verifiable by the reference implementation
    _, payload, _, _ = jose.parse_compact(sd.split("~")[0])
    assert payload["cnf"]["jwk"] == jose.public_jwk(holder.key) and payload["vct"].endswith("driving_licence")
    issuer_jwk = JWK.from_json(json.dumps(meta_issuer_jwk(session, setup["issuer"].issuer_id)))
    ref = SDJWTVerifier(sd, lambda iss, header: issuer_jwk).get_verified_payload()
    assert ref["licence_number"] == holder.person.id_number and ref["licence_class"] == "C1"
    assert ref["status"]["status_list"]["uri"].startswith("urn:onecity:status-list:")

    # our verifier on a key-bound presentation of two fields
    now = clock.now()
    pres = sdjwt.present(sd, disclose=["licence_class"], holder_key=holder.key, aud="hotel", nonce="n1", iat=now)
    v = client.post("/v1/verifications", json={"text": pres}).json()
    assert v["ok"] is True, v

    # the QR certificate is bound to the same key: a presentation from it verifies
    full = jose.b64url_decode(qr["certificates"]["full"])
    assert cwt.parse(full).certificate.holder_public == holder.public
    text = presentation.present(full, holder_alg="EdDSA", holder_private=holder.key.private_bytes_raw(),
                                holder_public=holder.public, now=now)
    v = client.post("/v1/verifications", json={"text": text}).json()
    assert v["ok"] is True and v["reason"] == "ok"
    listed = client.get("/v1/wallet/credentials", headers=holder.auth).json()["credentials"]
    assert [(c["credential_id"], c["claimed"]) for c in listed] == [(cred, True)]

    # the wallet refreshes its certificates for the bound key; after revocation it cannot
    refreshed = client.get(f"/v1/wallet/credentials/{cred}/certificates", headers=holder.auth)
    assert refreshed.status_code == 200 and set(refreshed.json()["certificates"]) >= {"full", "hotel"}
    from onecity.credentials import service

    service.revoke_credential(session, issuer_id=setup["issuer"].issuer_id, credential_id=cred, actor="test",
                              **({"reason": "违法记分满12分"} if "reason" in service.revoke_credential.__code__.co_varnames
                                 else {}))
    session.commit()
    assert client.get(f"/v1/wallet/credentials/{cred}/certificates", headers=holder.auth).status_code == 409
    listed = client.get("/v1/wallet/credentials", headers=holder.auth).json()["credentials"]
    assert [(c["status"], c["claimed"]) for c in listed] == [("revoked", True)]
    v = client.post("/v1/verifications", json={"text": text}).json()
    assert v["ok"] is False and v["reason"] == "revoked"


def test_a_certificate_of_an_sm2_issuer_is_claimed_as_qr_certificates_only(client, session) -> None:
    """SM2 has no JOSE registration: no SD-JWT VC (an empty `credentials`), the QR certificates signed
    SM2-with-SM3 and bound to the holder's Ed25519 key, verifying as any other."""
    from onecity.credentials import service

    issuer = make_issuer(session, alg="SM2")
    holder = Holder(session)
    cred = service.issue_credential(session, issuer_id=issuer.issuer_id, type_id="driving_licence",
                                    claims=_claims_for(holder.person.id_number, holder.person.name),
                                    citizen_id=holder.person.id, actor="test").credential_id
    session.commit()
    t = _claim_to_token(client, session, holder, cred)
    resp = _credential(client, t["access_token"], holder.proof(t["c_nonce"]))
    assert resp.status_code == 200, resp.text
    out = resp.json()
    assert out["credentials"] == []
    full = jose.b64url_decode(out["onecity_qr_certificates"]["certificates"]["full"])
    assert cwt.parse(full).certificate.holder_public == holder.public
    text = presentation.present(full, holder_alg="EdDSA", holder_private=holder.key.private_bytes_raw(),
                                holder_public=holder.public, now=clock.now())
    v = client.post("/v1/verifications", json={"text": text}).json()
    assert v["ok"] is True and v["reason"] == "ok" and v["issuer"] == issuer.issuer_id, v
    assert _row(session, cred).holder_alg == "EdDSA"


def meta_issuer_jwk(session: Any, issuer_id: str) -> dict[str, str]:
    from onecity.credentials import service

    jwk = jose.public_jwk(jose.verifying_key("EdDSA", service.active_key(session, issuer_id=issuer_id).public_key))
    session.rollback()
    return jwk


def test_a_pre_authorised_code_is_single_use(client, session, setup) -> None:
    holder, cred = setup["holder"], setup["cred"]
    code = _code(_offer(client, session, holder, cred).json())
    assert _token(client, code).status_code == 200
    again = _token(client, code)
    assert again.status_code == 400
    assert again.json()["code"] == "credential_claim_code_invalid" and again.json()["error"] == "invalid_grant"
    assert "already used" in again.json()["detail"]
    assert _token(client, "not-a-code").json()["error"] == "invalid_grant"
    wrong = client.post("/v1/oid4vci/token", data={"grant_type": "authorization_code", "pre-authorized_code": code})
    assert wrong.status_code == 400 and wrong.json()["error"] == "unsupported_grant_type"


def test_an_expired_code_and_an_expired_token_are_refused(client, session, setup) -> None:
    holder, cred = setup["holder"], setup["cred"]
    code = _code(_offer(client, session, holder, cred).json())
    clock.advance(claims.CODE_TTL + timedelta(seconds=1))
    late = _token(client, code)
    assert late.status_code == 400 and "expired" in late.json()["detail"]
    session.expire_all()
    claim = session.scalars(select(CredentialClaim)).one()
    assert claim.code_used_at is None and claim.token_hash is None  # nothing changed
    session.rollback()

    t = _claim_to_token(client, session, holder, cred)
    clock.advance(claims.TOKEN_TTL + timedelta(seconds=1))
    nonce = client.post("/v1/oid4vci/nonce").json()["c_nonce"]
    r = _credential(client, t["access_token"], holder.proof(nonce))
    assert r.status_code == 401 and r.json()["error"] == "invalid_token"
    assert _row(session, cred).holder_public_key is None


@pytest.mark.parametrize("what", ["other_key", "wrong_aud", "wrong_typ", "old_iat", "no_proof", "other_config"])
def test_a_wrong_proof_is_refused_and_changes_nothing(client, session, setup, what) -> None:
    holder, cred = setup["holder"], setup["cred"]
    t = _claim_to_token(client, session, holder, cred)
    nonce = t["c_nonce"]
    proofs = {
        "other_key": holder.proof(nonce, key=Ed25519PrivateKey.generate()),  # jwk says one key, signed by another
        "wrong_aud": holder.proof(nonce, aud="https://elsewhere.example"),
        "wrong_typ": holder.proof(nonce, typ="JWT"),
        "old_iat": holder.proof(nonce, iat=int(clock.now().timestamp()) - 3600),
    }
    if what == "no_proof":
        r = client.post("/v1/oid4vci/credential", headers={"Authorization": f"Bearer {t['access_token']}"},
                        json={"credential_configuration_id": "driving_licence", "proofs": {"jwt": []}})
    elif what == "other_config":
        r = _credential(client, t["access_token"], holder.proof(nonce), config="resident_id")
    else:
        r = _credential(client, t["access_token"], proofs[what])
    assert r.status_code == 400, r.text
    expected = "unknown_credential_configuration" if what == "other_config" else "invalid_proof"
    assert r.json()["error"] == expected, r.json()
    assert _row(session, cred).holder_public_key is None
    # the token is still good: the right proof claims it now
    ok = _credential(client, t["access_token"], holder.proof(nonce))
    assert ok.status_code == 200, ok.text
    again = _credential(client, t["access_token"], holder.proof(nonce))
    assert again.status_code == 401 and "already used" in again.json()["detail"]


def test_a_wrong_or_expired_nonce_is_refused(client, session, setup) -> None:
    holder, cred = setup["holder"], setup["cred"]
    t = _claim_to_token(client, session, holder, cred)
    forged = t["c_nonce"].rsplit(".", 1)[0] + ".0123456789abcdef0123456789abcdef"
    for bad in ("made-up-nonce", forged):
        r = _credential(client, t["access_token"], holder.proof(bad))
        assert r.status_code == 400 and r.json()["error"] == "invalid_nonce", r.text
    clock.advance(claims.NONCE_TTL - timedelta(seconds=1))
    fresh = client.post("/v1/oid4vci/nonce").json()["c_nonce"]
    clock.advance(timedelta(seconds=2))  # the token's first nonce has just expired; the fresh one has not
    r = _credential(client, t["access_token"], holder.proof(t["c_nonce"]))
    assert r.status_code == 400 and r.json()["error"] == "invalid_nonce"
    assert _row(session, cred).holder_public_key is None
    assert _credential(client, t["access_token"], holder.proof(fresh)).status_code == 200


def test_someone_else_cannot_claim(client, session, setup) -> None:
    holder, other, cred = setup["holder"], setup["other"], setup["cred"]
    r = _offer(client, session, other, cred)
    assert r.status_code == 404 and r.json()["code"] == "credential_not_claimable"
    assert client.get(f"/v1/wallet/credentials/{cred}", headers=other.auth).status_code == 404
    code = _code(_offer(client, session, holder, cred).json())
    stolen = _token(client, code, headers=other.auth)
    assert stolen.status_code == 400 and stolen.json()["error"] == "invalid_grant"
    assert _token(client, code, headers=holder.auth).status_code == 200  # still the holder's to redeem


def test_claiming_needs_a_fresh_face_verification(client, session, setup) -> None:
    holder, cred = setup["holder"], setup["cred"]
    wrong_act = make_face_grant(session, holder.person.citizen, act="wallet.withdraw")
    session.commit()
    for grant in ("fgr_missing", wrong_act):
        r = _offer(client, session, holder, cred, grant=grant)
        assert r.status_code == 403 and r.json()["code"] == "face_grant_invalid", r.text
    grant = make_face_grant(session, holder.person.citizen, act=claims.CLAIM_ACT)
    session.commit()
    assert _offer(client, session, holder, cred, grant=grant).status_code == 201
    used = _offer(client, session, holder, cred, grant=grant)
    assert used.status_code == 403 and used.json()["code"] == "face_grant_invalid"
    session.expire_all()
    assert session.scalars(select(CredentialClaim)).all().__len__() == 1
    g = session.scalars(select(FaceGrant).where(FaceGrant.public_id == wrong_act)).one()
    assert g.consumed_at is None  # a refused claim leaves the other act's grant alone


def test_an_unclaimed_certificate_is_claimable_by_the_holder_of_its_id_number(client, session, setup) -> None:
    from onecity.credentials import service

    holder, other = setup["holder"], setup["other"]
    out = service.issue_credential(session, issuer_id=setup["issuer"].issuer_id, type_id="driving_licence",
                                   claims=_claims_for(other.person.id_number, other.person.name), actor="test",
                                   holder_id_number=other.person.id_number)
    session.commit()
    assert out.holder_citizen_id is None
    theirs = [c["credential_id"] for c in client.get("/v1/wallet/credentials", headers=other.auth).json()["credentials"]]
    mine = [c["credential_id"] for c in client.get("/v1/wallet/credentials", headers=holder.auth).json()["credentials"]]
    assert out.credential_id in theirs and out.credential_id not in mine
    detail = client.get(f"/v1/wallet/credentials/{out.credential_id}", headers=other.auth).json()
    assert detail["claims"]["licence_number"] == other.person.id_number and detail["claimed"] is False
    assert _offer(client, session, holder, out.credential_id).status_code == 404
    t = _claim_to_token(client, session, other, out.credential_id)
    assert _credential(client, t["access_token"], other.proof(t["c_nonce"])).status_code == 200
    assert _row(session, out.credential_id).holder_citizen_id == other.person.id
    from onecity.identity.orgs import service as orgs
    from tests.identity.orgs.factories import make_staff, staff_token

    operator = staff_token(session, make_staff(session, orgs.get_org(session, setup["issuer"].org_id),
                                               roles=["operator"]))
    session.commit()
    body = {"type_id": "driving_licence", "claims": _claims_for(holder.person.id_number, holder.person.name)}
    auth = {"Authorization": f"Bearer {operator}"}
    bad = client.post("/v1/issuer/credentials", json={**body, "holder_id_number": "110105198807142310"}, headers=auth)
    assert bad.status_code == 422 and bad.json()["code"] == "credential_claims_invalid"
    ok = client.post("/v1/issuer/credentials", json={**body, "holder_id_number": holder.person.id_number}, headers=auth)
    assert ok.status_code == 201 and ok.json()["holder_citizen_id"] is None
    mine = [c["credential_id"] for c in client.get("/v1/wallet/credentials", headers=holder.auth).json()["credentials"]]
    assert ok.json()["credential_id"] in mine
    with pytest.raises(Exception, match="holder_id_number"):
        service.issue_credential(session, issuer_id=setup["issuer"].issuer_id, type_id="driving_licence",
                                 claims=_claims_for(other.person.id_number, other.person.name), actor="test",
                                 holder_id_number="110105198807142310")


def test_a_reissued_certificate_shows_the_change_and_waits_to_be_claimed(client, session, setup) -> None:
    from onecity.credentials import service

    holder, cred = setup["holder"], setup["cred"]
    t = _claim_to_token(client, session, holder, cred)
    assert _credential(client, t["access_token"], holder.proof(t["c_nonce"])).status_code == 200
    new = service.reissue_credential(session, issuer_id=setup["issuer"].issuer_id, credential_id=cred, actor="test")
    session.commit()
    listed = client.get("/v1/wallet/credentials", headers=holder.auth).json()["credentials"]
    assert [(c["credential_id"], c["status"], c["claimed"], c["replaced_by"]) for c in listed] == [
        (cred, "revoked", True, new.credential_id), (new.credential_id, "valid", False, None)]
    assert client.get(f"/v1/wallet/credentials/{cred}/certificates", headers=holder.auth).status_code == 409
    r = _offer(client, session, holder, cred)  # the old one is no longer claimable
    assert r.status_code == 404


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(st.text(max_size=300), st.binary(max_size=200).map(lambda b: jose.b64url_encode(b) + "." * (len(b) % 3))))
def test_proof_parsing_never_crashes(text: str) -> None:
    """Whatever a wallet sends as a proof gets invalid_proof or invalid_nonce, never a crash."""
    with pytest.raises((claims.ClaimProofInvalid, claims.ClaimNonceInvalid)):
        claims.check_proof(text, audience=BASE, now=clock.now())


@given(st.dictionaries(st.sampled_from(["typ", "alg", "jwk", "kid", "crit"]),
                       st.one_of(st.text(max_size=20), st.integers(), st.none(), st.dictionaries(
                           st.sampled_from(["kty", "crv", "x", "d"]), st.text(max_size=50), max_size=4)), max_size=5),
       st.dictionaries(st.sampled_from(["aud", "iat", "nonce"]), st.one_of(st.text(max_size=20), st.integers(),
                                                                           st.floats(allow_nan=True)), max_size=3))
@settings(max_examples=300, deadline=None)
def test_proofs_with_any_header_and_claims_are_refused_cleanly(header: dict[str, Any], payload: dict[str, Any]) -> None:
    token = f"{jose.json_b64(header)}.{jose.json_b64(payload)}.{jose.b64url_encode(bytes(64))}"
    with pytest.raises((claims.ClaimProofInvalid, claims.ClaimNonceInvalid)):
        claims.check_proof(token, audience=BASE, now=clock.now())
