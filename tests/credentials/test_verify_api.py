"""POST /v1/verifications and the verifier page /verify, against the platform's own trust list (the
issuers of settings.city_code in the database) and the issuers' status lists as they stand."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import cbor2
import segno
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from onecity import clock
from onecity.config import get_settings
from onecity.credentials import algorithms, cwt, presentation, service
from tests.credentials import samples
from tests.credentials.issuer_factories import make_issuer

NAMED = {samples.FIELD_NAMES[samples.DRIVING_LICENCE_CODE][k]: (v.isoformat() if hasattr(v, "isoformat") else v)
         for k, v in samples.DRIVING_LICENCE.items()} | {"file_number": "110100123456"}


def _cert(session: Session, issuer_id: str, holder: algorithms.KeyPair, *, expires_in: timedelta = timedelta(days=365),
          idx: int = 5) -> bytes:
    now = int(clock.now().timestamp())
    cert = cwt.Certificate(issuer=None, type_id=samples.DRIVING_LICENCE_CODE, claims=samples.DRIVING_LICENCE,
                           holder_alg=holder.alg, holder_public=holder.public, issued_at=now,
                           expires_at=now + int(expires_in.total_seconds()),
                           status_uri=service.status_list_uri(issuer_id), status_idx=idx)
    return service.signer(session, issuer_id=issuer_id).sign_certificate(cert)


def _show(cert: bytes, holder: algorithms.KeyPair, *, at_offset: int = 0) -> str:
    return presentation.present(cert, holder_alg=holder.alg, holder_private=holder.private,
                                holder_public=holder.public, now=int(clock.now().timestamp()) + at_offset)


def _verify(client: TestClient, text: Any) -> dict[str, Any]:
    r = client.post("/v1/verifications", json={"text": text})
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def _world(session: Session) -> tuple[str, algorithms.KeyPair, bytes]:
    issuer = make_issuer(session, region=get_settings().city_code)
    holder = algorithms.generate("EdDSA")
    cert = _cert(session, issuer.issuer_id, holder)
    session.commit()
    return issuer.issuer_id, holder, cert


def test_anyone_verifies_a_valid_presentation_and_sees_only_the_disclosed_claims(client: TestClient,
                                                                                 session: Session) -> None:
    issuer_id, holder, cert = _world(session)
    view = service.signer(session, issuer_id=issuer_id).sign_view(cert, view="hotel", fields=samples.HOTEL_FIELDS)
    session.commit()  # the test's session holds no transaction while the app works (SQLite locks)
    body = _verify(client, _show(cert, holder))
    assert (body["ok"], body["reason"], body["issuer"], body["type"]) == (True, "ok", issuer_id, 2)
    assert body["message"] == {"zh-CN": "证照有效", "en": "Valid"}
    claims = {c["name"]: c for c in body["claims"]}
    assert claims["name"]["value"] == "欧阳建国" and claims["name"]["label"]["zh-CN"]

    body = _verify(client, _show(view, holder))
    assert body["ok"] and [c["name"] for c in body["claims"]] == ["name", "licence_number"]


def test_every_invalid_kind_gets_its_reason_and_no_claims(client: TestClient, session: Session) -> None:
    issuer_id, holder, cert = _world(session)
    expired = _cert(session, issuer_id, holder, expires_in=timedelta(seconds=-10))
    foreign_key = algorithms.generate("EdDSA")
    stranger = cwt.sign_certificate(cwt.parse(cert).certificate, alg="EdDSA", private=foreign_key.private,
                                    kid=algorithms.key_id("EdDSA", foreign_key.public), public=foreign_key.public)
    items = cbor2.loads(cwt.decode_qr(_show(cert, holder)))
    items[1] += 20
    session.commit()
    cases = {
        "tampered": cwt.encode_qr(cbor2.dumps(items)),
        "expired": _show(expired, holder),
        "unknown_issuer": _show(stranger, holder),
        "wrong_holder": _show(cert, algorithms.generate("EdDSA")),
        "stale_presentation": _show(cert, holder, at_offset=-600),
        "clock_skew": _show(cert, holder, at_offset=600),
        "malformed": "OC1:not-a-presentation",
    }
    for reason, text in cases.items():
        body = _verify(client, text)
        assert (body["ok"], body["reason"]) == (False, reason), reason
        assert body["claims"] == [] and body["message"]["en"] == presentation.MESSAGES[reason][1]
    for junk in ["", "   ", 12, None, "x" * 19_999]:
        r = client.post("/v1/verifications", json={"text": junk})
        assert r.status_code in (200, 422) and (r.status_code == 422 or r.json()["reason"] == "malformed")


def test_a_revoked_certificate_fails_at_once(client: TestClient, session: Session) -> None:
    issuer = make_issuer(session, region=get_settings().city_code)
    issued = service.issue_credential(session, issuer_id=issuer.issuer_id, type_id="driving_licence", claims=NAMED)
    holder = algorithms.generate("EdDSA")
    cert = service.signed_certificate(session, credential_id=issued.credential_id, holder_public=holder.public,
                                      holder_alg=holder.alg)
    session.commit()
    body = _verify(client, _show(cert, holder))
    assert body["ok"] and body["status_checked"] is True
    service.revoke_credential(session, issuer_id=issuer.issuer_id, credential_id=issued.credential_id)
    session.commit()
    body = _verify(client, _show(cert, holder))
    assert (body["ok"], body["reason"], body["claims"]) == (False, "revoked", [])


def test_the_verifier_page_pasted_text_and_an_image(client: TestClient, session: Session) -> None:
    issuer_id, holder, cert = _world(session)
    view = service.signer(session, issuer_id=issuer_id).sign_view(cert, view="hotel", fields=samples.HOTEL_FIELDS)
    session.commit()
    page = client.get("/verify")
    assert page.status_code == 200 and "验证证照" in page.text and 'name="text"' in page.text
    assert "Verify a certificate" in client.get("/verify?lang=en").text
    client.cookies.clear()

    ok = client.post("/verify", data={"text": _show(cert, holder)})
    assert ok.status_code == 200 and 'data-ok="true"' in ok.text and "欧阳建国" in ok.text
    hotel = client.post("/verify", data={"text": _show(view, holder)})
    assert 'data-ok="true"' in hotel.text and "欧阳建国" in hotel.text and "北京市朝阳区" not in hotel.text

    bad = client.post("/verify", data={"text": _show(cert, algorithms.generate("EdDSA"))})
    assert 'data-reason="wrong_holder"' in bad.text and "出示人不是持证人" in bad.text
    assert "Shown by someone other than the holder" in bad.text and "欧阳建国" not in bad.text

    png = io.BytesIO()
    segno.make(_show(cert, holder), error="q").save(png, kind="png", scale=4)
    pic = client.post("/verify", files={"image": ("qr.png", png.getvalue(), "image/png")}, data={"text": ""})
    assert pic.status_code == 200 and 'data-ok="true"' in pic.text
    junk = client.post("/verify", files={"image": ("x.png", b"not an image", "image/png")})
    assert junk.status_code == 400 and "二维码" in junk.text
    assert client.post("/verify", data={"text": ""}).status_code == 400
