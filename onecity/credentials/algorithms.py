"""Signature algorithms for electronic certificates (电子证照): Ed25519 and SM2-with-SM3.

Every issuer key, holder key and platform key carries one of `ALGS`:

- "EdDSA": Ed25519 (RFC 8032) through `cryptography`. COSE alg -8 (RFC 9053), JWK kty "OKP".
  Raw encodings: private = 32-byte seed, public = 32 bytes, signature = 64 bytes.
- "SM2": SM2 signature with SM3 (GB/T 32918.2-2016, GB/T 35276-2017) through `gmssl-pyx` (GmSSL 3,
  whose nonce comes from the OS random generator, never from Python's `random`). The signer id is
  the default one of GB/T 32918 / GB/T 35276-2017, b"1234567812345678"; it enters
  Z = SM3(ENTL||ID||a||b||xG||yG||xA||yA), so signer and verifier must agree on it.
  Raw encodings: private = 32-byte scalar, public = 65-byte uncompressed point 0x04||x||y,
  signature = 64 bytes r||s (fixed width, as COSE does for ECDSA) — converted from/to the DER that
  GmSSL speaks.
  SM2 has no IANA COSE or JOSE registration. OneCity uses private-use values (RFC 9052 §16.4: alg
  values below -65536 are for private use): COSE alg `SM2_COSE_ALG` = -65600 ("SM2-SM3"), COSE EC2
  curve `SM2_COSE_CRV` = -65601 ("SM2P256v1"); in JWK form kty "EC", crv "SM2", alg "SM2-SM3".

`key_id` is the RFC 7638 JWK thumbprint (SHA-256) truncated to 8 bytes, base64url (11 characters):
short enough for every QR code, stable for a key, and the same whichever module computes it.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

ALGS = ("EdDSA", "SM2")

SM2_SIGNER_ID = b"1234567812345678"
COSE_ALG_EDDSA = -8
SM2_COSE_ALG = -65600
SM2_COSE_CRV = -65601
COSE_ALGS = {"EdDSA": COSE_ALG_EDDSA, "SM2": SM2_COSE_ALG}
ALG_BY_COSE = {v: k for k, v in COSE_ALGS.items()}

# COSE_Key labels (RFC 9052 §7, RFC 9053 §7)
_KTY, _ALG, _CRV, _X, _Y = 1, 3, -1, -2, -3
_KTY_OKP, _KTY_EC2, _CRV_ED25519 = 1, 2, 6

_SM2_ORDER_BYTES = 32


class UnknownAlgorithm(ValueError):
    pass


@dataclass(frozen=True)
class KeyPair:
    alg: str
    private: bytes
    public: bytes

    def __repr__(self) -> str:  # never print the private key
        return f"KeyPair(alg={self.alg!r}, public={self.public.hex()})"


def _check(alg: str) -> None:
    if alg not in ALGS:
        raise UnknownAlgorithm(f"unknown signature algorithm {alg!r}; expected one of {ALGS}")


def generate(alg: str) -> KeyPair:
    _check(alg)
    if alg == "EdDSA":
        sk = ed25519.Ed25519PrivateKey.generate()
        return KeyPair(
            alg,
            sk.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption()),
            sk.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw),
        )
    import gmssl_pyx

    pub, priv = gmssl_pyx.sm2_key_generate()
    return KeyPair(alg, bytes(priv), b"\x04" + bytes(pub))


def public_from_private(alg: str, private: bytes) -> bytes:
    """The public key of a private key (Ed25519 only: SM2 key pairs are always stored whole)."""
    _check(alg)
    if alg != "EdDSA":
        raise UnknownAlgorithm("SM2 public keys are kept with the private key, not derived")
    return (
        ed25519.Ed25519PrivateKey.from_private_bytes(private)
        .public_key()
        .public_bytes(Encoding.Raw, PublicFormat.Raw)
    )


def sign(alg: str, private: bytes, message: bytes, *, public: bytes | None = None) -> bytes:
    """Sign `message`. SM2 needs the public key too (it enters Z); pass it when you have it, otherwise
    it is recovered from the private scalar with GmSSL-free point arithmetic (slow, ~ms)."""
    _check(alg)
    if alg == "EdDSA":
        return ed25519.Ed25519PrivateKey.from_private_bytes(private).sign(message)
    import gmssl_pyx

    pub = public if public is not None else _sm2_public_from_private(private)
    der = gmssl_pyx.sm2_sign(private, _sm2_xy(pub), message, SM2_SIGNER_ID)
    r, s = decode_dss_signature(bytes(der))
    return r.to_bytes(_SM2_ORDER_BYTES, "big") + s.to_bytes(_SM2_ORDER_BYTES, "big")


def verify(alg: str, public: bytes, message: bytes, signature: bytes) -> bool:
    """True when `signature` is valid; False for a bad signature, key, algorithm or type. Never raises."""
    try:
        if not isinstance(message, bytes | bytearray) or not isinstance(signature, bytes | bytearray):
            return False
        if alg == "EdDSA":
            if len(public) != 32 or len(signature) != 64:
                return False
            _ed25519_public(bytes(public)).verify(bytes(signature), bytes(message))
            return True
        if alg == "SM2":
            if len(signature) != 2 * _SM2_ORDER_BYTES:
                return False
            import gmssl_pyx

            r = int.from_bytes(signature[:_SM2_ORDER_BYTES], "big")
            s = int.from_bytes(signature[_SM2_ORDER_BYTES:], "big")
            if r == 0 or s == 0:
                return False
            der = encode_dss_signature(r, s)
            return bool(gmssl_pyx.sm2_verify(_sm2_xy(public), bytes(message), der, SM2_SIGNER_ID))
        return False
    except (InvalidSignature, ValueError, TypeError, OverflowError):
        return False
    except Exception:  # gmssl_pyx raises its own InvalidValueError / GmsslInnerError on bad points
        return False


@lru_cache(maxsize=4096)
def _ed25519_public(raw: bytes) -> ed25519.Ed25519PublicKey:
    """Issuer keys verify thousands of certificates: load each once."""
    return ed25519.Ed25519PublicKey.from_public_bytes(raw)


def _sm2_xy(public: bytes) -> bytes:
    if len(public) == 65 and public[0] == 4:
        return bytes(public[1:])
    raise ValueError("an SM2 public key is a 65-byte uncompressed point")


def _b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def public_jwk(alg: str, public: bytes) -> dict[str, str]:
    """The public key as a JWK (RFC 8037 for Ed25519; kty EC, crv "SM2" — not registered — for SM2)."""
    _check(alg)
    if alg == "EdDSA":
        if len(public) != 32:
            raise ValueError("an Ed25519 public key is 32 bytes")
        return {"kty": "OKP", "crv": "Ed25519", "x": _b64u(public)}
    xy = _sm2_xy(public)
    return {"kty": "EC", "crv": "SM2", "x": _b64u(xy[:32]), "y": _b64u(xy[32:])}


def public_from_jwk(jwk: dict[str, Any]) -> tuple[str, bytes]:
    """(alg, raw public key) from a JWK made by `public_jwk`; ValueError otherwise."""
    try:
        if jwk.get("kty") == "OKP" and jwk.get("crv") == "Ed25519":
            raw = base64.urlsafe_b64decode(jwk["x"] + "=" * (-len(jwk["x"]) % 4))
            if len(raw) == 32:
                return "EdDSA", raw
        if jwk.get("kty") == "EC" and jwk.get("crv") == "SM2":
            x = base64.urlsafe_b64decode(jwk["x"] + "=" * (-len(jwk["x"]) % 4))
            y = base64.urlsafe_b64decode(jwk["y"] + "=" * (-len(jwk["y"]) % 4))
            if len(x) == 32 and len(y) == 32:
                return "SM2", b"\x04" + x + y
    except (KeyError, TypeError, ValueError) as e:
        raise ValueError("malformed JWK") from e
    raise ValueError("unsupported JWK")


def cose_key(alg: str, public: bytes) -> dict[int, Any]:
    """The public key as a COSE_Key map (RFC 9052 §7): OKP/Ed25519, or EC2 with the private SM2 curve."""
    _check(alg)
    if alg == "EdDSA":
        if len(public) != 32:
            raise ValueError("an Ed25519 public key is 32 bytes")
        return {_KTY: _KTY_OKP, _ALG: COSE_ALG_EDDSA, _CRV: _CRV_ED25519, _X: public}
    xy = _sm2_xy(public)
    return {_KTY: _KTY_EC2, _ALG: SM2_COSE_ALG, _CRV: SM2_COSE_CRV, _X: xy[:32], _Y: xy[32:]}


def public_from_cose_key(key: Any) -> tuple[str, bytes]:
    """(alg, raw public key) from a COSE_Key made by `cose_key`; ValueError for anything else."""
    if not isinstance(key, dict):
        raise ValueError("a COSE_Key is a map")
    kty, crv, x = key.get(_KTY), key.get(_CRV), key.get(_X)
    if kty == _KTY_OKP and crv == _CRV_ED25519 and isinstance(x, bytes) and len(x) == 32:
        return "EdDSA", x
    y = key.get(_Y)
    if (
        kty == _KTY_EC2
        and crv == SM2_COSE_CRV
        and isinstance(x, bytes)
        and isinstance(y, bytes)
        and len(x) == 32
        and len(y) == 32
    ):
        return "SM2", b"\x04" + x + y
    raise ValueError("unsupported COSE_Key")


def key_id(alg: str, public: bytes) -> str:
    """RFC 7638 thumbprint of `public_jwk`, first 8 bytes, base64url: 11 characters, stable."""
    jwk = public_jwk(alg, public)
    canonical = json.dumps(jwk, sort_keys=True, separators=(",", ":")).encode()
    return _b64u(hashlib.sha256(canonical).digest()[:8])


# --- SM2 point arithmetic, only to recover a public key from a private scalar when a caller lacks it.
_SM2_P = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF
_SM2_A = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC
_SM2_N = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123
_SM2_G = (
    0x32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7,
    0xBC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0,
)


def _sm2_public_from_private(private: bytes) -> bytes:
    d = int.from_bytes(private, "big")
    if not 0 < d < _SM2_N - 1 or len(private) != 32:
        raise ValueError("an SM2 private key is a 32-byte scalar in [1, n-2]")
    p = _SM2_P
    result: tuple[int, int] | None = None
    addend: tuple[int, int] | None = _SM2_G

    def add(a: tuple[int, int] | None, b: tuple[int, int] | None) -> tuple[int, int] | None:
        if a is None:
            return b
        if b is None:
            return a
        if a[0] == b[0] and (a[1] + b[1]) % p == 0:
            return None
        if a == b:
            lam = (3 * a[0] * a[0] + _SM2_A) * pow(2 * a[1], -1, p) % p
        else:
            lam = (b[1] - a[1]) * pow(b[0] - a[0], -1, p) % p
        x = (lam * lam - a[0] - b[0]) % p
        return x, (lam * (a[0] - x) - a[1]) % p

    while d:
        if d & 1:
            result = add(result, addend)
        addend = add(addend, addend)
        d >>= 1
    assert result is not None
    return b"\x04" + result[0].to_bytes(32, "big") + result[1].to_bytes(32, "big")
