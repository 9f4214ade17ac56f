"""The online verifier's server-side cache (验证缓存): this platform's trust store and the issuers'
status lists, kept in the process so that POST /v1/verifications and the /verify page neither sign a
trust list nor rebuild a 64 Ki-entry status list per request.

Rules kept here:
- A status list is cached for its `ttl` (the issuer's STATUS_TTL, what its published token says) and
  never past the token's `exp`; the trust store for TRUST_TTL and never past the list's `exp`. After
  that the next verification reads the database again: a revocation made by any process of the
  platform reaches every verifier within the ttl.
- A change committed through this process (a certificate suspended, reinstated or revoked; an issuer
  registered, a key rotated or revoked, a recognised list imported) also drops the affected entry at
  commit, so this process sees its own changes at once. The service marks the session
  (`mark_changed`); a rolled-back change drops nothing.
- A session holding marked, uncommitted changes bypasses the cache (it reads its own writes).
- A clock moved backwards (before an entry was fetched) makes the entry stale, never fresher.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Generic, TypeVar

from sqlalchemy import event
from sqlalchemy.orm import Session

TRUST = "trust"
TRUST_TTL = timedelta(minutes=5)
_KEY = "credentials.online_cache.changed"

T = TypeVar("T")


@dataclass(frozen=True)
class _Entry(Generic[T]):
    value: T
    fetched_at: datetime
    fresh_until: datetime

    def fresh(self, now: datetime) -> bool:
        return self.fetched_at <= now < self.fresh_until


class OnlineCache:
    """Entries by key ("trust", or a status list's uri), each fresh from its fetch for its ttl."""

    def __init__(self) -> None:
        self._entries: dict[str, _Entry[object]] = {}
        self._lock = threading.Lock()
        self.loads = 0  # how many times an entry was (re)loaded: what the tests count

    def get(self, key: str, *, now: datetime, load: Callable[[], tuple[T, timedelta, datetime | None]]) -> T:
        """The cached value of `key`, or `load()` -> (value, ttl, exp) when missing or stale."""
        with self._lock:
            entry = self._entries.get(key)
        if entry is not None and entry.fresh(now):
            return entry.value  # type: ignore[return-value]
        value, ttl, exp = load()
        fresh_until = now + ttl if exp is None else min(now + ttl, exp)
        with self._lock:
            self._entries[key] = _Entry(value, now, fresh_until)
            self.loads += 1
        return value

    def forget(self, key: str | None = None) -> None:
        """Drop one entry, or every entry."""
        with self._lock:
            if key is None:
                self._entries.clear()
            else:
                self._entries.pop(key, None)


CACHE = OnlineCache()


def mark_changed(session: Session, key: str) -> None:
    """Note that `session` changed what the cache entry `key` holds (dropped when it commits)."""
    session.info.setdefault(_KEY, set()).add(key)


def has_changes(session: Session) -> bool:
    """True while the session holds uncommitted changes to cached data (it must bypass the cache)."""
    return bool(session.info.get(_KEY))


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    for key in session.info.pop(_KEY, ()):
        CACHE.forget(key)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_KEY, None)
