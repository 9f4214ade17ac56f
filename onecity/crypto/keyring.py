"""The platform key ring: the field-encryption key and the blind-index key (32 bytes each).

Keys come from ONECITY_DATA_KEY / ONECITY_INDEX_KEY (base64) or from files in ONECITY_KEY_DIR,
created by `onecity keys init` (mode 0600). They are never stored in the database.
"""

from __future__ import annotations

import base64
import os
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
    path.parent.mkdir(parents=True, exist_ok=True)
    key = os.urandom(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(base64.b64encode(key).decode())
    return key


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
