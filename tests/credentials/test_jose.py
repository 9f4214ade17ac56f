"""The compact JWS/JWK layer under SD-JWT and status lists, against RFC 8037's worked example."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from onecity.credentials import jose

# RFC 8037 Appendix A.1-A.4: an Ed25519 key, its thumbprint and the JWS over "Example of Ed25519 signing"
RFC8037_D = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"
RFC8037_JWK = {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}
RFC8037_THUMBPRINT = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
RFC8037_JWS = (
    "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc"
    ".hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg"
)


def test_rfc8037_ed25519_example() -> None:
    key = Ed25519PrivateKey.from_private_bytes(jose.b64url_decode(RFC8037_D))
    assert jose.public_jwk(key) == RFC8037_JWK
    assert jose.jwk_thumbprint(RFC8037_JWK) == RFC8037_THUMBPRINT
    head, payload, sig = RFC8037_JWS.split(".")
    signing_input = f"{head}.{payload}".encode("ascii")
    assert jose.b64url_encode(jose.raw_sign(key, signing_input)) == sig  # Ed25519 is deterministic
    assert jose.raw_verify(jose.key_from_jwk(RFC8037_JWK), "EdDSA", signing_input, jose.b64url_decode(sig))
    assert not jose.raw_verify(jose.key_from_jwk(RFC8037_JWK), "ES256", signing_input, jose.b64url_decode(sig))


def test_es256_signatures_are_64_byte_r_s_and_verify() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    token = jose.sign_compact(key, {"typ": "JWT"}, {"a": 1})
    header, payload, signing_input, sig = jose.parse_compact(token)
    assert header == {"alg": "ES256", "typ": "JWT"} and payload == {"a": 1} and len(sig) == 64
    pub = jose.key_from_jwk(jose.public_jwk(key))
    assert jose.raw_verify(pub, "ES256", signing_input, sig)
    assert not jose.raw_verify(pub, "ES256", signing_input + b"x", sig)
    assert not jose.raw_verify(pub, "ES256", signing_input, sig[:-1])


@pytest.mark.parametrize(
    "text", ["YQ==", "YQ+", "Y/Q", "YR", "Y", "é"], ids=["padded", "plus", "slash", "stray-bits", "short", "non-ascii"]
)
def test_base64url_is_strict(text: str) -> None:
    with pytest.raises(jose.JoseError):
        jose.b64url_decode(text)


def test_unsupported_jwks_and_headers_are_refused() -> None:
    for jwk in ({"kty": "oct", "k": "AA"}, {"kty": "EC", "crv": "P-384", "x": "AA", "y": "AA"},
                {"kty": "OKP", "crv": "Ed25519", "x": "AA"}, "not a jwk"):
        with pytest.raises(jose.JoseError):
            jose.key_from_jwk(jwk)
    crit = jose.json_b64({"alg": "EdDSA", "crit": ["exp"]}) + "." + jose.json_b64({}) + ".AA"
    with pytest.raises(jose.JoseError, match="critical"):
        jose.parse_compact(crit)
    with pytest.raises(jose.JoseError):
        jose.parse_compact("a.b")
