"""RSA2 (SHA256withRSA) in Alipay Open Platform conventions: the platform's gateway key and the
canonical "k=v&k=v" form that requests, responses and notifications are signed over.

The platform key is an RSA-2048 key pair. It comes from ONECITY_GATEWAY_RSA_PRIVATE_KEY (a PEM, or
Alipay's bare base64 of the PKCS#8 / PKCS#1 DER) or from `gateway_rsa2.pem` in ONECITY_KEY_DIR,
created on first use with mode 0600 (like the key ring in `keyring`). It never enters the database.

Canonical form ("待签名字符串"): drop the excluded keys and empty values, sort the rest by key
(byte order, as Alipay's SDKs do), join as `k=v` with `&`, values raw (not URL-encoded), UTF-8.
Which keys are excluded depends on the direction:
- asynchronous notifications (platform -> merchant): `sign` and `sign_type` (the default here);
- gateway requests (merchant -> platform): only `sign` — the SDKs sign `sign_type` along with the rest,
  so verify those with `exclude=REQUEST_EXCLUDED`.
A synchronous response is signed over the exact JSON text of its `*_response` object (`sign_text`).

Worked example: {"b": "2", "a": "1", "sign_type": "RSA2", "c": ""} -> "a=1&b=2".
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from onecity.config import get_settings
from onecity.crypto import keyring
from onecity.crypto.signing import BadKey

KEY_FILE = "gateway_rsa2.pem"
KEY_BITS = 2048
NOTIFY_EXCLUDED: tuple[str, ...] = ("sign", "sign_type")
REQUEST_EXCLUDED: tuple[str, ...] = ("sign",)


# --- the platform key ---------------------------------------------------------------------------


def _load_private(text: str) -> rsa.RSAPrivateKey:
    text = text.strip()
    try:
        if text.startswith("-----BEGIN"):
            k = serialization.load_pem_private_key(text.encode(), password=None)
        else:
            der = base64.b64decode("".join(text.split()), validate=True)
            k = serialization.load_der_private_key(der, password=None)
    except (ValueError, TypeError, binascii.Error) as exc:
        raise BadKey("not an RSA private key (PEM or base64 DER)") from exc
    if not isinstance(k, rsa.RSAPrivateKey):
        raise BadKey("the gateway key must be an RSA key")
    if k.key_size < KEY_BITS:
        raise BadKey("RSA keys must be at least 2048 bits")
    return k


def _private_pem(k: rsa.RSAPrivateKey) -> bytes:
    return k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                           serialization.NoEncryption())


def _read_or_create(path: Path) -> rsa.RSAPrivateKey:
    if path.exists():
        return _load_private(path.read_text())
    k = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    return _load_private(keyring.write_once(path, _private_pem(k)).decode())


@lru_cache
def platform_private_key() -> rsa.RSAPrivateKey:
    """The platform's gateway signing key (env var, else the key dir; created there on first use)."""
    s = get_settings()
    if s.gateway_rsa_private_key:
        return _load_private(s.gateway_rsa_private_key)
    return _read_or_create(s.key_dir / KEY_FILE)


def init_platform_key(directory: Path | None = None) -> Path:
    """Create the key file in `directory` (default: the key dir) if absent; return its path."""
    path = (directory or get_settings().key_dir) / KEY_FILE
    _read_or_create(path)
    return path


def platform_public_pem() -> str:
    """The platform's public key as a SubjectPublicKeyInfo PEM (what merchants download)."""
    return public_pem(platform_private_key().public_key())


def platform_public_key_base64() -> str:
    """The platform's public key in Alipay's bare form (the PEM body on one line, "MIIBIjAN…")."""
    return bare_base64(platform_public_pem())


# --- public keys in either form -----------------------------------------------------------------


def load_public_key(text: str) -> rsa.RSAPublicKey:
    """An RSA public key (≥ 2048 bits) from a PEM (SPKI or PKCS#1) or Alipay's bare base64 form."""
    text = (text or "").strip()
    try:
        if text.startswith("-----BEGIN"):
            k = serialization.load_pem_public_key(text.encode())
        else:
            der = base64.b64decode("".join(text.split()), validate=True)
            try:
                k = serialization.load_der_public_key(der)
            except ValueError:
                # Some tools export PKCS#1 ("RSAPublicKey") bodies: wrap them as a PEM to load.
                body = base64.b64encode(der).decode()
                k = serialization.load_pem_public_key(
                    f"-----BEGIN RSA PUBLIC KEY-----\n{body}\n-----END RSA PUBLIC KEY-----\n".encode())
    except (ValueError, TypeError, binascii.Error) as exc:
        raise BadKey("not an RSA public key (PEM or base64)") from exc
    if not isinstance(k, rsa.RSAPublicKey):
        raise BadKey("only RSA keys are accepted for RSA2")
    if k.key_size < KEY_BITS:
        raise BadKey("RSA keys must be at least 2048 bits")
    return k


def public_pem(k: rsa.RSAPublicKey) -> str:
    return k.public_bytes(serialization.Encoding.PEM,
                          serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def normalize_public_key(text: str) -> str:
    """Any accepted form -> SPKI PEM (raises BadKey)."""
    return public_pem(load_public_key(text))


def bare_base64(pem: str) -> str:
    """A PEM's body on one line, without the BEGIN/END markers (how Alipay shows keys)."""
    return "".join(line.strip() for line in pem.strip().splitlines() if not line.startswith("-----"))


# --- signing ------------------------------------------------------------------------------------


def sign_content(params: Mapping[str, str], *, exclude: Iterable[str] = NOTIFY_EXCLUDED) -> str:
    """The canonical string: excluded keys and empty values dropped, sorted by key, `k=v&…`."""
    skip = set(exclude)
    items = sorted((k, v) for k, v in params.items() if k not in skip and v is not None and v != "")
    return "&".join(f"{k}={v}" for k, v in items)


def sign_text(text: str, private_key: rsa.RSAPrivateKey | None = None) -> str:
    """SHA256withRSA (PKCS#1 v1.5) over the UTF-8 bytes of `text`, base64."""
    k = private_key or platform_private_key()
    return base64.b64encode(k.sign(text.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())).decode()


def verify_text(text: str, signature_b64: str, public_key: str | rsa.RSAPublicKey) -> bool:
    k = load_public_key(public_key) if isinstance(public_key, str) else public_key
    try:
        sig = base64.b64decode(signature_b64 or "", validate=True)
    except (ValueError, binascii.Error):
        return False
    if not sig:
        return False
    try:
        k.verify(sig, text.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True


def sign_params(params: Mapping[str, str], *, exclude: Iterable[str] = NOTIFY_EXCLUDED,
                private_key: rsa.RSAPrivateKey | None = None) -> str:
    """Alipay "RSA2" signature of `params` with the platform key (or `private_key`)."""
    return sign_text(sign_content(params, exclude=exclude), private_key)


def verify_params(params: Mapping[str, str], public_pem: str, *,
                  exclude: Iterable[str] = NOTIFY_EXCLUDED) -> bool:
    """True when params["sign"] is a valid RSA2 signature of the canonical form under `public_pem`
    (a PEM or Alipay's bare base64). A malformed key raises BadKey; a bad signature returns False."""
    return verify_text(sign_content(params, exclude=exclude), params.get("sign", ""), public_pem)
