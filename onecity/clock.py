"""The injectable clock: all business time comes from here so tests can move it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

CITY_TZ = ZoneInfo("Asia/Shanghai")

_offset = timedelta(0)
_frozen: datetime | None = None


def now() -> datetime:
    """Current time, UTC, timezone-aware."""
    if _frozen is not None:
        return _frozen
    return datetime.now(UTC) + _offset


def today_local() -> datetime:
    return now().astimezone(CITY_TZ)


def freeze(at: datetime) -> None:
    global _frozen
    _frozen = at.astimezone(UTC)


def advance(delta: timedelta) -> None:
    """Move time forward (frozen or not)."""
    global _frozen, _offset
    if _frozen is not None:
        _frozen = _frozen + delta
    else:
        _offset = _offset + delta


def reset() -> None:
    global _frozen, _offset
    _frozen = None
    _offset = timedelta(0)


def aware(dt: datetime) -> datetime:
    """SQLite hands back naive datetimes: treat them as UTC."""
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)
