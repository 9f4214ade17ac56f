"""Issuing, suspending, reinstating, revoking and re-issuing certificates through the service, and the
issuer's published status list as an offline verifier uses it."""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from onecity import clock
from onecity.audit.models import AuditEntry
from onecity.credentials import algorithms, cwt, jose, presentation, service, status_list, types
from onecity.credentials.models import Credential
from onecity.db import transaction
from onecity.outbox import OutboxEvent
from tests.credentials.issuer_factories import make_issuer
from tests.credentials.samples import DRIVING_LICENCE, FIELD_NAMES
from tests.identity.factories import make_citizen

NAMES = FIELD_NAMES[2]
CLAIMS = {NAMES[k]: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in DRIVING_LICENCE.items()}
CLAIMS["file_number"] = "110100123456"


def _issue(session, issuer, **kw):
    return service.issue_credential(session, issuer_id=issuer.issuer_id, type_id="driving_licence",
                                    claims=dict(CLAIMS), actor="test", **kw)


def _verify(session, issuer_id, text, now):
    """What an offline verifier says of `text` with the issuer's freshly fetched status list."""
    token = status_list.verify_jwt(service.publish_status_list(session, issuer_id=issuer_id),
                                   key=jose.verifying_key("EdDSA", service.active_key(session, issuer_id=issuer_id)
                                                          .public_key),
                                   now=now, expected_uri=service.status_list_uri(issuer_id))
    cache = status_list.StatusCache()
    cache.put(token, fetched_at=now)
    return presentation.verify_presentation(text, trust=service.trust_store(session, scope="440300"), status=cache,
                                            now=now, types=FIELD_NAMES)


def test_issue_show_revoke_and_the_status_list_says_revoked(session):
    issuer = make_issuer(session)
    citizen = make_citizen(session, verified=True)
    out = _issue(session, issuer, citizen_id=citizen.public_id)
    assert out.credential_id.startswith("crd_") and out.status == "valid" and out.holder_citizen_id == citizen.public_id
    assert out.claims is not None and out.claims["licence_number"] == "110105198807142316"
    assert out.valid_until == datetime(2032, 3, 2, 16, 0, tzinfo=UTC)  # end of valid_until in Beijing
    row = session.scalars(select(Credential)).one()
    assert "欧阳建国".encode() not in row.claims_enc  # encrypted at rest
    holder = algorithms.generate("EdDSA")
    full = service.signed_certificate(session, credential_id=out.credential_id, holder_public=holder.public,
                                      holder_alg="EdDSA")
    cert = cwt.parse(full).certificate
    assert cert.status_uri == out.status_uri and cert.status_idx == out.status_idx
    assert cert.holder_public == holder.public
    now = clock.now()
    text = presentation.present(full, holder_alg="EdDSA", holder_private=holder.private,
                                holder_public=holder.public, now=now)
    ok = _verify(session, issuer.issuer_id, text, now)
    assert ok.ok and ok.status_checked and ok.claims["name"] == "欧阳建国", ok

    revoked = service.revoke_credential(session, issuer_id=issuer.issuer_id, credential_id=out.credential_id,
                                        actor="test")
    assert revoked.status == "revoked"
    lst = service.status_list_of(session, issuer_id=issuer.issuer_id)
    assert lst.get(out.status_idx) == status_list.INVALID
    verdict = _verify(session, issuer.issuer_id, text, now)
    assert not verdict.ok and verdict.reason == "revoked"
    with pytest.raises(service.CredentialNotValid):
        service.signed_certificate(session, credential_id=out.credential_id, holder_public=holder.public,
                                   holder_alg="EdDSA")
    with pytest.raises(service.CredentialStateConflict):
        service.reinstate_credential(session, issuer_id=issuer.issuer_id, credential_id=out.credential_id)
    topics = [t for t in session.scalars(select(OutboxEvent.topic).order_by(OutboxEvent.id)) if t.startswith("cred")]
    assert topics == ["credentials.issued", "credentials.revoked"]
    actions = session.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)).all()
    assert actions[-2:] == ["credential.issued", "credential.revoked"]


def test_suspend_reinstate_and_cwt_form(session):
    issuer = make_issuer(session)
    out = _issue(session, issuer)
    assert out.holder_citizen_id is None
    s = service.suspend_credential(session, issuer_id=issuer.issuer_id, credential_id=out.credential_id)
    assert s.status == "suspended"
    assert service.suspend_credential(session, issuer_id=issuer.issuer_id, credential_id=out.credential_id) == s
    key = jose.verifying_key("EdDSA", service.active_key(session, issuer_id=issuer.issuer_id).public_key)
    token = status_list.verify_cwt(service.publish_status_list(session, issuer_id=issuer.issuer_id, form="cwt"),
                                   key=key, now=clock.now())
    assert token.sub == service.status_list_uri(issuer.issuer_id) and token.ttl == 300
    assert token.status_list.get(out.status_idx) == status_list.SUSPENDED
    back = service.reinstate_credential(session, issuer_id=issuer.issuer_id, credential_id=out.credential_id)
    assert back.status == "valid"
    assert service.status_list_of(session, issuer_id=issuer.issuer_id).get(out.status_idx) == status_list.VALID
    topics = [t for t in session.scalars(select(OutboxEvent.topic).order_by(OutboxEvent.id)) if t.startswith("cred")]
    assert topics == ["credentials.issued", "credentials.suspended", "credentials.reinstated"]


