"""The tax signing key (Ed25519): it signs every electronic tax receipt (电子完税证明), so anyone
(the public page /verify/tax-receipt/{no}, or `GET /v1/services/taxes/receipt-key`) can check
that a receipt was issued by this platform and not altered.

It lives in ONECITY_KEY_DIR as `services_taxes_ed25519.key` (base64 of the 32-byte seed, mode 0600),
created on first use (`onecity.crypto.keyfile`), never in the database.
"""

from __future__ import annotations

from onecity.crypto.keyfile import FileKey, b64url, b64url_decode

KEY = FileKey("services_taxes_ed25519.key")
private_key, public_key, public_pem, key_id = KEY.private_key, KEY.public_key, KEY.public_pem, KEY.key_id
sign, verify = KEY.sign, KEY.verify

__all__ = ["KEY", "b64url", "b64url_decode", "key_id", "private_key", "public_key", "public_pem", "sign", "verify"]
