"""Signatures: Ed25519 for OneCity's own APIs, RSA-SHA256 ("RSA2") for the Alipay-style gateway."""

from __future__ import annotations

import base64

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes


class BadKey(ValueError):
    pass


def load_public_key(pem: str) -> PublicKeyTypes:
    try:
        k = serialization.load_pem_public_key(pem.encode())
    except (ValueError, TypeError) as exc:
        raise BadKey("not a PEM public key") from exc
    if isinstance(k, rsa.RSAPublicKey) and k.key_size < 2048:
        raise BadKey("RSA keys must be at least 2048 bits")
    if not isinstance(k, ed25519.Ed25519PublicKey | rsa.RSAPublicKey):
        raise BadKey("only Ed25519 and RSA keys are accepted")
    return k


def key_algorithm(k: PublicKeyTypes) -> str:
    return "ed25519" if isinstance(k, ed25519.Ed25519PublicKey) else "rsa-sha256"


def verify(public_pem: str, message: bytes, signature_b64: str) -> bool:
    k = load_public_key(public_pem)
    try:
        sig = base64.b64decode(signature_b64, validate=True)
    except ValueError:
        return False
    try:
        if isinstance(k, ed25519.Ed25519PublicKey):
            k.verify(sig, message)
        else:
            assert isinstance(k, rsa.RSAPublicKey)
            k.verify(sig, message, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True


def sign(private_pem: str, message: bytes) -> str:
    k = serialization.load_pem_private_key(private_pem.encode(), password=None)
    if isinstance(k, ed25519.Ed25519PrivateKey):
        return base64.b64encode(k.sign(message)).decode()
    assert isinstance(k, rsa.RSAPrivateKey)
    return base64.b64encode(k.sign(message, padding.PKCS1v15(), hashes.SHA256())).decode()


def generate_ed25519() -> tuple[str, str]:
    """(private PEM, public PEM)."""
    k = ed25519.Ed25519PrivateKey.generate()
    priv = k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                           serialization.NoEncryption()).decode()
    pub = k.public_key().public_bytes(serialization.Encoding.PEM,
                                      serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return priv, pub
