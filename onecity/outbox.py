"""The transactional outbox.

`emit(session, topic, payload)` writes an event in the caller's transaction, so an event exists iff
the change that caused it committed. `onecity worker` fans each event out to the in-process
subscribers registered for its topic (one delivery row per subscriber) and runs each delivery in its
own transaction together with the subscriber's own changes: a subscriber that fails is retried with
exponential backoff, without re-running the subscribers that already succeeded, and is marked `dead`
after `MAX_ATTEMPTS`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from onecity import clock
from onecity.db import Base, UTCDateTime, is_postgres, transaction
from onecity.ids import new_id

log = logging.getLogger("onecity.outbox")

MAX_ATTEMPTS = 10
BASE_BACKOFF = timedelta(seconds=2)
MAX_BACKOFF = timedelta(minutes=30)


class OutboxEvent(Base):
    __tablename__ = "outbox_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[str] = mapped_column(String(40), unique=True)
    topic: Mapped[str] = mapped_column(String(100), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    fanned_out: Mapped[bool] = mapped_column(default=False)


class OutboxDelivery(Base):
    __tablename__ = "outbox_delivery"
    __table_args__ = (
        UniqueConstraint("event_id", "subscriber"),
        Index("ix_outbox_delivery_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("outbox_event.id"))
    subscriber: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(10), default="pending")  # pending | done | dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


@dataclass(frozen=True)
class Event:
    event_id: str
    topic: str
    payload: dict[str, Any]
    created_at: datetime


Handler = Callable[[Session, Event], None]


@dataclass(frozen=True)
class Subscriber:
    name: str
    topics: tuple[str, ...]
    handler: Handler


_SUBSCRIBERS: dict[str, Subscriber] = {}


def subscriber(*topics: str, name: str) -> Callable[[Handler], Handler]:
    """Register `handler(session, event)` for topics (exact, or a prefix ending in `.*`)."""

    def register(fn: Handler) -> Handler:
        _SUBSCRIBERS[name] = Subscriber(name, tuple(topics), fn)
        return fn

    return register


def subscribers_for(topic: str) -> list[Subscriber]:
    def matches(pattern: str) -> bool:
        return pattern == topic or (pattern.endswith(".*") and topic.startswith(pattern[:-1]))

    return [s for s in _SUBSCRIBERS.values() if any(matches(p) for p in s.topics)]


def emit(session: Session, topic: str, payload: dict[str, Any]) -> str:
    """Write an event in the caller's transaction; returns its id (`evt_…`)."""
    event_id = new_id("evt")
    session.add(OutboxEvent(event_id=event_id, topic=topic, payload=payload, created_at=clock.now()))
    return event_id


def backoff(attempts: int) -> timedelta:
    """2 s, 4 s, 8 s … doubling per failed attempt, capped at 30 minutes."""
    return min(BASE_BACKOFF * (2 ** min(max(attempts - 1, 0), 20)), MAX_BACKOFF)


def fan_out(session: Session, limit: int = 500) -> int:
    q = select(OutboxEvent).where(OutboxEvent.fanned_out.is_(False)).order_by(OutboxEvent.id).limit(limit)
    if is_postgres(session):
        q = q.with_for_update(skip_locked=True)
    events = list(session.scalars(q))
    now = clock.now()
    for ev in events:
        for sub in subscribers_for(ev.topic):
            session.add(OutboxDelivery(event_id=ev.id, subscriber=sub.name, next_attempt_at=now))
        ev.fanned_out = True
    return len(events)


def _deliver_one(delivery_id: int) -> str:
    with transaction() as session:
        q = select(OutboxDelivery).where(OutboxDelivery.id == delivery_id, OutboxDelivery.status == "pending")
        if is_postgres(session):
            q = q.with_for_update(skip_locked=True)
        d = session.scalars(q).one_or_none()
        if d is None:
            return "skipped"
        ev = session.get(OutboxEvent, d.event_id)
        assert ev is not None
        sub = _SUBSCRIBERS.get(d.subscriber)
        event = Event(ev.event_id, ev.topic, dict(ev.payload), ev.created_at)
        try:
            if sub is None:
                raise LookupError(f"no subscriber named {d.subscriber}")
            with session.begin_nested():
                sub.handler(session, event)
        except Exception as exc:  # noqa: BLE001 - any subscriber failure is retried
            d.attempts += 1
            d.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            if d.attempts >= MAX_ATTEMPTS:
                d.status = "dead"
                log.error("outbox delivery dead", extra={"subscriber": d.subscriber, "event": ev.event_id})
            else:
                d.next_attempt_at = clock.now() + backoff(d.attempts)
                log.warning("outbox delivery failed", extra={"subscriber": d.subscriber, "event": ev.event_id,
                                                             "attempts": d.attempts, "error": d.last_error})
            return "failed"
        d.attempts += 1
        d.status = "done"
        d.delivered_at = clock.now()
        return "done"


def run_once(batch: int = 100) -> dict[str, int]:
    """One pass of the worker: fan out new events, then deliver what is due."""
    with transaction() as session:
        fanned = fan_out(session)
    with transaction() as session:
        due = list(session.scalars(
            select(OutboxDelivery.id)
            .where(OutboxDelivery.status == "pending", OutboxDelivery.next_attempt_at <= clock.now())
            .order_by(OutboxDelivery.next_attempt_at, OutboxDelivery.id)
            .limit(batch)
        ))
    counts = {"fanned_out": fanned, "done": 0, "failed": 0, "skipped": 0}
    for did in due:
        counts[_deliver_one(did)] += 1
    return counts


def run_forever(poll_seconds: float = 1.0, stop: Callable[[], bool] = lambda: False) -> None:
    """The worker loop: deliver events; between passes, run the periodic jobs that are due."""
    from onecity import jobs

    while not stop():
        counts = run_once()
        jobs.run_due()
        if counts["fanned_out"] == 0 and counts["done"] + counts["failed"] == 0:
            time.sleep(poll_seconds)
