"""The platform's transit keys (Ed25519) and the key set a gate holds.

The platform signs device certificates with one active transit key; it rotates by adding a new key
to every gate's key set before signing with it, and drops the old one only after the last
certificate it signed has expired (certificates live 24 h). A key is named on the wire by its `kid`:
2 bytes, the first two of SHA-256("OCT-kid" || public key). Two bytes are a name, not a security
parameter (the signature is the check); a key set refuses two keys with the same kid, and the
platform generates a fresh key in the unlikely case a new one collides with one still in use.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

KID_BYTES = 2


def kid_of(public: bytes) -> bytes:
    return hashlib.sha256(b"OCT-kid" + public).digest()[:KID_BYTES]


def public_from_seed(seed: bytes) -> bytes:
    return (
        ed25519.Ed25519PrivateKey.from_private_bytes(seed)
        .public_key()
        .public_bytes(Encoding.Raw, PublicFormat.Raw)
    )


@dataclass(frozen=True)
class SigningKey:
    """An Ed25519 key pair as raw bytes: `seed` (32) and `public` (32)."""

    seed: bytes
    public: bytes

    @classmethod
    def generate(cls) -> SigningKey:
        k = ed25519.Ed25519PrivateKey.generate()
        seed = k.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        return cls(seed, k.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))

    @classmethod
    def from_seed(cls, seed: bytes) -> SigningKey:
        return cls(seed, public_from_seed(seed))

    @property
    def kid(self) -> bytes:
        return kid_of(self.public)

    def sign(self, message: bytes) -> bytes:
        return ed25519.Ed25519PrivateKey.from_private_bytes(self.seed).sign(message)


class KeySetError(ValueError):
    """A key set file or entry that cannot be used (bad base64, wrong length, duplicate kid)."""


class KeySet:
    """The platform public keys a gate trusts, by kid. Public keys are decoded once, on `add`.
    `version` goes up with every change, so what was checked against the set can be invalidated."""

    def __init__(self, publics: list[bytes] | tuple[bytes, ...] = ()) -> None:
        self._keys: dict[bytes, ed25519.Ed25519PublicKey] = {}
        self._raw: dict[bytes, bytes] = {}
        self.version = 0
        for p in publics:
            self.add(p)

    def add(self, public: bytes) -> bytes:
        if len(public) != 32:
            raise KeySetError("an Ed25519 public key is 32 bytes")
        kid = kid_of(public)
        if kid in self._raw and self._raw[kid] != public:
            raise KeySetError(f"kid {kid.hex()} already names another key")
        try:
            self._keys[kid] = ed25519.Ed25519PublicKey.from_public_bytes(public)
        except ValueError as exc:
            raise KeySetError("not an Ed25519 public key") from exc
        if self._raw.get(kid) != public:
            self.version += 1
        self._raw[kid] = public
        return kid

    def remove(self, kid: bytes) -> None:
        self._keys.pop(kid, None)
        if self._raw.pop(kid, None) is not None:
            self.version += 1

    def get(self, kid: bytes) -> ed25519.Ed25519PublicKey | None:
        return self._keys.get(kid)

    def kids(self) -> list[str]:
        return sorted(k.hex() for k in self._raw)

    def __len__(self) -> int:
        return len(self._raw)

    def to_json(self) -> str:
        return json.dumps({"keys": [base64.b64encode(p).decode() for p in self._raw.values()]})

    @classmethod
    def from_json(cls, text: str) -> KeySet:
        """`{"keys": ["<base64 of a raw 32-byte Ed25519 public key>", …]}`."""
        try:
            doc = json.loads(text)
            publics = [base64.b64decode(p, validate=True) for p in doc["keys"]]
        except (ValueError, KeyError, TypeError) as exc:
            raise KeySetError(f"not a key set: {exc}") from exc
        return cls(publics)
