"""The platform's trust-list signing key (Ed25519): the key every OneCity verifier is configured to
trust, which signs the trust lists of the regions this deployment serves.

It lives in ONECITY_KEY_DIR as `trust_list_ed25519.key` (the base64 of the 32-byte seed, mode 0600),
created on first use like the key ring (`onecity.crypto.keyring`), never in the database. Verifiers
get the public half out of band (`onecity keys trust-list` prints it) and pin it.
"""

from __future__ import annotations

import base64
from functools import lru_cache
from pathlib import Path

from onecity.config import get_settings
from onecity.credentials import algorithms
from onecity.crypto import keyring

KEY_FILE = "trust_list_ed25519.key"
ALG = "EdDSA"


def _load(path: Path) -> algorithms.KeyPair:
    raw = base64.b64decode(path.read_text().strip())
    if len(raw) != 32:
        raise RuntimeError(f"{path} does not hold a 32-byte Ed25519 seed")
    return algorithms.KeyPair(ALG, raw, algorithms.public_from_private(ALG, raw))


def _read_or_create(path: Path) -> algorithms.KeyPair:
    if path.exists():
        return _load(path)
    keyring.write_once(path, base64.b64encode(algorithms.generate(ALG).private))
    return _load(path)


@lru_cache
def _cached(path: Path) -> algorithms.KeyPair:
    return _read_or_create(path)


def key_path(directory: Path | None = None) -> Path:
    return (directory or get_settings().key_dir) / KEY_FILE


def platform_keypair() -> algorithms.KeyPair:
    """The platform trust-list key pair (created in the key dir on first use)."""
    return _cached(key_path())


def platform_public() -> bytes:
    return platform_keypair().public


def platform_kid() -> str:
    return algorithms.key_id(ALG, platform_public())
