"""Compact JWS (RFC 7515) and JWK (RFC 7517/8037) for the SD-JWT VC and status-list tokens.

Only asymmetric algorithms are accepted: "EdDSA" (Ed25519, the OneCity default) and "ES256" (ECDSA
P-256 with SHA-256, the default of most wallets and of the reference `sd-jwt` package). "none" and
the MAC algorithms are refused on both sides, so a token can never be "verified" without a key.

Pure code: no database, no clock (callers pass the time).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

SigningKey = Ed25519PrivateKey | ec.EllipticCurvePrivateKey
VerifyingKey = Ed25519PublicKey | ec.EllipticCurvePublicKey

JOSE_ALGS = ("EdDSA", "ES256")


class JoseError(ValueError):
    """A token or key that cannot be parsed or used (never a signature mismatch: see `verify`)."""


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Strict base64url without padding (RFC 7515 §2): padding, '+', '/' or stray bits are refused."""
    if not isinstance(text, str) or "=" in text or len(text) % 4 == 1:
        raise JoseError("not base64url")
    try:
        raw = base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError) as exc:
        raise JoseError("not base64url") from exc
    if b64url_encode(raw) != text:
        raise JoseError("not canonical base64url")
    return raw


def json_b64(obj: Any) -> str:
    return b64url_encode(json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def alg_of(key: SigningKey | VerifyingKey) -> str:
    if isinstance(key, Ed25519PrivateKey | Ed25519PublicKey):
        return "EdDSA"
    if isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey) and isinstance(
        key.curve, ec.SECP256R1
    ):
        return "ES256"
    raise JoseError("unsupported key type")


def public_jwk(key: SigningKey | VerifyingKey) -> dict[str, str]:
    """The public JWK of a key (private keys give their public half)."""
    pub = key.public_key() if isinstance(key, Ed25519PrivateKey | ec.EllipticCurvePrivateKey) else key
    if isinstance(pub, Ed25519PublicKey):
        return {"kty": "OKP", "crv": "Ed25519", "x": b64url_encode(pub.public_bytes(Encoding.Raw, PublicFormat.Raw))}
    alg_of(pub)
    numbers = pub.public_numbers()
    return {
        "kty": "EC",
        "crv": "P-256",
        "x": b64url_encode(numbers.x.to_bytes(32, "big")),
        "y": b64url_encode(numbers.y.to_bytes(32, "big")),
    }


def key_from_jwk(jwk: Any) -> VerifyingKey:
    """A public key from a JWK; only OKP/Ed25519 and EC/P-256 are accepted."""
    if not isinstance(jwk, dict):
        raise JoseError("jwk is not an object")
    try:
        if jwk.get("kty") == "OKP" and jwk.get("crv") == "Ed25519":
            x = b64url_decode(jwk["x"])
            if len(x) != 32:
                raise JoseError("bad Ed25519 key length")
            return Ed25519PublicKey.from_public_bytes(x)
        if jwk.get("kty") == "EC" and jwk.get("crv") == "P-256":
            xb, yb = b64url_decode(jwk["x"]), b64url_decode(jwk["y"])
            if len(xb) != 32 or len(yb) != 32:
                raise JoseError("bad P-256 coordinate length")
            nums = ec.EllipticCurvePublicNumbers(int.from_bytes(xb, "big"), int.from_bytes(yb, "big"), ec.SECP256R1())
            return nums.public_key()
    except (KeyError, TypeError, ValueError) as exc:
        raise JoseError("bad jwk") from exc
    raise JoseError("unsupported jwk")


def jwk_thumbprint(jwk: dict[str, str]) -> str:
    """RFC 7638 thumbprint (SHA-256), a short stable key id."""
    members = ("crv", "kty", "x") if jwk.get("kty") == "OKP" else ("crv", "kty", "x", "y")
    canon = json.dumps({m: jwk[m] for m in members}, separators=(",", ":"), sort_keys=True)
    return b64url_encode(hashlib.sha256(canon.encode("utf-8")).digest())


def raw_sign(key: SigningKey, message: bytes) -> bytes:
    """JWS signature bytes: Ed25519 raw 64 bytes, or ES256 as r||s (32 bytes each, RFC 7518 §3.4)."""
    if isinstance(key, Ed25519PrivateKey):
        return key.sign(message)
    alg_of(key)
    r, s = decode_dss_signature(key.sign(message, ec.ECDSA(hashes.SHA256())))
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def raw_verify(key: VerifyingKey, alg: str, message: bytes, signature: bytes) -> bool:
    """True when `signature` is valid for `alg` under `key`; never raises on bad input."""
    try:
        if alg != alg_of(key) or len(signature) != 64:
            return False
        if isinstance(key, Ed25519PublicKey):
            key.verify(signature, message)
        else:
            der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
            key.verify(der, message, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, JoseError, ValueError):
        return False
    return True


def sign_compact(key: SigningKey, header: dict[str, Any], payload: dict[str, Any]) -> str:
    """A compact JWS over JSON `payload`; `alg` is set from the key."""
    head = {"alg": alg_of(key), **{k: v for k, v in header.items() if k != "alg"}}
    signing_input = f"{json_b64(head)}.{json_b64(payload)}"
    return f"{signing_input}.{b64url_encode(raw_sign(key, signing_input.encode('ascii')))}"


def parse_compact(token: str) -> tuple[dict[str, Any], dict[str, Any], bytes, bytes]:
    """(header, payload, signing input, signature) without verifying; JoseError when malformed."""
    if not isinstance(token, str) or not token.isascii():
        raise JoseError("not a compact JWS")
    parts = token.split(".")
    if len(parts) != 3:
        raise JoseError("not a compact JWS")
    try:
        header = json.loads(b64url_decode(parts[0]))
        payload = json.loads(b64url_decode(parts[1]))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise JoseError("bad JSON in JWS") from exc
    if not isinstance(header, dict) or not isinstance(payload, dict):
        raise JoseError("JWS header and payload must be objects")
    if header.get("alg") not in JOSE_ALGS:
        raise JoseError("unsupported alg")
    if "crit" in header:
        raise JoseError("critical header extensions are not understood")
    return header, payload, f"{parts[0]}.{parts[1]}".encode("ascii"), b64url_decode(parts[2])


def signing_key(alg: str, private: bytes) -> SigningKey:
    """A JOSE signing key from the raw private key of an `algorithms.KeyPair` (EdDSA: 32-byte seed).
    SM2 has no JOSE registration: SM2 issuers sign CWTs only."""
    if alg != "EdDSA":
        raise JoseError(f"no JOSE signing for {alg!r}")
    return Ed25519PrivateKey.from_private_bytes(private)


def verifying_key(alg: str, public: bytes) -> VerifyingKey:
    """A JOSE verifying key from the raw public key of an `algorithms.KeyPair`."""
    if alg != "EdDSA":
        raise JoseError(f"no JOSE verification for {alg!r}")
    try:
        return Ed25519PublicKey.from_public_bytes(public)
    except ValueError as exc:
        raise JoseError("bad Ed25519 public key") from exc
