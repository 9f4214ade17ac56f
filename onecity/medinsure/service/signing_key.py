"""The medinsure signing key (Ed25519): it signs every insurance code and every electronic receipt, so
anyone holding the public half (`GET /v1/medinsure/code-key`) can check that a code or a receipt was
issued by this platform and not altered. It lives in ONECITY_KEY_DIR as `medinsure_ed25519.key`
(`onecity.crypto.keyfile`)."""

from __future__ import annotations

from onecity.crypto.keyfile import FileKey, b64url, b64url_decode

KEY = FileKey("medinsure_ed25519.key")
private_key, public_key, public_pem, key_id = KEY.private_key, KEY.public_key, KEY.public_pem, KEY.key_id
sign, verify = KEY.sign, KEY.verify

__all__ = ["KEY", "b64url", "b64url_decode", "key_id", "private_key", "public_key", "public_pem", "sign", "verify"]
