"""Engine, sessions and the one transaction helper. `Base` is the declarative base of every table.

Services never commit: the request (through `get_db`), the CLI command or the worker job owns the
transaction, so a business record, its ledger transfers and its outbox events commit together.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from onecity.config import get_settings

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both PostgreSQL and SQLite (which stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        from datetime import UTC

        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        from onecity.clock import aware

        return aware(value)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


_engine: Engine | None = None
_factory: sessionmaker[Session] | None = None


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            # Let SQLAlchemy emit BEGIN itself so SAVEPOINTs and locking behave (pysqlite quirk).
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    s = get_settings()
    return create_engine(url, pool_pre_ping=True, pool_size=s.db_pool_size, max_overflow=s.db_max_overflow)


def engine() -> Engine:
    global _engine, _factory
    if _engine is None:
        _engine = make_engine(get_settings().database_url)
        _factory = sessionmaker(bind=_engine, expire_on_commit=False)
    return _engine


def configure(url: str) -> Engine:
    """Point the process at another database (tests, CLI `--database`)."""
    global _engine, _factory
    if _engine is not None:
        _engine.dispose()
    _engine = make_engine(url)
    _factory = sessionmaker(bind=_engine, expire_on_commit=False)
    return _engine


def session_factory() -> sessionmaker[Session]:
    engine()
    assert _factory is not None
    return _factory


@contextmanager
def transaction() -> Iterator[Session]:
    """The one transaction helper: commit on success, roll back on any exception."""
    session = session_factory()()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


_finishers: Any = None


def _finisher() -> Any:
    """The threads that commit, roll back and close request sessions: a pool of their own.

    Never FastAPI's default thread pool: when its 40 threads are all endpoints waiting for a row lock
    (200 payments from one wallet), the transaction holding that lock could not get a thread to
    commit in, and every request would wait for ever.
    """
    global _finishers
    if _finishers is None:
        import anyio

        _finishers = anyio.CapacityLimiter(64)
    return _finishers


async def get_db() -> AsyncIterator[Session]:
    """FastAPI dependency: one session per request, committed when the endpoint returns.

    Use it as `Depends(get_db, scope="function")` (see `DbSession`), so the commit happens before
    the response is sent and a failed commit becomes an error response, never a false success. The
    commit runs on threads of its own (`_finisher`), so it never queues behind the endpoints that
    wait for the locks it is about to release.
    """
    from anyio.to_thread import run_sync

    session = session_factory()()

    def commit() -> None:
        try:
            session.commit()
        finally:
            session.close()

    try:
        yield session
    except BaseException:
        await run_sync(session.close, limiter=_finisher())  # closing rolls back
        raise
    await run_sync(commit, limiter=_finisher())
