"""The tax signing key (Ed25519): it signs every electronic tax receipt (电子完税证明), so anyone
(the public page /verify/tax-receipt/{no}, or `GET /v1/services/taxes/receipt-key`) can check
that a receipt was issued by this platform and not altered.

It lives in ONECITY_KEY_DIR as `services_taxes_ed25519.key` (base64 of the 32-byte seed, mode 0600),
created on first use like the key ring (`onecity.crypto.keyring.write_once`), never in the database.
"""

from __future__ import annotations

import base64
import hashlib
import os
from functools import lru_cache
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from onecity.config import get_settings
from onecity.crypto import keyring

KEY_FILE = "services_taxes_ed25519.key"


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@lru_cache
def _private(path: Path) -> ed25519.Ed25519PrivateKey:
    raw = base64.b64decode(keyring.write_once(path, base64.b64encode(os.urandom(32))).strip())
    if len(raw) != 32:
        raise RuntimeError(f"{path} does not hold a 32-byte Ed25519 seed")
    return ed25519.Ed25519PrivateKey.from_private_bytes(raw)


def private_key() -> ed25519.Ed25519PrivateKey:
    return _private(get_settings().key_dir / KEY_FILE)


def public_pem() -> str:
    return private_key().public_key().public_bytes(serialization.Encoding.PEM,
                                                   serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def key_id() -> str:
    """The first 16 hex digits of the SHA-256 of the raw public key."""
    raw = private_key().public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def sign(message: bytes) -> str:
    return b64url(private_key().sign(message))


def verify(message: bytes, signature: str) -> bool:
    try:
        private_key().public_key().verify(b64url_decode(signature), message)
    except (InvalidSignature, ValueError):
        return False
    return True
