"""The platform's trust-list signing key (Ed25519): the key every OneCity verifier is configured to
trust, which signs the trust lists of the regions this deployment serves.

It lives in ONECITY_KEY_DIR as `trust_list_ed25519.key` (the base64 of the 32-byte seed, mode 0600),
created on first use like the key ring (`onecity.crypto.keyring`), never in the database. Verifiers
get the public half out of band (`onecity keys trust-list` prints it) and pin it.
"""

from __future__ import annotations

import base64
import os
import tempfile
from functools import lru_cache
from pathlib import Path

from onecity.config import get_settings
from onecity.credentials import algorithms

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
    path.parent.mkdir(parents=True, exist_ok=True)
    pair = algorithms.generate(ALG)
    # Written to a private temp file then linked into place: the key appears whole or not at all, and
    # when two processes race, the first link wins and the other reads the winner's key.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".trust-list-", suffix=".tmp")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(base64.b64encode(pair.private).decode())
        try:
            os.link(tmp, path)
        except FileExistsError:
            return _load(path)
    finally:
        os.unlink(tmp)
    return pair


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
