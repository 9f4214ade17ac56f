"""Platform signing keys kept in a file (Ed25519): what signs the medical-insurance codes and receipts,
traffic decisions' QR codes, electronic tax receipts and the bills' requests and reconciliation files.

A `FileKey` lives in ONECITY_KEY_DIR under its file name (base64 of the 32-byte seed, mode 0600),
created on first use with `keyring.write_once` (so racing processes end with the same key), never in
the database. The public half is published by the module that uses it; `key_id` names it.
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


class FileKey:
    """One Ed25519 signing key in the key directory, by file name."""

    def __init__(self, file_name: str) -> None:
        self.file_name = file_name

    def private_key(self) -> ed25519.Ed25519PrivateKey:
        return _private(get_settings().key_dir / self.file_name)

    def public_key(self) -> ed25519.Ed25519PublicKey:
        return self.private_key().public_key()

    def public_pem(self) -> str:
        return self.public_key().public_bytes(serialization.Encoding.PEM,
                                              serialization.PublicFormat.SubjectPublicKeyInfo).decode()

    def private_pem(self) -> str:
        return self.private_key().private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                serialization.NoEncryption()).decode()

    def key_id(self) -> str:
        """The first 16 hex digits of the SHA-256 of the raw public key."""
        raw = self.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return hashlib.sha256(raw).hexdigest()[:16]

    def sign(self, message: bytes) -> str:
        """The signature of `message`, base64url without padding."""
        return b64url(self.private_key().sign(message))

    def verify(self, message: bytes, signature: str) -> bool:
        """Whether `signature` (base64url, padding optional) is this key's over `message`."""
        try:
            self.public_key().verify(b64url_decode(signature), message)
        except (InvalidSignature, ValueError):
            return False
        return True
