"""The traffic-police signing key (Ed25519): it signs every penalty decision's QR, so the app (and
anyone with the public half, `GET /v1/services/traffic/decision-key`) can tell a real decision from
a forged or altered one.

It lives in ONECITY_KEY_DIR as `services_traffic_ed25519.key` (base64 of the 32-byte seed, mode 0600),
created on first use (`onecity.crypto.keyfile`), never in the database.
"""

from __future__ import annotations

from onecity.crypto.keyfile import FileKey, b64url, b64url_decode

KEY = FileKey("services_traffic_ed25519.key")
private_key, public_key, public_pem, key_id = KEY.private_key, KEY.public_key, KEY.public_pem, KEY.key_id
sign, verify = KEY.sign, KEY.verify

__all__ = ["KEY", "b64url", "b64url_decode", "key_id", "private_key", "public_key", "public_pem", "sign", "verify"]
