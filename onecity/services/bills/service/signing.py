"""The bills signing key (Ed25519): it signs the platform's requests to HTTP billers and every daily
reconciliation file, so a biller holding the public half (`GET /v1/services/bills/key`) can check both.

It lives in ONECITY_KEY_DIR as `services_bills_ed25519.key` (base64 of the 32-byte seed, mode 0600),
created on first use (`onecity.crypto.keyring.write_once`), never in the database.
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

KEY_FILE = "services_bills_ed25519.key"


@lru_cache
def _private(path: Path) -> ed25519.Ed25519PrivateKey:
    raw = base64.b64decode(keyring.write_once(path, base64.b64encode(os.urandom(32))).strip())
    if len(raw) != 32:
        raise RuntimeError(f"{path} does not hold a 32-byte Ed25519 seed")
    return ed25519.Ed25519PrivateKey.from_private_bytes(raw)


def private_key() -> ed25519.Ed25519PrivateKey:
    return _private(get_settings().key_dir / KEY_FILE)


def private_pem() -> str:
    return private_key().private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()).decode()


def public_pem() -> str:
    return private_key().public_key().public_bytes(serialization.Encoding.PEM,
                                                   serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def key_id() -> str:
    """The first 16 hex digits of the SHA-256 of the raw public key."""
    raw = private_key().public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def sign(data: bytes) -> str:
    """A detached Ed25519 signature, base64."""
    return base64.b64encode(private_key().sign(data)).decode()


def verify(data: bytes, signature_b64: str, public: str | None = None) -> bool:
    key = (serialization.load_pem_public_key(public.encode()) if public else private_key().public_key())
    if not isinstance(key, ed25519.Ed25519PublicKey):
        return False
    try:
        key.verify(base64.b64decode(signature_b64, validate=True), data)
    except (InvalidSignature, ValueError):
        return False
    return True
