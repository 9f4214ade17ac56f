"""Issuers and their keys: registration, encrypted private keys, rotation, revocation, the CLI."""

from __future__ import annotations

from datetime import timedelta

import pytest
from cryptography.exceptions import InvalidTag
from sqlalchemy import select
from typer.testing import CliRunner

from onecity import clock
from onecity.audit import service as audit
from onecity.credentials import algorithms, service
from onecity.credentials.models import IssuerKey
from onecity.credentials.trust import TrustStore
from onecity.crypto import fields
from tests.credentials.issuer_factories import make_issuer
from tests.identity.orgs.factories import make_org


def _key_row(session, kid: str) -> IssuerKey:
    return session.scalars(select(IssuerKey).where(IssuerKey.kid == kid)).one()


def test_an_agency_becomes_an_issuer_with_an_active_key(session):
    issuer = make_issuer(session, region="440300")
    key = service.active_key(session, issuer_id=issuer.issuer_id)
    assert issuer.issuer_id.startswith("iss_") and issuer.active_kid == key.kid
    assert key.alg == "EdDSA" and key.status == "active" and key.not_after is None
    assert key.kid == algorithms.key_id("EdDSA", key.public_key)
    s = service.signer(session, issuer_id=issuer.issuer_id)
    assert s._private.hex() not in repr(s) and str(list(s._private)) not in repr(s)
    assert algorithms.verify("EdDSA", key.public_key, b"hello", s.sign(b"hello"))
    entries = audit.entries_for_org(session, org_id=issuer.org_id).entries
    assert [e.action for e in entries][:1] == ["credential_issuer.register"]


def test_private_keys_are_encrypted_and_bound_to_their_key(session):
    a = make_issuer(session)
    b = make_issuer(session)
    row_a, row_b = _key_row(session, a.active_kid), _key_row(session, b.active_kid)
    private = fields.decrypt(row_a.private_key_enc, purpose=f"credentials.issuer_key.{row_a.kid}")
    assert private not in row_a.private_key_enc
    assert algorithms.public_from_private("EdDSA", private) == row_a.public_key
    row_b.private_key_enc = row_a.private_key_enc  # copied to another key's row: refused
    session.flush()
    with pytest.raises(InvalidTag):
        service.signer(session, issuer_id=b.issuer_id)


def test_sm2_issuers_sign_with_sm2(session):
    issuer = make_issuer(session, alg="SM2")
    key = service.active_key(session, issuer_id=issuer.issuer_id)
    assert key.alg == "SM2" and len(key.public_key) == 65
    sig = service.signer(session, issuer_id=issuer.issuer_id).sign("电子证照".encode())
    assert algorithms.verify("SM2", key.public_key, "电子证照".encode(), sig)


def test_only_active_agencies_register_once_with_valid_details(session):
    merchant = make_org(session, kind="merchant")
    with pytest.raises(service.IssuerNotAnAgency):
        service.register_issuer(session, org_id=merchant.public_id, name="便利店", region="440300")
    suspended = make_org(session, kind="agency", status="suspended")
    with pytest.raises(service.IssuerNotAnAgency):
        service.register_issuer(session, org_id=suspended.public_id, name="某局", region="440300")
    with pytest.raises(service.IssuerNotAnAgency):
        service.register_issuer(session, org_id="org_nobody", name="某局", region="440300")
    agency = make_org(session, kind="agency")
    for name, region, alg in (("", "440300", "EdDSA"), ("某局", "4403", "EdDSA"), ("某局", "440300", "RSA")):
        with pytest.raises(service.IssuerInputInvalid):
            service.register_issuer(session, org_id=agency.public_id, name=name, region=region, alg=alg)
    service.register_issuer(session, org_id=agency.public_id, name="某局", region="440300")
    with pytest.raises(service.IssuerExists):
        service.register_issuer(session, org_id=agency.public_id, name="某局", region="440300")


