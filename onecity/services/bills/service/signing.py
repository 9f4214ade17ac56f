"""The bills signing key (Ed25519): it signs the platform's requests to HTTP billers and every daily
reconciliation file, so a biller holding the public half (`GET /v1/services/bills/key`) can check both.

It lives in ONECITY_KEY_DIR as `services_bills_ed25519.key` (base64 of the 32-byte seed, mode 0600),
created on first use (`onecity.crypto.keyring.write_once`), never in the database.
"""

from __future__ import annotations

import base64

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from onecity.crypto.keyfile import FileKey

KEY = FileKey("services_bills_ed25519.key")
private_key, public_pem, private_pem, key_id = KEY.private_key, KEY.public_pem, KEY.private_pem, KEY.key_id


def sign(data: bytes) -> str:
    """A detached Ed25519 signature, base64."""
    return base64.b64encode(private_key().sign(data)).decode()


def verify(data: bytes, signature_b64: str, public: str | None = None) -> bool:
    key = (serialization.load_pem_public_key(public.encode()) if public else KEY.public_key())
    if not isinstance(key, ed25519.Ed25519PublicKey):
        return False
    try:
        key.verify(base64.b64decode(signature_b64, validate=True), data)
    except (InvalidSignature, ValueError):
        return False
    return True
