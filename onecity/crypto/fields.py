"""Encryption of personal data at rest (AES-256-GCM) and blind indexes (HMAC-SHA256) for look-up.

Ciphertext layout: b"v1" + 12-byte nonce + AES-GCM(ciphertext||tag). The associated data binds a
value to its purpose (e.g. "citizen.id_number"), so a ciphertext copied into another column fails.
"""

from __future__ import annotations

import hashlib
import hmac
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from onecity.crypto.keyring import key

VERSION = b"v1"


def encrypt(plaintext: bytes | str, *, purpose: str) -> bytes:
    data = plaintext.encode() if isinstance(plaintext, str) else plaintext
    nonce = os.urandom(12)
    return VERSION + nonce + AESGCM(key("data")).encrypt(nonce, data, purpose.encode())


def decrypt(blob: bytes, *, purpose: str) -> bytes:
    if blob[:2] != VERSION:
        raise ValueError("unknown ciphertext version")
    return AESGCM(key("data")).decrypt(blob[2:14], blob[14:], purpose.encode())


def decrypt_str(blob: bytes, *, purpose: str) -> str:
    return decrypt(blob, purpose=purpose).decode()


def blind_index(value: str, *, purpose: str) -> str:
    """Deterministic keyed hash for equality look-up without storing the value (hex, 64 chars)."""
    return hmac.new(key("index"), purpose.encode() + b"\x00" + value.encode(), hashlib.sha256).hexdigest()
