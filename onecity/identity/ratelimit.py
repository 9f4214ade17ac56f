"""Rate limits kept in the database, so they hold across every app and worker process.

Each bucket (e.g. `otp:mobile:<blind index>`) counts hits in fixed windows; the limit is checked on a
sliding window estimated from the current and the previous fixed window (the previous one weighted by
the part of it still inside the sliding window). The increment is one atomic upsert, so concurrent
requests cannot both slip under the limit. A rejected hit is not counted: the caller raises and its
transaction rolls back.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from onecity import clock
from onecity.errors import RateLimited
from onecity.identity.models import RateLimitCounter


def _window_start(at: datetime, window: timedelta) -> datetime:
    seconds = int(window.total_seconds())
    epoch = int(at.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, UTC)


def _increment(session: Session, bucket: str, window_start: datetime) -> int:
    values = {"bucket": bucket, "window_start": window_start, "hits": 1}
    bump = {"hits": RateLimitCounter.hits + 1}
    if session.get_bind().dialect.name == "postgresql":
        pg = pg_insert(RateLimitCounter).values(**values)
        stmt = pg.on_conflict_do_update(index_elements=["bucket", "window_start"], set_=bump)
        return int(session.execute(stmt.returning(RateLimitCounter.hits)).scalar_one())
    lite = sqlite_insert(RateLimitCounter).values(**values)
    upsert = lite.on_conflict_do_update(index_elements=["bucket", "window_start"], set_=bump)
    return int(session.execute(upsert.returning(RateLimitCounter.hits)).scalar_one())


def sliding_count(previous: int, current: int, elapsed_fraction: float) -> float:
    """Estimated hits in the last window: the previous window's hits weighted by the part of it
    still inside the sliding window, plus the current window's."""
    return previous * (1.0 - elapsed_fraction) + current


def count(session: Session, bucket: str, *, window: timedelta) -> float:
    """The bucket's hits in the sliding window ending now (estimated, see the module docstring)."""
    now = clock.now()
    start = _window_start(now, window)
    rows = session.execute(select(RateLimitCounter.window_start, RateLimitCounter.hits).where(
        RateLimitCounter.bucket == bucket, RateLimitCounter.window_start >= start - window)).all()
    current = sum(h for ws, h in rows if ws == start)
    previous = sum(h for ws, h in rows if ws == start - window)
    return sliding_count(previous, current, (now - start) / window)


def add(session: Session, bucket: str, *, window: timedelta) -> int:
    """Count one hit without checking a limit (failures that lead to a lockout); returns the window's hits."""
    return _increment(session, bucket, _window_start(clock.now(), window))


def clear(session: Session, bucket: str) -> None:
    """Forget the bucket's hits (a successful sign-in clears its failures)."""
    session.execute(delete(RateLimitCounter).where(RateLimitCounter.bucket == bucket))


def hit(session: Session, bucket: str, *, limit: int, window: timedelta) -> int:
    """Count one hit on `bucket`; raise `RateLimited` (with `retry_after` seconds) past `limit`."""
    now = clock.now()
    start = _window_start(now, window)
    previous_start = start - window
    current = _increment(session, bucket, start)
    previous = session.scalar(select(RateLimitCounter.hits).where(
        RateLimitCounter.bucket == bucket, RateLimitCounter.window_start == previous_start)) or 0
    elapsed = (now - start) / window
    if sliding_count(previous, current, elapsed) > limit:
        retry = max(1, int((start + window - now).total_seconds()) + 1)
        raise RateLimited(retry_after=retry)
    if current == 1:  # first hit of a window: forget windows that no longer count
        session.execute(delete(RateLimitCounter).where(
            RateLimitCounter.bucket == bucket, RateLimitCounter.window_start < previous_start))
    return current
