"""The platform key ring: the field-encryption key and the blind-index key (32 bytes each).

Keys come from ONECITY_DATA_KEY / ONECITY_INDEX_KEY (base64) or from files in ONECITY_KEY_DIR,
created by `onecity keys init` (mode 0600). They are never stored in the database.
"""

from __future__ import annotations

import base64
import os
import tempfile
from functools import lru_cache
from pathlib import Path

from onecity.config import get_settings

KEY_FILES = {"data": "data.key", "index": "index.key"}


def _read_or_create(path: Path, create: bool) -> bytes:
    if path.exists():
        raw = base64.b64decode(path.read_text().strip())
        if len(raw) != 32:
            raise RuntimeError(f"{path} does not hold a 32-byte key")
        return raw
    if not create:
        raise RuntimeError(f"key file {path} is missing; run `onecity keys init`")
    return base64.b64decode(write_once(path, base64.b64encode(os.urandom(32))))


def write_once(path: Path, content: bytes) -> bytes:
    """Create a private (0600) key file holding `content` unless it exists; returns what the file
    holds. Written to a private temp file and linked into place, so the file appears whole or not at
    all, and when processes race the first link wins and the others get the winner's content."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-", suffix=".tmp")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(content)
        try:
            os.link(tmp, path)
        except FileExistsError:
            return path.read_bytes()
    finally:
        os.unlink(tmp)
    return content


def init_keys(directory: Path | None = None) -> dict[str, Path]:
    d = directory or get_settings().key_dir
    out = {}
    for name, filename in KEY_FILES.items():
        _read_or_create(d / filename, create=True)
        out[name] = d / filename
    return out


@lru_cache
def key(name: str) -> bytes:
    s = get_settings()
    env = {"data": s.data_key, "index": s.index_key}[name]
    if env:
        raw = base64.b64decode(env)
        if len(raw) != 32:
            raise RuntimeError(f"ONECITY_{name.upper()}_KEY must be 32 bytes of base64")
        return raw
    return _read_or_create(s.key_dir / KEY_FILES[name], create=True)
