"""Trust lists: signed by the platform, refused when tampered with or stale, scoped by region, and
nested for mutual recognition (互认) between provinces."""

from __future__ import annotations

import json
import os
import stat
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onecity import clock
from onecity.credentials import algorithms, jose, platform_key, service, trust
from onecity.credentials.trust import (
    TrustListExpired,
    TrustListMalformed,
    TrustListNotYetValid,
    TrustListSignatureInvalid,
    TrustStore,
)
from tests.credentials.issuer_factories import foreign_trust_list, make_issuer

TRUST_ERRORS = (TrustListMalformed, TrustListSignatureInvalid, TrustListExpired, TrustListNotYetValid)


def test_the_platform_key_is_made_once_in_the_key_dir_with_mode_0600():
    path = platform_key.key_path()
    pair = platform_key.platform_keypair()
    assert path.exists() and stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert platform_key._read_or_create(path).public == pair.public  # read back, not re-made
    assert platform_key.platform_kid() == algorithms.key_id("EdDSA", pair.public)


def test_a_city_list_names_its_issuers_and_their_keys(session):
    futian = make_issuer(session, region="440304", name="深圳市福田区民政局")
    city = make_issuer(session, region="440300", alg="SM2", name="深圳市公安局交通警察支队")
    make_issuer(session, region="440100", name="广州市公安局")  # another city of the province
    text = service.build_trust_list(session, scope="440300")
    content = service.verify_trust_list(text)
    assert content.scope == "440300" and content.name == "深圳市"
    assert {i.issuer_id for i in content.issuers} == {futian.issuer_id, city.issuer_id}
    assert content.expires_at - content.issued_at == timedelta(days=7)
    store = TrustStore(content)
    k = store.lookup(city.active_kid)
    assert k is not None and k.alg == "SM2" and k.issuer_name == "深圳市公安局交通警察支队" and k.via == ("440300",)
    assert k.public_key == service.active_key(session, issuer_id=city.issuer_id).public_key
    assert store.lookup("AAAAAAAAAAA") is None  # an unknown issuer
    # The province's list holds all three.
    province = service.verify_trust_list(service.build_trust_list(session, scope="440000", name="广东省"))
    assert len(province.issuers) == 3
    assert [i.issuer_id for i in service.list_issuers(session, scope="440300")] == [futian.issuer_id, city.issuer_id]


def test_a_tampered_list_is_refused(session):
    make_issuer(session, region="440300")
    text = service.build_trust_list(session, scope="440300")
    head, payload, sig = text.split(".")
    body = json.loads(jose.b64url_decode(payload))
    # An attacker adds their own key to the list and re-encodes it: the signature no longer matches.
    rogue = algorithms.generate("EdDSA")
    body["issuers"][0]["keys"].append({"kid": algorithms.key_id("EdDSA", rogue.public),
                                       "jwk": algorithms.public_jwk("EdDSA", rogue.public),
                                       "status": "active", "nbf": 0})
    with pytest.raises(TrustListSignatureInvalid):
        service.verify_trust_list(f"{head}.{jose.json_b64(body)}.{sig}")
    # ...or signs it with a key of their own: not a platform key the verifier trusts.
    forged = jose.sign_compact(_ed(rogue.private), {"typ": trust.TYP, "kid": algorithms.key_id(
        "EdDSA", rogue.public)}, body)
    with pytest.raises(TrustListSignatureInvalid):
        service.verify_trust_list(forged)
    assert service.verify_trust_list(forged, rogue.public).issuers  # it is only the key that is wrong
    with pytest.raises(TrustListSignatureInvalid):
        service.verify_trust_list(text[:-2] + ("AA" if text[-2:] != "AA" else "BA"))
    for garbage in ("", "a.b.c", "not a list", text.replace(".", "", 1), "\x00" * 10):
        with pytest.raises(TrustListMalformed):
            service.verify_trust_list(garbage)


def _ed(private: bytes):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    return Ed25519PrivateKey.from_private_bytes(private)


def test_a_stale_or_future_list_is_refused(session):
    clock.freeze(clock.now())
    make_issuer(session)
    text = service.build_trust_list(session, scope="440300", ttl=timedelta(days=1))
    assert service.verify_trust_list(text, now=clock.now() + timedelta(hours=23))
    with pytest.raises(TrustListExpired):
        service.verify_trust_list(text, now=clock.now() + timedelta(days=1))
    with pytest.raises(TrustListNotYetValid):
        service.verify_trust_list(text, now=clock.now() - timedelta(hours=1))
    with pytest.raises(service.TrustScopeInvalid):
        service.build_trust_list(session, scope="440300", ttl=timedelta(days=365))
    with pytest.raises(service.TrustScopeInvalid):
        service.build_trust_list(session, scope="4403")


