"""SD-JWT VC: issuance, selective disclosure, key binding, every refusal, a fuzzed parser, and
interoperability with the OpenWallet Foundation's reference implementation (`sd-jwt` on PyPI)."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jwcrypto.jwk import JWK
from sd_jwt.holder import SDJWTHolder
from sd_jwt.verifier import SDJWTVerifier

from onecity import clock
from onecity.credentials import jose, sdjwt
from onecity.credentials.status_list import status_claim

NOW = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
ISS = "https://onecity.example/issuers/shenzhen-traffic-police"
VCT = "urn:onecity:credential:driving_licence"
AUD = "https://verifier.example/hotel-checkin"
NONCE = "n-0S6_WzA2Mj"
CLAIMS = {
    "name": "张三",
    "id_number": "440300199001011234",
    "licence_number": "440300199001011234",
    "licence_class": "C1",
    "valid_until": "2032-05-01",
    "address": "广东省深圳市福田区福中三路1号",
    "issuing_authority": "深圳市公安局交通警察支队",
}
DISCLOSABLE = ["name", "id_number", "licence_number", "licence_class", "valid_until", "address"]

ISSUER_KEY = Ed25519PrivateKey.generate()
HOLDER_ED = Ed25519PrivateKey.generate()
HOLDER_P256 = ec.generate_private_key(ec.SECP256R1())


def _issue(holder: Any = HOLDER_ED, **kw: Any) -> sdjwt.IssuedSdJwt:
    args: dict[str, Any] = {
        "issuer_key": ISSUER_KEY,
        "iss": ISS,
        "vct": VCT,
        "claims": CLAIMS,
        "disclosable": DISCLOSABLE,
        "holder_jwk": sdjwt.holder_jwk(holder),
        "iat": NOW,
        "exp": NOW + timedelta(days=365),
        "kid": "iss-key-1",
        "status": status_claim("https://onecity.example/status/3", 1234),
        "decoys": 3,
    }
    args.update(kw)
    return sdjwt.issue(**args)


def _lookup(iss: str, header: Any) -> Any:
    return ISSUER_KEY.public_key() if iss == ISS and header.get("kid") == "iss-key-1" else None


def _present(issued: sdjwt.IssuedSdJwt, disclose: list[str], holder: Any = HOLDER_ED, **kw: Any) -> str:
    args: dict[str, Any] = {"aud": AUD, "nonce": NONCE, "iat": NOW}
    args.update(kw)
    return sdjwt.present(issued.serialize(), disclose=disclose, holder_key=holder, **args)


def _verify(presentation: str, **kw: Any) -> sdjwt.SdJwtVerdict:
    args: dict[str, Any] = {"issuer_key": _lookup, "now": NOW, "aud": AUD, "nonce": NONCE}
    args.update(kw)
    return sdjwt.verify(presentation, **args)


def _decode_part(part: str) -> Any:
    return json.loads(jose.b64url_decode(part))


def test_issued_sd_jwt_has_the_vc_shape_and_hides_the_disclosable_claims() -> None:
    issued = _issue()
    header_b64, payload_b64, _ = issued.jwt.split(".")
    header, payload = _decode_part(header_b64), _decode_part(payload_b64)
    assert header == {"alg": "EdDSA", "typ": "dc+sd-jwt", "kid": "iss-key-1"}
    assert payload["iss"] == ISS and payload["vct"] == VCT
    assert payload["iat"] == int(NOW.timestamp()) and payload["exp"] == int((NOW + timedelta(days=365)).timestamp())
    assert payload["cnf"] == {"jwk": jose.public_jwk(HOLDER_ED)}
    assert payload["status"] == {"status_list": {"idx": 1234, "uri": "https://onecity.example/status/3"}}
    assert payload["_sd_alg"] == "sha-256"
    # six real digests and three decoys, sorted so their order says nothing
    assert len(payload["_sd"]) == 9 and payload["_sd"] == sorted(payload["_sd"])
    # only the always-shown claim is in clear; no personal data in the signed JWT
    assert payload["issuing_authority"] == CLAIMS["issuing_authority"]
    for name in DISCLOSABLE:
        assert name not in payload
    assert "张三" not in json.dumps(payload, ensure_ascii=False) and "4403001990" not in issued.jwt
    assert issued.serialize().endswith("~") and issued.serialize().count("~") == 7


def test_a_disclosure_is_a_salted_json_array_and_its_digest_is_sha256_of_its_text() -> None:
    issued = _issue()
    payload = _decode_part(issued.jwt.split(".")[1])
    salts = set()
    for d in issued.disclosures:
        salt, name, value = _decode_part(d.encoded)
        assert (name, value) == (d.name, CLAIMS[d.name])
        assert len(jose.b64url_decode(salt)) == 16
        salts.add(salt)
        # RFC 9901 §4.2.3: digest over the US-ASCII bytes of the base64url text
        expected = jose.b64url_encode(hashlib.sha256(d.encoded.encode("ascii")).digest())
        assert d.digest == expected and expected in payload["_sd"]
    assert len(salts) == len(DISCLOSABLE)
    # two issuances of the same claims give unlinkable digests
    assert set(_decode_part(_issue().jwt.split(".")[1])["_sd"]).isdisjoint(payload["_sd"])


def test_rfc9901_disclosure_example_digest() -> None:
    # RFC 9901 §4.2.1/§4.2.3 example: salt "_26bc4LT-ac6q2KI6cBW5es", claim family_name "Möbius".
    encoded = "WyJfMjZiYzRMVC1hYzZxMktJNmNCVzVlcyIsICJmYW1pbHlfbmFtZSIsICJNw7ZiaXVzIl0"
    d = sdjwt.Disclosure.decode(encoded)
    assert (d.salt, d.name, d.value) == ("_26bc4LT-ac6q2KI6cBW5es", "family_name", "Möbius")
    assert d.digest == "X9yH0Ajrdm1Oij4tWso9UzzKJvPoDxwmuEcO3XAdRC0"


@pytest.mark.parametrize("holder", [HOLDER_ED, HOLDER_P256], ids=["EdDSA-holder", "ES256-holder"])
def test_holder_discloses_a_chosen_subset_and_the_verifier_sees_only_that(holder: Any) -> None:
    issued = _issue(holder)
    presentation = _present(issued, ["name", "id_number"], holder)
    verdict = _verify(presentation)
    assert verdict.ok and verdict.reason == "ok", verdict
    assert verdict.issuer == ISS and verdict.vct == VCT
    assert verdict.claims["name"] == "张三" and verdict.claims["id_number"] == "440300199001011234"
    assert verdict.claims["issuing_authority"] == CLAIMS["issuing_authority"]
    for hidden in ("licence_number", "licence_class", "valid_until", "address"):
        assert hidden not in verdict.claims
    assert "_sd" not in verdict.claims and "_sd_alg" not in verdict.claims
    assert verdict.status == {"status_list": {"idx": 1234, "uri": "https://onecity.example/status/3"}}
    kb = presentation.rsplit("~", 1)[1]
    kb_header, kb_payload = _decode_part(kb.split(".")[0]), _decode_part(kb.split(".")[1])
    assert kb_header["typ"] == "kb+jwt"
    assert set(kb_payload) == {"iat", "aud", "nonce", "sd_hash"}
    assert kb_payload["sd_hash"] == sdjwt.sd_digest(presentation.rsplit("~", 1)[0] + "~")


def test_disclosing_nothing_shows_only_the_always_shown_claims() -> None:
    verdict = _verify(_present(_issue(), []))
    assert verdict.ok
    assert set(verdict.claims) == {"iss", "iat", "exp", "vct", "cnf", "status", "issuing_authority"}


def test_issue_refuses_reserved_unknown_or_inverted_input() -> None:
    with pytest.raises(ValueError):
        _issue(disclosable=["nickname"])
    with pytest.raises(ValueError):
        _issue(claims={**CLAIMS, "iss": "x"})
    with pytest.raises(ValueError):
        _issue(exp=NOW)
    with pytest.raises(ValueError):
        _issue(holder_jwk={"kty": "oct", "k": "c2VjcmV0"})
    with pytest.raises(ValueError):
        _present(_issue(), ["shoe_size"])


def _swap_payload(token: str, change: dict[str, Any], key: Any = ISSUER_KEY, header: dict[str, Any] | None = None) -> str:
    head_b64, payload_b64, _ = token.split(".")
    payload = {**_decode_part(payload_b64), **change}
    return jose.sign_compact(key, header or _decode_part(head_b64), payload)


def test_every_refusal_has_its_reason() -> None:
    issued = _issue()
    good = _present(issued, ["name"])
    jwt, *discs, kb = good.split("~")
    other_issuer_key = Ed25519PrivateKey.generate()

    cases: dict[str, str] = {}
    cases["malformed"] = "not an sd-jwt"
    cases["unknown_issuer"] = good
    cases["bad_signature"] = _swap_payload(jwt, {"iss": ISS}, key=other_issuer_key) + "~" + "~".join([*discs, kb])
    for reason, presentation in cases.items():
        lookup = (lambda i, h: None) if reason == "unknown_issuer" else _lookup
        assert _verify(presentation, issuer_key=lookup).reason == reason

    # a claim changed after signing: the signature no longer holds
    tampered_jwt = jwt.split(".")
    tampered_jwt[1] = jose.json_b64({**_decode_part(tampered_jwt[1]), "issuing_authority": "假机关"})
    assert _verify("~".join([".".join(tampered_jwt), *discs, kb])).reason == "bad_signature"

    # a disclosure the issuer never signed (forged value), a repeated one, an empty one
    forged = sdjwt.Disclosure.make("name", "李四").encoded
    assert _verify(sdjwt.present("~".join([jwt, forged, ""]), disclose=["name"], holder_key=HOLDER_ED, aud=AUD, nonce=NONCE, iat=NOW)).reason == "tampered"
    repeated = "~".join([jwt, discs[0], discs[0], ""])
    assert _verify(sdjwt.present(repeated, disclose=["name"], holder_key=HOLDER_ED, aud=AUD, nonce=NONCE, iat=NOW)).reason == "tampered"
    assert _verify("~".join([jwt, discs[0], "", kb])).reason == "malformed"

    # a disclosure added to someone else's presentation after the holder signed it
    extra = next(d.encoded for d in issued.disclosures if d.name == "address")
    assert _verify("~".join([jwt, discs[0], extra, kb])).reason == "tampered"

    # key binding
    assert _verify(issued.serialize()).reason == "missing_key_binding"
    assert _verify(issued.serialize(), require_key_binding=False).ok
    thief = _present(issued, ["name"], holder=Ed25519PrivateKey.generate())
    assert _verify(thief).reason == "wrong_holder"
    assert _verify(good, aud="https://other.example").reason == "wrong_audience"
    assert _verify(good, nonce="replayed").reason == "wrong_nonce"
    assert _verify(good, now=NOW + timedelta(minutes=6)).reason == "stale_presentation"
    assert _verify(_present(issued, ["name"], iat=NOW + timedelta(minutes=5))).reason == "clock_skew"
    wrong_kb_typ = jose.sign_compact(HOLDER_ED, {"typ": "JWT"}, _decode_part(kb.split(".")[1]))
    assert _verify("~".join([jwt, *discs, wrong_kb_typ])).reason == "wrong_typ"

    # validity of the credential itself
    assert _verify(good, now=NOW + timedelta(days=366)).reason == "expired"
    assert _verify(good, now=NOW - timedelta(hours=1)).reason == "not_yet_valid"
    assert _verify(good, known_vct=lambda v: v != VCT).reason == "unknown_type"

    # typ and alg of the issuer JWT
    plain = _swap_payload(jwt, {}, header={"typ": "JWT", "kid": "iss-key-1"})
    assert _verify("~".join([plain, *discs, ""]), require_key_binding=False).reason == "wrong_typ"
    none_alg = jose.json_b64({"alg": "none", "typ": "dc+sd-jwt"}) + "." + jwt.split(".")[1] + "."
    assert _verify("~".join([none_alg, *discs, ""]), require_key_binding=False).reason == "unsupported_alg"
    hs256 = jose.json_b64({"alg": "HS256", "typ": "dc+sd-jwt"}) + "." + jwt.split(".")[1] + ".c2ln"
    assert _verify("~".join([hs256, *discs, ""]), require_key_binding=False).reason == "unsupported_alg"


def test_a_disclosure_cannot_overwrite_a_clear_claim_or_a_reserved_one() -> None:
    issued = _issue()
    jwt = issued.jwt
    sneaky = sdjwt.Disclosure.make("issuing_authority", "假机关")
    payload = _decode_part(jwt.split(".")[1])
    resigned = _swap_payload(jwt, {"_sd": sorted([*payload["_sd"], sneaky.digest])})
    assert _verify("~".join([resigned, sneaky.encoded, ""]), require_key_binding=False).reason == "tampered"
    cnf_text = json.dumps(["c2FsdA", "cnf", {"jwk": jose.public_jwk(HOLDER_P256)}])
    cnf = jose.b64url_encode(cnf_text.encode())
    resigned = _swap_payload(jwt, {"_sd": sorted([*payload["_sd"], sdjwt.sd_digest(cnf)])})
    assert not _verify("~".join([resigned, cnf, ""]), require_key_binding=False).ok


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=300), st.binary(max_size=200).map(lambda b: b.decode("latin-1"))))
def test_fuzz_any_text_gives_a_verdict_never_an_exception(text: str) -> None:
    verdict = _verify(text)
    assert not verdict.ok and verdict.reason in sdjwt.REASONS


_GOOD = _present(_issue(), ["name", "licence_class"])


@settings(max_examples=300, deadline=None)
@given(st.integers(0, len(_GOOD) - 1), st.sampled_from("~.A_-=é{}\"[]0"), st.sampled_from(["replace", "delete", "insert"]))
def test_fuzz_mutated_presentations_are_refused_with_a_reason(pos: int, ch: str, op: str) -> None:
    if op == "replace":
        mutated = _GOOD[:pos] + ch + _GOOD[pos + 1 :]
    elif op == "delete":
        mutated = _GOOD[:pos] + _GOOD[pos + 1 :]
    else:
        mutated = _GOOD[:pos] + ch + _GOOD[pos:]
    verdict = _verify(mutated)
    assert verdict.reason in sdjwt.REASONS
    if mutated != _GOOD:
        # a change in the base64url text may only decode to the same bytes (trailing bits are refused)
        assert not verdict.ok or mutated == _GOOD


# ---- interoperability with the reference implementation -------------------------------------------


def _ref_key(key: Any) -> JWK:
    return JWK.from_json(json.dumps(jose.public_jwk(key)))


def _ref_issuer_lookup(iss: str, header: dict[str, Any]) -> JWK:
    assert iss == ISS and header["kid"] == "iss-key-1" and header["alg"] == "EdDSA"
    return _ref_key(ISSUER_KEY)


def test_reference_verifier_accepts_our_issued_sd_jwt_with_all_disclosures() -> None:
    issued = _issue()
    payload = SDJWTVerifier(issued.serialize(), _ref_issuer_lookup).get_verified_payload()
    for name, value in CLAIMS.items():
        assert payload[name] == value
    assert payload["vct"] == VCT and "_sd" not in payload


def test_reference_verifier_accepts_our_presentation_with_key_binding_es256_holder() -> None:
    """The reference verifier (sd-jwt 0.10.4) checks a KB-JWT with alg "ES256" only: its
    `_verify_key_binding_jwt` defaults to DEFAULT_SIGNING_ALG and the constructor never passes an alg.
    Issuer signatures are EdDSA here and verify; the holder key is P-256 for this test."""
    issued = _issue(HOLDER_P256)
    presentation = _present(issued, ["name", "licence_class"], HOLDER_P256)
    payload = SDJWTVerifier(presentation, _ref_issuer_lookup, AUD, NONCE).get_verified_payload()
    assert payload["name"] == "张三" and payload["licence_class"] == "C1"
    assert "id_number" not in payload and "address" not in payload
    with pytest.raises(Exception, match="nonce"):
        SDJWTVerifier(presentation, _ref_issuer_lookup, AUD, "other-nonce")


def test_reference_verifier_checks_our_eddsa_key_binding_when_told_the_alg() -> None:
    issued = _issue(HOLDER_ED)
    presentation = _present(issued, ["id_number"], HOLDER_ED)
    # Through the public constructor the EdDSA KB-JWT is refused for the alg mismatch (see above) ...
    with pytest.raises(Exception, match="alg"):
        SDJWTVerifier(presentation, _ref_issuer_lookup, AUD, NONCE)
    # ... and the same verifier code accepts it when handed alg "EdDSA".
    verifier = SDJWTVerifier(presentation, _ref_issuer_lookup)
    verifier._verify_key_binding_jwt(AUD, NONCE, sign_alg="EdDSA")
    assert verifier.get_verified_payload()["id_number"] == "440300199001011234"


def test_our_verifier_accepts_a_presentation_made_by_the_reference_holder() -> None:
    # The reference holder stamps its KB-JWT with the system time, so this credential uses it too.
    now = clock.now()
    issued = _issue(HOLDER_P256, iat=now - timedelta(minutes=1), exp=now + timedelta(days=1))
    holder = SDJWTHolder(issued.serialize())
    holder.create_presentation(
        {"name": True, "valid_until": True},
        nonce=NONCE,
        aud=AUD,
        holder_key=JWK.from_pyca(HOLDER_P256),
        sign_alg="ES256",
    )
    verdict = _verify(holder.sd_jwt_presentation, now=now)
    assert verdict.ok, verdict
    assert verdict.claims["name"] == "张三" and verdict.claims["valid_until"] == "2032-05-01"
    assert "address" not in verdict.claims and "id_number" not in verdict.claims
    assert _verify(holder.sd_jwt_presentation, now=now, nonce="other").reason == "wrong_nonce"


def test_reference_issuer_nested_and_array_disclosures_verify_with_our_verifier() -> None:
    """A credential made by the reference issuer with nested selectively disclosable objects and
    array elements (RFC 9901 §4.2.4/§4.2.6), EdDSA-signed: our verifier rebuilds what was disclosed."""
    from sd_jwt.common import SDObj
    from sd_jwt.issuer import SDJWTIssuer

    now = clock.now()
    user_claims = {
        "iss": ISS,
        "vct": VCT,
        "iat": int(now.timestamp()) - 60,
        "exp": int(now.timestamp()) + 86400,
        SDObj("name"): "张三",
        "address": {SDObj("city"): "深圳", SDObj("street"): "福中三路1号", "country": "CN"},
        "licence_classes": [SDObj("C1"), SDObj("D"), "E"],
    }
    ref = SDJWTIssuer(
        user_claims,
        JWK.from_pyca(ISSUER_KEY),
        holder_key=JWK.from_pyca(HOLDER_P256),
        sign_alg="EdDSA",
        add_decoy_claims=True,
        extra_header_parameters={"typ": "dc+sd-jwt", "kid": "iss-key-1"},
    )
    holder = SDJWTHolder(ref.sd_jwt_issuance)
    holder.create_presentation(
        {"name": True, "address": {"city": True}, "licence_classes": [True, False, True]},
        nonce=NONCE,
        aud=AUD,
        holder_key=JWK.from_pyca(HOLDER_P256),
        sign_alg="ES256",
    )
    verdict = _verify(holder.sd_jwt_presentation, now=now)
    assert verdict.ok, verdict
    assert verdict.claims["name"] == "张三"
    assert verdict.claims["address"] == {"city": "深圳", "country": "CN"}
    assert verdict.claims["licence_classes"] == ["C1", "E"]
    # everything disclosed, without key binding
    full = _verify(ref.sd_jwt_issuance, now=now, require_key_binding=False)
    assert full.ok and full.claims["address"]["street"] == "福中三路1号"
    assert full.claims["licence_classes"] == ["C1", "D", "E"]
    # our holder code presents it too: top-level "name" only, nested and array elements stay hidden
    ours = sdjwt.present(ref.sd_jwt_issuance, disclose=["name"], holder_key=HOLDER_P256, aud=AUD, nonce=NONCE, iat=now)
    mine = _verify(ours, now=now)
    assert mine.ok and mine.claims["name"] == "张三"
    assert mine.claims["address"] == {"country": "CN"} and mine.claims["licence_classes"] == ["E"]
    # an array-element disclosure moved into an object's place is refused
    jwt, *discs, _ = ref.sd_jwt_issuance.split("~")
    array_disc = next(d for d in discs if len(_decode_part(d)) == 2)
    payload = _decode_part(jwt.split(".")[1])
    moved = _swap_payload(jwt, {"_sd": sorted([*payload["_sd"], sdjwt.sd_digest(array_disc)])})
    assert _verify("~".join([moved, array_disc, ""]), now=now, require_key_binding=False).reason == "tampered"


def test_status_list_decides_revoked_and_suspended() -> None:
    from onecity.credentials import status_list as sl

    uri = "https://onecity.example/status/3"
    lst = sl.StatusList.new(4096, bits=2)
    cache = sl.StatusCache()

    def publish(at: datetime) -> None:
        token = sl.sign_jwt(lst, key=ISSUER_KEY, sub=uri, iat=at, ttl=300)
        cache.put(sl.verify_jwt(token, key=ISSUER_KEY.public_key(), now=at, expected_uri=uri), fetched_at=at)

    presentation = _present(_issue(), ["name"])
    assert _verify(presentation, status_cache=cache).reason == "status_unknown"  # no list yet
    publish(NOW)
    assert _verify(presentation, status_cache=cache).ok
    lst.set(1234, sl.SUSPENDED)
    publish(NOW)
    verdict = _verify(presentation, status_cache=cache)
    assert (verdict.ok, verdict.reason, verdict.claims) == (False, "suspended", {})
    lst.set(1234, sl.INVALID)
    publish(NOW)
    assert _verify(presentation, status_cache=cache).reason == "revoked"
    # the list goes stale after its ttl: the verifier must fetch it again
    later = NOW + timedelta(seconds=301)
    fresh = _present(_issue(), ["name"], iat=later)
    assert _verify(fresh, status_cache=cache, now=later).reason == "status_unknown"
    # a credential pointing outside the list
    outside = _present(_issue(status=sl.status_claim(uri, 10_000)), ["name"])
    assert _verify(outside, status_cache=cache).reason == "status_unknown"


def test_issuer_keys_from_the_algorithms_module_sign_sd_jwts() -> None:
    from onecity.credentials import algorithms

    pair = algorithms.generate("EdDSA")
    kid = algorithms.key_id(pair.alg, pair.public)
    issued = _issue(issuer_key=jose.signing_key(pair.alg, pair.private), kid=kid)
    assert jose.public_jwk(jose.verifying_key(pair.alg, pair.public)) == algorithms.public_jwk(pair.alg, pair.public)

    def lookup(iss: str, header: Any) -> Any:
        return jose.verifying_key(pair.alg, pair.public) if header.get("kid") == kid else None

    assert _verify(_present(issued, ["name"]), issuer_key=lookup).ok
    with pytest.raises(jose.JoseError):
        jose.signing_key("SM2", b"\x01" * 32)


def test_validity_claims_are_numeric_dates_and_exp_is_optional() -> None:
    forever = _issue(exp=None)
    assert "exp" not in _decode_part(forever.jwt.split(".")[1])
    assert _verify(_present(forever, ["name"]), now=NOW).ok
    jwt = _issue().jwt
    for exp, reason in ((int(NOW.timestamp()) + 0.5 + 3600, "ok"), (True, "malformed"), ("2099", "malformed")):
        token = _swap_payload(jwt, {"exp": exp})
        assert _verify(token + "~", require_key_binding=False).reason == reason
    in_future = _swap_payload(jwt, {"nbf": int(NOW.timestamp()) + 3600})
    assert _verify(in_future + "~", require_key_binding=False).reason == "not_yet_valid"


@settings(max_examples=40, deadline=None)
@given(st.sets(st.sampled_from(DISCLOSABLE)))
def test_verifier_sees_exactly_the_chosen_subset(chosen: set[str]) -> None:
    verdict = _verify(_present(_issue(), sorted(chosen)))
    assert verdict.ok
    shown = set(verdict.claims) & set(DISCLOSABLE)
    assert shown == chosen
    assert all(verdict.claims[n] == CLAIMS[n] for n in chosen)
