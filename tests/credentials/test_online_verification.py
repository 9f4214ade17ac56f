"""The online verifier's cache honours the status lists' ttl (a revocation from another process shows
within it, one from this process at once), SM2 issuers publish CWT status lists that an offline
verifier checks, POST /v1/verifications takes SD-JWT VC presentations with audience and nonce, and a
certificate from another region's issuer verifies once that region's platform-signed list is
recognised."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from onecity import clock
from onecity.config import get_settings
from onecity.credentials import (
    algorithms,
    cwt,
    jose,
    online_cache,
    platform_key,
    presentation,
    service,
    status_list,
    trust,
)
from onecity.credentials.models import Credential
from onecity.credentials.verifier import Verifier
from tests.credentials import samples
from tests.credentials.issuer_factories import foreign_trust_list, make_issuer
from tests.credentials.test_consent import _sd_jwt_presentation
from tests.credentials.test_issuance import CLAIMS


def _issued(session: Any, *, alg: str = "EdDSA") -> tuple[Any, Any, algorithms.KeyPair, bytes]:
    issuer = make_issuer(session, region=get_settings().city_code, alg=alg)
    cred = service.issue_credential(session, issuer_id=issuer.issuer_id, type_id="driving_licence",
                                    claims=dict(CLAIMS), actor="test")
    holder = algorithms.generate("EdDSA")
    full = service.signed_certificate(session, credential_id=cred.credential_id, holder_public=holder.public,
                                      holder_alg="EdDSA")
    return issuer, cred, holder, full


def _show(full: bytes, holder: algorithms.KeyPair) -> str:
    return presentation.present(full, holder_alg="EdDSA", holder_private=holder.private, holder_public=holder.public,
                                now=clock.now())


def _verify(client: Any, text: str, **extra: Any) -> dict[str, Any]:
    r = client.post("/v1/verifications", json={"text": text, **extra})
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def test_a_revocation_from_another_process_shows_within_the_status_lists_ttl(client, session):
    clock.freeze(clock.now())
    issuer, cred, holder, full = _issued(session)
    session.commit()
    assert _verify(client, _show(full, holder))["ok"]
    loads = online_cache.CACHE.loads
    # another app process revokes: this process's cache is not told, the database changes
    session.execute(update(Credential).where(Credential.public_id == cred.credential_id).values(status="revoked"))
    session.commit()
    clock.advance(service.STATUS_TTL - timedelta(seconds=1))
    body = _verify(client, _show(full, holder))
    assert body["ok"] and body["status_checked"]  # still the cached list: within the ttl
    assert online_cache.CACHE.loads == loads  # nothing read again: trust store and list both cached
    clock.advance(timedelta(seconds=1))  # the ttl (300 s) has passed since the list was read
    body = _verify(client, _show(full, holder))
    assert (body["ok"], body["reason"]) == (False, "revoked")
    assert online_cache.CACHE.loads == loads + 2  # the trust store and the status list, read again


def test_a_change_committed_in_this_process_shows_at_once_and_a_rollback_drops_nothing(client, session):
    clock.freeze(clock.now())
    issuer, cred, holder, full = _issued(session)
    session.commit()
    assert _verify(client, _show(full, holder))["ok"]
    service.suspend_credential(session, issuer_id=issuer.issuer_id, credential_id=cred.credential_id)
    session.rollback()  # nothing changed: the cached list stays
    loads = online_cache.CACHE.loads
    assert _verify(client, _show(full, holder))["ok"] and online_cache.CACHE.loads == loads
    service.suspend_credential(session, issuer_id=issuer.issuer_id, credential_id=cred.credential_id, reason="年审")
    session.commit()
    assert _verify(client, _show(full, holder))["reason"] == "revoked"
    service.reinstate_credential(session, issuer_id=issuer.issuer_id, credential_id=cred.credential_id)
    session.commit()
    assert _verify(client, _show(full, holder))["ok"]


def test_an_sm2_issuers_revocation_is_verifiable_offline_from_its_cwt_status_list(client, session, tmp_path: Path):
    issuer, cred, holder, full = _issued(session, alg="SM2")
    trust_text = service.build_trust_list(session, scope=get_settings().city_code)
    session.commit()
    now = clock.now()
    text = _show(full, holder)
    token = service.publish_status_list(session, issuer_id=issuer.issuer_id, form="cwt")
    parsed = status_list.parse_cwt(token)
    assert parsed.protected[1] == algorithms.SM2_COSE_ALG and len(parsed.signature) == 64
    v = Verifier(trust_text, platform_key.platform_public(), {cred.status_uri: token}, now=now)
    assert v.rejected_status_lists == []
    ok = v.verify(text, now=now)
    assert ok.ok and ok.status_checked, ok
    with pytest.raises(service.StatusListUnsupported):  # SM2 has no JOSE form
        service.publish_status_list(session, issuer_id=issuer.issuer_id)

    service.revoke_credential(session, issuer_id=issuer.issuer_id, credential_id=cred.credential_id, reason="吊销")
    session.commit()
    served = client.get(f"/v1/status-lists/{issuer.issuer_id}")  # no Accept: an SM2 issuer serves CWT
    assert served.status_code == 200 and served.headers["content-type"] == status_list.CWT_TYP
    cache = tmp_path / "cache"
    (cache / "status").mkdir(parents=True)
    (cache / "trust-list.jwt").write_text(trust_text)
    (cache / "platform.pub").write_text(platform_key.platform_public().hex())
    (cache / "status" / "sm2.cwt").write_bytes(served.content)
    offline = Verifier.from_dir(cache, now=now)
    verdict = offline.verify(text, now=now)
    assert (verdict.ok, verdict.reason) == (False, "revoked")

    tampered = bytearray(served.content)
    tampered[-1] ^= 1  # a flipped signature bit: the list is refused, the status stays unknown
    refused = Verifier(trust_text, platform_key.platform_public(), {cred.status_uri: bytes(tampered)}, now=now)
    assert refused.rejected_status_lists == [cred.status_uri]
    assert refused.verify(text, now=now).status_checked is False
    other = make_issuer(session, region=get_settings().city_code)  # a list signed by a key not the issuer's
    forged = status_list.sign_cwt_with(status_list.StatusList.new(8, bits=2), cose_alg=algorithms.SM2_COSE_ALG,
                                       sign=lambda m: b"\0" * 64, sub=cred.status_uri, iat=now,
                                       kid=service.active_key(session, issuer_id=other.issuer_id).kid.encode())
    assert not Verifier(trust_text, platform_key.platform_public(), now=now).add_status_list(forged)


def test_an_sd_jwt_presentation_is_verified_online_with_its_audience_and_nonce(client, session):
    issuer = make_issuer(session, region=get_settings().city_code)
    cred = service.issue_credential(session, issuer_id=issuer.issuer_id, type_id="driving_licence",
                                    claims=dict(CLAIMS), actor="test")
    holder = algorithms.generate("EdDSA")
    text = _sd_jwt_presentation(session, issuer.issuer_id, cred, holder, aud="https://counter.example",
                                nonce="abc123", disclose=["licence_class"])
    session.commit()
    body = _verify(client, text, audience="https://counter.example", nonce="abc123")
    assert body["ok"] and body["status_checked"] and body["type_name"]["en"] == "Motor vehicle driving licence"
    shown = {c["name"]: c["value"] for c in body["claims"]}
    assert shown["licence_class"] == "C1" and shown["name"] == "欧阳建国" and "birth_date" not in shown
    assert _verify(client, text, audience="https://elsewhere.example", nonce="abc123")["reason"] == "stale_presentation"
    assert _verify(client, text, audience="https://counter.example", nonce="other")["reason"] == "stale_presentation"
    assert _verify(client, text.replace("~", "~x", 1))["ok"] is False  # a disclosure not signed for
    page = client.post("/verify", data={"text": text})  # the verifier page takes a pasted SD-JWT too
    assert page.status_code == 200 and 'data-ok="true"' in page.text and 'data-field="licence_class"' in page.text
    clock.advance(timedelta(minutes=6))  # the KB-JWT is older than five minutes
    assert _verify(client, text, audience="https://counter.example", nonce="abc123")["reason"] == "stale_presentation"
    clock.reset()
    service.revoke_credential(session, issuer_id=issuer.issuer_id, credential_id=cred.credential_id)
    session.commit()
    assert _verify(client, text, audience="https://counter.example", nonce="abc123")["reason"] == "revoked"


def test_a_certificate_from_a_recognised_regions_issuer_verifies_online(client, session):
    foreign = foreign_trust_list(scope="310000", region="310100", name="上海市")
    holder = algorithms.generate("EdDSA")
    now = int(clock.now().timestamp())
    cert = cwt.Certificate(issuer=None, type_id=samples.DRIVING_LICENCE_CODE, claims=samples.DRIVING_LICENCE,
                           holder_alg="EdDSA", holder_public=holder.public, issued_at=now, expires_at=now + 86400)
    signed = cwt.sign_certificate(cert, alg="EdDSA", private=foreign.issuer_key.private, kid=foreign.kid)
    make_issuer(session, region=get_settings().city_code)
    session.commit()
    assert _verify(client, _show(signed, holder))["reason"] == "unknown_issuer"
    with pytest.raises(trust.TrustListSignatureInvalid):  # not signed by the key given: refused
        service.import_recognised_list(session, text=foreign.text, platform_public=algorithms.generate("EdDSA").public)
    session.rollback()
    content = service.import_recognised_list(session, text=foreign.text, platform_public=foreign.platform.public,
                                             actor="test")
    assert content.scope == "310000"
    session.commit()
    body = _verify(client, _show(signed, holder))
    assert body["ok"] and body["issuer"] == foreign.issuer_id and body["status_checked"] is False
    published = service.verify_trust_list(client.get("/v1/trust-list").text)
    assert [r.scope for r in published.recognised] == ["310000"]
    clock.advance(timedelta(days=8))  # the recognised list expired: left out, its issuers unknown again
    assert _verify(client, _show(signed, holder))["reason"] == "unknown_issuer"


def test_onecity_keys_trust_recognise_imports_a_regions_list(session, tmp_path: Path):
    from typer.testing import CliRunner

    from onecity.cli import app

    foreign = foreign_trust_list(scope="310000", region="310100", name="上海市")
    path = tmp_path / "sh.jws"
    path.write_text(foreign.text)
    wrong = CliRunner().invoke(app, ["keys", "trust-recognise", str(path), "--key",
                                     jose.b64url_encode(algorithms.generate("EdDSA").public)])
    assert wrong.exit_code == 1 and "trust_list_signature_invalid" in wrong.output
    ok = CliRunner().invoke(app, ["keys", "trust-recognise", str(path), "--key",
                                  jose.b64url_encode(foreign.platform.public)])
    assert ok.exit_code == 0, ok.output
    assert "recognised 310000 上海市: 1 issuer(s)" in ok.output
    store = service.trust_store(session, scope=get_settings().city_code)
    assert store.scopes == (get_settings().city_code, "310000") and foreign.kid in store