def test_a_province_list_that_includes_another_provinces_list_makes_its_issuers_trusted(session):
    ours = make_issuer(session, region="440300")
    shanghai = foreign_trust_list(scope="310000", region="310100", name="上海市")
    # Alone, Shanghai's list means nothing to a Guangdong verifier: it does not trust that platform key.
    with pytest.raises(TrustListSignatureInvalid):
        service.verify_trust_list(shanghai.text)
    text = service.build_trust_list(session, scope="440000", name="广东省", recognised=[
        service.RecognisedList(platform_public=shanghai.platform.public, text=shanghai.text)])
    content = service.verify_trust_list(text)
    assert [r.scope for r in content.recognised] == ["310000"] and content.dropped == ()
    store = TrustStore(content)
    assert store.scopes == ("440000", "310000")
    sh = store.lookup(shanghai.kid)
    assert sh is not None and sh.issuer_id == shanghai.issuer_id and sh.via == ("440000", "310000")
    signature = algorithms.sign("EdDSA", shanghai.issuer_key.private, b"a Shanghai certificate")
    assert algorithms.verify(sh.alg, sh.public_key, b"a Shanghai certificate", signature)
    assert store.lookup(ours.active_kid).via == ("440000",)
    # An issuer nobody listed stays unknown.
    stranger = algorithms.generate("EdDSA")
    assert store.lookup(algorithms.key_id("EdDSA", stranger.public)) is None
    assert store.accepts(algorithms.key_id("EdDSA", stranger.public), signed_at=clock.now()) is None


def test_recognition_nests_and_drops_what_has_expired(session):
    clock.freeze(clock.now())
    make_issuer(session, region="440300")
    hainan = foreign_trust_list(scope="460000", region="460100", name="海南省", ttl=timedelta(days=2))
    shanghai = foreign_trust_list(scope="310000", name="上海市")
    # A Yangtze-delta list (another platform) recognising Shanghai, recognised in turn by Guangdong.
    delta_platform = algorithms.generate("EdDSA")
    delta = trust.sign_trust_list(scope="000000", name="长三角", issuers=[],
                                  recognised=[("310000", shanghai.platform.public, shanghai.text)],
                                  issued_at=clock.now(), expires_at=clock.now() + timedelta(days=7),
                                  platform_private=delta_platform.private)
    text = service.build_trust_list(session, scope="440000", recognised=[
        service.RecognisedList(hainan.platform.public, hainan.text),
        service.RecognisedList(delta_platform.public, delta)])
    store = TrustStore(service.verify_trust_list(text))
    assert store.lookup(shanghai.kid).via == ("440000", "000000", "310000")
    assert hainan.kid in store
    later = clock.now() + timedelta(days=3)  # Hainan's list has expired, Guangdong's has not
    content = service.verify_trust_list(text, now=later)
    assert content.dropped == ("460000: trust_list_expired",)
    assert hainan.kid not in TrustStore(content) and shanghai.kid in TrustStore(content)
    # The platform refuses to vouch for a list it cannot verify (expired, or under the wrong key).
    clock.advance(timedelta(days=3))
    with pytest.raises(TrustListExpired):
        service.build_trust_list(session, scope="440000", recognised=[
            service.RecognisedList(hainan.platform.public, hainan.text)])
    with pytest.raises(TrustListSignatureInvalid):
        service.build_trust_list(session, scope="440000", recognised=[
            service.RecognisedList(hainan.platform.public, shanghai.text)])


def test_a_platform_vouches_only_for_issuers_of_its_own_region():
    # A foreign platform slips a Guangdong issuer into its Shanghai list: the list is refused.
    with pytest.raises(ValueError, match="outside the scope"):
        foreign_trust_list(scope="310000", issuer_region="440300")
    platform = algorithms.generate("EdDSA")
    good = foreign_trust_list(scope="310000")
    body = json.loads(jose.b64url_decode(good.text.split(".")[1]))
    body["issuers"][0]["region"] = "440300"
    forged = jose.sign_compact(_ed(platform.private), {"typ": trust.TYP, "kid": algorithms.key_id(
        "EdDSA", platform.public)}, body)
    with pytest.raises(TrustListMalformed, match="outside"):
        trust.verify_trust_list(forged, platform.public, now=clock.now())
    # A key whose kid is not its own thumbprint is refused too.
    body = json.loads(jose.b64url_decode(good.text.split(".")[1]))
    body["issuers"][0]["keys"][0]["kid"] = "AAAAAAAAAAA"
    forged = jose.sign_compact(_ed(platform.private), {"typ": trust.TYP, "kid": algorithms.key_id(
        "EdDSA", platform.public)}, body)
    with pytest.raises(TrustListMalformed):
        trust.verify_trust_list(forged, platform.public, now=clock.now())