def test_reissue_revokes_and_points_at_the_new_one(session):
    issuer = make_issuer(session)
    citizen = make_citizen(session, verified=True)
    old = _issue(session, issuer, citizen_id=citizen.public_id)
    new = service.reissue_credential(session, issuer_id=issuer.issuer_id, credential_id=old.credential_id,
                                     claims={**CLAIMS, "address": "北京市海淀区中关村大街1号"})
    assert new.credential_id != old.credential_id and new.holder_citizen_id == citizen.public_id
    assert new.status_idx != old.status_idx and new.claims is not None
    assert new.claims["address"] == "北京市海淀区中关村大街1号"
    again = service.get_credential(session, credential_id=old.credential_id, citizen_id=citizen.public_id)
    assert again.status == "revoked" and again.replaced_by == new.credential_id
    mine = service.list_for_citizen(session, citizen_id=citizen.public_id)
    assert [c.credential_id for c in mine] == [new.credential_id, old.credential_id]
    listed = service.list_issued(session, issuer_id=issuer.issuer_id, status="valid")
    assert [c.credential_id for c in listed] == [new.credential_id] and listed[0].claims is None


def test_bad_input_is_refused(session):
    issuer = make_issuer(session)
    other = make_issuer(session)
    with pytest.raises(types.ClaimsInvalid) as bad:
        service.issue_credential(session, issuer_id=issuer.issuer_id, type_id="driving_licence",
                                 claims={**CLAIMS, "birth_date": "1988-13-01", "colour": "红"})
    assert "birth_date" in str(bad.value.detail) and "colour" in str(bad.value.detail)
    with pytest.raises(types.UnknownType):
        service.issue_credential(session, issuer_id=issuer.issuer_id, type_id="pilot_licence", claims={})
    out = _issue(session, issuer)
    with pytest.raises(service.CredentialNotFound):  # another issuer's certificate
        service.revoke_credential(session, issuer_id=other.issuer_id, credential_id=out.credential_id)
    with pytest.raises(service.HolderKeyInvalid):
        service.signed_certificate(session, credential_id=out.credential_id, holder_public=b"x", holder_alg="EdDSA")
    assert session.scalars(select(Credential)).all() and len(session.scalars(select(Credential)).all()) == 1


def test_indexes_are_random_and_unique_and_views_are_signed(session, monkeypatch):
    issuer = make_issuer(session)
    outs = [_issue(session, issuer) for _ in range(12)]
    idxs = [o.status_idx for o in outs]
    assert len(set(idxs)) == 12 and idxs != sorted(idxs)
    holder = algorithms.generate("EdDSA")
    views = service.signed_views(session, credential_id=outs[0].credential_id, holder_public=holder.public,
                                 holder_alg="EdDSA")
    assert set(views) >= {"full", "hotel"}
    assert cwt.parse(views["hotel"]).certificate.view == "hotel"
    # a small list fills up, and the next issuance is refused with a clear code
    monkeypatch.setattr(status_list.IndexAllocator, "allocate",
                        lambda self: (_ for _ in ()).throw(status_list.StatusListError("full")))
    with pytest.raises(service.StatusListFull):
        _issue(session, issuer)


def test_a_status_list_expires_for_verifiers_after_its_ttl(session):
    issuer = make_issuer(session)
    out = _issue(session, issuer)
    now = clock.now()
    token = status_list.verify_jwt(service.publish_status_list(session, issuer_id=issuer.issuer_id),
                                   key=jose.verifying_key("EdDSA", service.active_key(
                                       session, issuer_id=issuer.issuer_id).public_key), now=now)
    cache = status_list.StatusCache()
    cache.put(token, fetched_at=now)
    assert cache.is_revoked(out.status_uri, out.status_idx, now) is False
    later = now + service.STATUS_TTL + timedelta(seconds=1)
    assert cache.is_revoked(out.status_uri, out.status_idx, later) is None  # fetch again


def test_an_sm2_issuer_signs_certificates_and_no_jwt_status_list(session):
    """SM2 has no JOSE form: its status list is published as a CWT (tests/credentials/test_online_verification.py)."""
    issuer = make_issuer(session, alg="SM2")
    out = _issue(session, issuer)
    holder = algorithms.generate("EdDSA")
    full = service.signed_certificate(session, credential_id=out.credential_id, holder_public=holder.public,
                                      holder_alg="EdDSA")
    now = clock.now()
    text = presentation.present(full, holder_alg="EdDSA", holder_private=holder.private,
                                holder_public=holder.public, now=now)
    verdict = presentation.verify_presentation(text, trust=service.trust_store(session, scope="440300"),
                                               status=None, now=now, types=FIELD_NAMES)
    assert verdict.ok and not verdict.status_checked, verdict
    with pytest.raises(service.StatusListUnsupported):
        service.publish_status_list(session, issuer_id=issuer.issuer_id)


@pytest.mark.skipif(os.environ.get("ONECITY_TEST_DB") != "postgres",
                    reason="row locks and concurrent transactions are tested on PostgreSQL")
def test_concurrent_issuances_get_distinct_entries(session):
    issuer = make_issuer(session)
    session.commit()
    barrier = threading.Barrier(8)

    def one(_: int) -> int:
        barrier.wait(timeout=10)
        with transaction() as s:
            return _issue(s, issuer).status_idx

    with ThreadPoolExecutor(max_workers=8) as pool:
        idxs = list(pool.map(one, range(16)))
    assert len(set(idxs)) == 16
