"""Periodic jobs run by `onecity worker` (pruning expired codes and nonces, expiring invitations …).

A module registers a job in its `jobs.py`:

    @periodic("identity.prune_expired", every=timedelta(minutes=10))
    def prune(session: Session) -> str: ...

Each run happens in its own transaction. Several workers may run at once: a run is claimed with a
conditional UPDATE on the job's row (`last_started_at` older than `every`), so each due run happens
once across all workers. A failing job is logged and tried again at its next period; jobs must be
idempotent.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import String, Text, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from onecity import clock
from onecity.db import Base, UTCDateTime, transaction

log = logging.getLogger("onecity.jobs")

Job = Callable[[Session], object]


class PeriodicJobRun(Base):
    __tablename__ = "periodic_job_run"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    last_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_result: Mapped[str | None] = mapped_column(Text)
    last_error: Mapped[str | None] = mapped_column(Text)


@dataclass(frozen=True)
class Periodic:
    name: str
    every: timedelta
    fn: Job


_JOBS: dict[str, Periodic] = {}


def periodic(name: str, *, every: timedelta) -> Callable[[Job], Job]:
    def register(fn: Job) -> Job:
        _JOBS[name] = Periodic(name, every, fn)
        return fn

    return register


def registered() -> list[Periodic]:
    return sorted(_JOBS.values(), key=lambda j: j.name)


def _claim(job: Periodic, now: datetime) -> bool:
    try:
        with transaction() as s:
            if s.get(PeriodicJobRun, job.name) is None:
                s.add(PeriodicJobRun(name=job.name))
    except IntegrityError:
        pass  # another worker created the row first
    with transaction() as s:
        result = s.execute(
            update(PeriodicJobRun)
            .where(PeriodicJobRun.name == job.name,
                   or_(PeriodicJobRun.last_started_at.is_(None),
                       PeriodicJobRun.last_started_at <= now - job.every))
            .values(last_started_at=now)
        )
        return int(getattr(result, "rowcount", 0) or 0) == 1


def run_due(now: datetime | None = None) -> dict[str, str]:
    """Run every job whose period has passed; returns {name: result or error} for those run."""
    now = now or clock.now()
    ran: dict[str, str] = {}
    for job in registered():
        if not _claim(job, now):
            continue
        error: str | None = None
        try:
            with transaction() as s:
                result = str(job.fn(s))
        except Exception as exc:  # noqa: BLE001 - logged and retried next period
            log.exception("periodic job failed", extra={"job": job.name})
            result, error = "", f"{type(exc).__name__}: {exc}"[:2000]
        with transaction() as s:
            row = s.get(PeriodicJobRun, job.name)
            assert row is not None
            row.last_finished_at = clock.now()
            row.last_result = result[:2000] or None
            row.last_error = error
        ran[job.name] = error or result
    return ran


def status(session: Session) -> list[PeriodicJobRun]:
    return list(session.scalars(select(PeriodicJobRun).order_by(PeriodicJobRun.name)))