def test_region_prefixes():
    assert trust.region_prefix("440000") == "44"
    assert trust.region_prefix("440300") == "4403"
    assert trust.region_prefix("440305") == "440305"
    assert trust.region_prefix("000000") == ""
    assert trust.in_scope("440305", "440000") and not trust.in_scope("450100", "440000")
    assert not trust.in_scope(None, "440000")


_PLATFORM = algorithms.generate("EdDSA")
_json = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8),
                     lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=6), c, max_size=3),
                     max_leaves=12)
_field = st.sampled_from(["scope", "name", "iat", "exp", "issuers", "recognised"])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=300) | st.binary(max_size=200).map(lambda b: b.decode("latin-1")))
def test_fuzz_any_text_gives_a_trust_list_error(text):
    with pytest.raises(TRUST_ERRORS):
        trust.verify_trust_list(text, _PLATFORM.public, now=clock.now())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dictionaries(_field, _json, max_size=6))
def test_fuzz_signed_nonsense_gives_a_trust_list_error_or_a_list(payload):
    """Even a correctly signed payload of any shape gives a TrustList or a trust-list error, never a crash."""
    text = jose.sign_compact(_ed(_PLATFORM.private), {"typ": trust.TYP, "kid": algorithms.key_id(
        "EdDSA", _PLATFORM.public)}, payload)
    try:
        trust.verify_trust_list(text, _PLATFORM.public, now=clock.now())
    except TRUST_ERRORS:
        pass


_VALID_X = jose.b64url_encode(algorithms.generate("EdDSA").public)
_jwk = st.fixed_dictionaries({"kty": st.sampled_from(["OKP", "EC", 1]), "crv": st.sampled_from(["Ed25519", "SM2", None]),
                              "x": st.just(_VALID_X) | st.text(max_size=44), "y": st.just(_VALID_X) | _json})
_key = st.dictionaries(st.sampled_from(["kid", "jwk", "status", "nbf", "exp"]),
                       _jwk | _json | st.sampled_from(["active", "retired", 0, 2**41]), max_size=5)
_issuer = st.fixed_dictionaries({
    "id": st.just("iss_x") | _json, "org": st.just("org_x") | _json, "name": st.just("某局") | _json,
    "region": st.sampled_from(["440300", "310000", "4403", 440300, None]), "keys": st.lists(_key, max_size=2) | _json})
_nested = st.dictionaries(st.sampled_from(["scope", "platform_jwk", "list"]), _jwk | _json | st.just("a.b.c"), max_size=3)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_issuer, max_size=2), st.lists(_nested, max_size=2) | _json)
def test_fuzz_signed_lists_with_odd_issuers_and_keys(issuers, nested):
    now = clock.now()
    payload = {"scope": "440000", "name": "广东省", "iat": int(now.timestamp()), "exp": int(now.timestamp()) + 600,
               "issuers": issuers, "recognised": nested}
    text = jose.sign_compact(_ed(_PLATFORM.private), {"typ": trust.TYP, "kid": algorithms.key_id(
        "EdDSA", _PLATFORM.public)}, payload)
    try:
        content = trust.verify_trust_list(text, _PLATFORM.public, now=now)
    except TRUST_ERRORS:
        return
    TrustStore(content)  # whatever verified builds a store


def test_the_trust_list_command_includes_recognised_lists(session, tmp_path):
    from typer.testing import CliRunner

    from onecity.cli import app

    make_issuer(session, region="440300")
    session.commit()
    shanghai = foreign_trust_list(scope="310000")
    (tmp_path / "sh.jws").write_text(shanghai.text + "\n")
    out = tmp_path / "gd.jws"
    runner = CliRunner()
    r = runner.invoke(app, ["keys", "trust-list", "--scope", "440000", "--name", "广东省", "--out", str(out),
                            "--recognise", str(tmp_path / "sh.jws"),
                            "--recognise-key", jose.b64url_encode(shanghai.platform.public)])
    assert r.exit_code == 0, r.output
    assert "1 issuer(s), 1 recognised list(s)" in r.output
    assert jose.b64url_encode(platform_key.platform_public()) in r.output
    store = TrustStore(service.verify_trust_list(out.read_text()))
    assert shanghai.kid in store and len(store) == 2
    wrong = runner.invoke(app, ["keys", "trust-list", "--scope", "440000", "--recognise", str(tmp_path / "sh.jws"),
                                "--recognise-key", jose.b64url_encode(algorithms.generate("EdDSA").public)])
    assert wrong.exit_code == 1 and "trust_list_signature_invalid" in wrong.output
    unpaired = runner.invoke(app, ["keys", "trust-list", "--scope", "440000", "--recognise", str(tmp_path / "sh.jws")])
    assert unpaired.exit_code == 2
