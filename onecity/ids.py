"""Public ids: a domain prefix and a ULID (`cit_01J…`). Row numbers are never exposed."""

from __future__ import annotations

from ulid import ULID


def new_id(prefix: str) -> str:
    return f"{prefix}_{ULID()}"