def test_rotation_retires_the_old_key_which_keeps_verifying_what_it_signed(session):
    clock.freeze(clock.now())
    issuer = make_issuer(session)
    old = service.signer(session, issuer_id=issuer.issuer_id)
    signed_before = clock.now()
    old_sig = old.sign(b"certificate 1")
    clock.advance(timedelta(days=30))

    new = service.rotate_key(session, issuer_id=issuer.issuer_id)
    assert new.kid != old.kid and new.status == "active"
    keys = {k.kid: k for k in service.issuer_keys(session, issuer_id=issuer.issuer_id)}
    assert keys[old.kid].status == "retired" and keys[old.kid].not_after == clock.now()
    assert _key_row(session, old.kid).private_key_enc is None  # destroyed: it can never sign again
    with pytest.raises(service.IssuerKeyRetired):
        service.signer(session, issuer_id=issuer.issuer_id, kid=old.kid)
    assert service.signer(session, issuer_id=issuer.issuer_id).kid == new.kid

    store = TrustStore(service.verify_trust_list(service.build_trust_list(session, scope="440300")))
    trusted_old = store.accepts(old.kid, signed_at=signed_before)
    assert trusted_old is not None and trusted_old.issuer_id == issuer.issuer_id
    assert algorithms.verify(trusted_old.alg, trusted_old.public_key, b"certificate 1", old_sig)
    # A signature the old key claims to have made after its retirement is not accepted.
    assert store.accepts(old.kid, signed_at=clock.now() + timedelta(seconds=1)) is None
    assert store.accepts(new.kid, signed_at=clock.now() + timedelta(seconds=1)) is not None
    assert service.get_issuer(session, issuer.issuer_id).active_kid == new.kid


def test_rotation_can_switch_algorithm(session):
    issuer = make_issuer(session)
    new = service.rotate_key(session, issuer_id=issuer.issuer_id, alg="SM2")
    assert new.alg == "SM2" and service.get_issuer(session, issuer.issuer_id).alg == "SM2"


def test_a_compromised_key_leaves_the_trust_list(session):
    issuer = make_issuer(session)
    first = issuer.active_kid
    second = service.rotate_key(session, issuer_id=issuer.issuer_id).kid
    third = service.rotate_key(session, issuer_id=issuer.issuer_id, compromised=True).kid
    statuses = {k.kid: k.status for k in service.issuer_keys(session, issuer_id=issuer.issuer_id)}
    assert statuses == {first: "retired", second: "revoked", third: "active"}
    service.revoke_key(session, issuer_id=issuer.issuer_id, kid=first)
    service.revoke_key(session, issuer_id=issuer.issuer_id, kid=first)  # idempotent
    with pytest.raises(service.IssuerKeyActive):
        service.revoke_key(session, issuer_id=issuer.issuer_id, kid=third)
    store = TrustStore(service.verify_trust_list(service.build_trust_list(session, scope="440300")))
    assert first not in store and second not in store and third in store
    with pytest.raises(service.IssuerKeyRetired):
        service.signer(session, issuer_id=issuer.issuer_id, kid=second)
    with pytest.raises(service.IssuerNotFound):
        service.rotate_key(session, issuer_id="iss_nobody")


def test_the_keys_commands(session):
    from onecity.cli import app

    agency = make_org(session, kind="agency")
    session.commit()
    runner = CliRunner()
    r = runner.invoke(app, ["keys", "issuer-create", "--org", agency.public_id, "--name", "深圳市公安局交通警察支队",
                            "--region", "440300"])
    assert r.exit_code == 0, r.output
    issuer_id = r.output.split()[1]
    assert issuer_id.startswith("iss_")
    again = runner.invoke(app, ["keys", "issuer-create", "--org", agency.public_id, "--name", "x", "--region", "440300"])
    assert again.exit_code == 1 and "credential_issuer_exists" in again.output
    r = runner.invoke(app, ["keys", "issuer-rotate", issuer_id])
    assert r.exit_code == 0 and "retired" in r.output and "new active key" in r.output, r.output
    r = runner.invoke(app, ["keys", "trust-list", "--scope", "440300"])
    assert r.exit_code == 0, r.output
    text = r.stdout.strip().splitlines()[0]
    content = service.verify_trust_list(text)
    assert [i.issuer_id for i in content.issuers] == [issuer_id]
    assert len(content.issuers[0].keys) == 2


def test_concurrent_rotations_leave_exactly_one_active_key(session):
    import threading

    from onecity.db import transaction

    issuer = make_issuer(session)
    session.commit()
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def rotate() -> None:
        try:
            barrier.wait(timeout=10)
            with transaction() as s:
                service.rotate_key(s, issuer_id=issuer.issuer_id)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=rotate) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    session.expire_all()
    statuses = [k.status for k in service.issuer_keys(session, issuer_id=issuer.issuer_id)]
    assert sorted(statuses) == ["active", "retired", "retired", "retired", "retired"]
