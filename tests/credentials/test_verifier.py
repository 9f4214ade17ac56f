"""The embeddable offline verifier: every verdict a counter, hotel or police app must tell apart."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onecity.credentials import algorithms, jose, presentation, sdjwt, status_list, trust
from onecity.credentials.verifier import Verifier, labelled_claims, parse_platform_key
from tests.credentials import samples
from tests.credentials.verify_fixtures import NOW, status_token, world


@pytest.fixture
def verifier() -> Verifier:
    w = world()
    return Verifier(w.trust_list, w.platform.public, {samples.STATUS_URI: w.status_jwt}, now=NOW)


def test_a_valid_driving_licence_discloses_its_claims_by_name(verifier: Verifier) -> None:
    v = verifier.verify(world().present(), now=NOW)
    assert (v.ok, v.reason, v.issuer, v.type_id, v.status_checked) == (True, "ok", samples.ISSUER_ID, 2, True)
    assert v.claims["name"] == "欧阳建国" and v.claims["licence_class"] == "C1"
    assert v.message == ("证照有效", "Valid")
    labels = {name: (zh, en) for name, zh, en, _ in labelled_claims(v)}
    assert labels["name"][0] and labels["licence_number"][1]


def test_a_purpose_view_discloses_only_its_fields(verifier: Verifier) -> None:
    v = verifier.verify(world().present(world().licence.hotel), now=NOW)
    assert v.ok and v.view == "hotel"
    assert set(v.claims) == {"name", "licence_number"}  # no address, no birth date


@pytest.mark.parametrize(("make", "reason"), [
    ("tampered", "tampered"),
    ("expired", "expired"),
    ("unknown_issuer", "unknown_issuer"),
    ("present_revoked", "revoked"),
    ("wrong_holder", "wrong_holder"),
    ("stale", "stale_presentation"),
])  # fmt: skip
def test_each_invalid_presentation_gets_its_reason_and_discloses_nothing(verifier: Verifier, make: str,
                                                                         reason: str) -> None:
    v = verifier.verify(getattr(world(), make)(), now=NOW)
    assert (v.ok, v.reason) == (False, reason)
    assert v.claims == {} and labelled_claims(v) == []
    assert v.message == presentation.MESSAGES[reason]


@pytest.mark.parametrize("text", ["", "   ", "HC1:NOTBASE45", "OC1:" + "A" * 50, "a~b~c", "~", "😀" * 10,
                                  "x" * 100_000])
def test_malformed_input_is_a_verdict_never_a_crash(verifier: Verifier, text: str) -> None:
    v = verifier.verify(text, now=NOW)
    assert not v.ok and v.reason == "malformed"


def test_a_presentation_from_the_future_is_clock_skew(verifier: Verifier) -> None:
    v = verifier.verify(world().present(at=NOW + timedelta(minutes=5)), now=NOW)
    assert v.reason == "clock_skew"


def test_without_a_status_list_a_valid_presentation_says_its_status_was_not_checked() -> None:
    w = world()
    v = Verifier(w.trust_list, w.platform.public, now=NOW).verify(w.present_revoked(), now=NOW)
    assert v.ok and not v.status_checked


def test_a_status_list_past_its_ttl_is_no_longer_used() -> None:
    w = world()
    v = Verifier(w.trust_list, w.platform.public, {samples.STATUS_URI: w.status_jwt}, now=NOW)
    later = NOW + timedelta(hours=2)  # ttl 3600 s
    assert v.verify(w.present_revoked(), now=NOW).reason == "revoked"
    late = v.verify(w.present(at=later), now=later)
    assert late.ok and not late.status_checked


def test_a_status_list_not_signed_by_a_trusted_key_is_rejected() -> None:
    w = world()
    forged = status_token(algorithms.generate("EdDSA"), revoked=())
    v = Verifier(w.trust_list, w.platform.public, {samples.STATUS_URI: forged}, now=NOW)
    assert v.rejected_status_lists == [samples.STATUS_URI]
    assert not v.verify(w.present(), now=NOW).status_checked
    other_uri = Verifier(w.trust_list, w.platform.public, {"https://elsewhere/sl/1": w.status_jwt}, now=NOW)
    assert other_uri.rejected_status_lists == ["https://elsewhere/sl/1"]


def test_a_trust_list_under_another_platform_key_or_expired_is_refused() -> None:
    w = world()
    with pytest.raises(trust.TrustListSignatureInvalid):
        Verifier(w.trust_list, algorithms.generate("EdDSA").public, now=NOW)
    with pytest.raises(trust.TrustListExpired):
        Verifier(w.trust_list, w.platform.public, now=NOW + timedelta(days=8))
    with pytest.raises(trust.TrustListMalformed):
        Verifier("not a list", w.platform.public, now=NOW)


def test_from_a_cache_directory(tmp_path: Path) -> None:
    w = world()
    v = Verifier.from_dir(w.write_cache(tmp_path / "cache"), now=NOW)
    assert v.verify(w.present(), now=NOW).ok
    assert v.verify(w.present_revoked(), now=NOW).reason == "revoked"
    assert parse_platform_key(w.platform.public.hex()) == w.platform.public
    with pytest.raises(ValueError):
        parse_platform_key("abcd")


def test_an_sd_jwt_presentation_is_verified_too() -> None:
    w = world()
    holder = Ed25519PrivateKey.generate()
    issued = sdjwt.issue(issuer_key=jose.signing_key("EdDSA", w.issuer_key.private), iss=samples.ISSUER_ID,
                         vct="https://onecity.example.cn/vct/driving_licence", claims={"name": "欧阳建国", "licence_class": "C1"},
                         disclosable=["name", "licence_class"], holder_jwk=sdjwt.holder_jwk(holder),
                         iat=NOW - timedelta(days=1), exp=NOW + timedelta(days=365), kid=w.licence.kid,
                         status=status_list.status_claim(samples.STATUS_URI, 7))
    text = sdjwt.present(issued.serialize(), disclose=["licence_class"], holder_key=holder, aud="hotel-1",
                         nonce="n-1", iat=NOW)
    plain = Verifier(w.trust_list, w.platform.public, now=NOW).verify(text, now=NOW)
    assert plain.ok and plain.claims.get("licence_class") == "C1" and "name" not in plain.claims
    assert not plain.status_checked
    with_status = Verifier(w.trust_list, w.platform.public, {samples.STATUS_URI: w.status_jwt}, now=NOW)
    assert with_status.verify(text, now=NOW).reason == "revoked"  # index 7 is revoked
    assert with_status.verify(text, now=NOW, audience="police-2").reason == "stale_presentation"
    assert with_status.verify(text.replace("~ey", "~eX", 1), now=NOW).ok is False


_FUZZ_VERIFIER: list[Verifier] = []


def _fuzz_verifier() -> Verifier:
    if not _FUZZ_VERIFIER:
        w = world()
        _FUZZ_VERIFIER.append(Verifier(w.trust_list, w.platform.public, {samples.STATUS_URI: w.status_jwt}, now=NOW))
    return _FUZZ_VERIFIER[0]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(
    st.text(max_size=300),
    st.builds(lambda a, b, c: f"{a}~{b}~{c}", st.text(max_size=80), st.text(max_size=80), st.text(max_size=80)),
    st.builds(lambda cut, pos, ch: (lambda t: t[:pos % len(t)] + ch + t[pos % len(t) + 1:])(world().present()[:cut]),
              st.integers(5, 600), st.integers(0, 10_000), st.sampled_from("0A$%*+-./: Z~")),
))  # fmt: skip
def test_fuzzed_input_always_gets_a_verdict(text: str) -> None:
    v = _fuzz_verifier().verify(text, now=NOW)
    assert v.reason in presentation.REASONS
    assert v.ok is False or v.reason == "ok"
