"""Ed25519 and SM2-with-SM3 keys and signatures (onecity.credentials.algorithms)."""

from __future__ import annotations

import base64

import gmssl_pyx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from onecity.credentials import algorithms

# RFC 8032 §7.1, TEST 1 (empty message) and TEST 2 (one byte 0x72)
RFC8032_SECRET = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
RFC8032_PUBLIC = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
RFC8032_SIG = bytes.fromhex(
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
)
RFC8032_SECRET2 = bytes.fromhex("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb")
RFC8032_PUBLIC2 = bytes.fromhex("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c")
RFC8032_SIG2 = bytes.fromhex(
    "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"
)


def test_ed25519_matches_rfc8032_vectors() -> None:
    assert algorithms.public_from_private("EdDSA", RFC8032_SECRET) == RFC8032_PUBLIC
    assert algorithms.sign("EdDSA", RFC8032_SECRET, b"") == RFC8032_SIG
    assert algorithms.verify("EdDSA", RFC8032_PUBLIC, b"", RFC8032_SIG)
    assert algorithms.sign("EdDSA", RFC8032_SECRET2, b"\x72") == RFC8032_SIG2
    assert algorithms.verify("EdDSA", RFC8032_PUBLIC2, b"\x72", RFC8032_SIG2)
    assert not algorithms.verify("EdDSA", RFC8032_PUBLIC2, b"\x73", RFC8032_SIG2)


def test_key_id_is_the_rfc8037_thumbprint_truncated() -> None:
    # RFC 8037 Appendix A.3: the JWK thumbprint of the A.2 public key
    x = base64.urlsafe_b64decode("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo=")
    full = base64.urlsafe_b64decode("kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k=")
    expected = base64.urlsafe_b64encode(full[:8]).rstrip(b"=").decode()
    assert algorithms.key_id("EdDSA", x) == expected
    assert len(expected) == 11


@pytest.mark.parametrize("alg", algorithms.ALGS)
def test_sign_verify_round_trip_and_rejections(alg: str) -> None:
    k = algorithms.generate(alg)
    other = algorithms.generate(alg)
    sig = algorithms.sign(alg, k.private, b"driving licence", public=k.public)
    assert len(sig) == 64
    assert algorithms.verify(alg, k.public, b"driving licence", sig)
    assert not algorithms.verify(alg, k.public, b"driving licencE", sig)
    assert not algorithms.verify(alg, other.public, b"driving licence", sig)
    assert not algorithms.verify(alg, k.public, b"driving licence", sig[:-1])
    assert not algorithms.verify(alg, k.public, b"driving licence", bytes(64))
    flipped = bytes([sig[0] ^ 1]) + sig[1:]
    assert not algorithms.verify(alg, k.public, b"driving licence", flipped)
    wrong_alg = "SM2" if alg == "EdDSA" else "EdDSA"
    assert not algorithms.verify(wrong_alg, k.public, b"driving licence", sig)
    assert "private" not in repr(k) and k.private.hex() not in repr(k)


def test_sm2_uses_the_default_signer_id_and_a_fresh_nonce() -> None:
    k = algorithms.generate("SM2")
    assert len(k.public) == 65 and k.public[0] == 4 and len(k.private) == 32
    s1 = algorithms.sign("SM2", k.private, b"m", public=k.public)
    s2 = algorithms.sign("SM2", k.private, b"m")  # public recovered from the private scalar
    assert s1 != s2  # randomised: a fresh nonce each time
    # the signature is SM2 over Z(ID = 1234567812345678): GmSSL itself accepts it with that id, not another
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    der = encode_dss_signature(int.from_bytes(s1[:32], "big"), int.from_bytes(s1[32:], "big"))
    assert gmssl_pyx.sm2_verify(k.public[1:], b"m", der, b"1234567812345678")
    assert not gmssl_pyx.sm2_verify(k.public[1:], b"m", der, b"ALICE123@YAHOO.COM")
    assert algorithms._sm2_public_from_private(k.private) == k.public


@pytest.mark.parametrize("alg", algorithms.ALGS)
def test_public_key_forms_round_trip(alg: str) -> None:
    k = algorithms.generate(alg)
    assert algorithms.public_from_cose_key(algorithms.cose_key(alg, k.public)) == (alg, k.public)
    assert algorithms.public_from_jwk(algorithms.public_jwk(alg, k.public)) == (alg, k.public)
    assert algorithms.key_id(alg, k.public) == algorithms.key_id(alg, bytes(k.public))
    assert algorithms.key_id(alg, k.public) != algorithms.key_id(alg, algorithms.generate(alg).public)
    assert algorithms.cose_key(alg, k.public)[3] == algorithms.COSE_ALGS[alg]


def test_unknown_algorithms_and_bad_keys() -> None:
    with pytest.raises(algorithms.UnknownAlgorithm):
        algorithms.generate("RS256")
    with pytest.raises(ValueError):
        algorithms.public_jwk("EdDSA", b"short")
    with pytest.raises(ValueError):
        algorithms.public_from_jwk({"kty": "RSA"})
    with pytest.raises(ValueError):
        algorithms.public_from_cose_key({1: 1, -1: 6, -2: b"short"})
    assert not algorithms.verify("RS256", b"k", b"m", b"s")


@settings(max_examples=150, deadline=None)
@given(
    alg=st.sampled_from(["EdDSA", "SM2", "", "ES256"]),
    public=st.binary(max_size=80),
    message=st.binary(max_size=64),
    signature=st.binary(max_size=80),
)
def test_verify_never_raises(alg: str, public: bytes, message: bytes, signature: bytes) -> None:
    assert algorithms.verify(alg, public, message, signature) in (True, False)


def test_verify_rejects_non_bytes() -> None:
    k = algorithms.generate("EdDSA")
    sig = algorithms.sign("EdDSA", k.private, b"m")
    assert not algorithms.verify("EdDSA", k.public, "m", sig)  # type: ignore[arg-type]
    assert not algorithms.verify("EdDSA", None, b"m", sig)  # type: ignore[arg-type]
    assert not algorithms.verify("SM2", 5, b"m", sig)  # type: ignore[arg-type]
