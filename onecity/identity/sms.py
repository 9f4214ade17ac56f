"""Sending text messages (短信). The platform talks to an `SmsSender`; which one is chosen by
`settings.sms_backend`:

- `log`       the demo's sender: writes the message, code included, to the server log (logger
              `onecity.sms`), because the demo has no SMS gateway;
- `simulated` a stand-in that behaves like a real SMS gateway: a random delay, occasional failures
              (raised, so the outbox retries) and occasional duplicate delivery, from a seeded random
              generator; what it delivers lands in an in-memory inbox that tests read.

Messages are sent only after commit, by the outbox subscriber in `identity/subscribers.py`.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from onecity import clock
from onecity.config import get_settings
from onecity.identity.resident_id import mask_mobile

log = logging.getLogger("onecity.sms")


class SmsDeliveryError(RuntimeError):
    """The gateway refused or failed to take the message; the caller retries later."""


class SmsSender(Protocol):
    def send(self, mobile: str, text: str, *, message_id: str) -> None:
        """Hand one message to the carrier. `message_id` is stable across retries of the same message."""


class LogSmsSender:
    """Demo sender: no SMS leaves the machine; the message is written to the server log instead."""

    def send(self, mobile: str, text: str, *, message_id: str) -> None:
        # The number is masked (the log formatter would mask it anyway); the text is the point here.
        log.warning("DEMO SMS (not sent; no SMS gateway in the demo) to %s: %s", mask_mobile(mobile), text,
                    extra={"sms_message_id": message_id})


@dataclass(frozen=True)
class DeliveredSms:
    mobile: str
    text: str
    message_id: str
    delivered_at: datetime


@dataclass
class SimulatedSmsGateway:
    """A stand-in SMS gateway with a real one's manners. Thread-safe; `inbox(mobile)` reads messages."""

    seed: int = 0
    failure_rate: float = 0.1
    duplicate_rate: float = 0.05
    max_delay_seconds: float = 0.05
    _rng: random.Random = field(init=False, repr=False)
    _lock: threading.Lock = field(init=False, repr=False, default_factory=threading.Lock)
    _delivered: list[DeliveredSms] = field(init=False, repr=False, default_factory=list)
    attempts: int = field(init=False, default=0)
    failures: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def send(self, mobile: str, text: str, *, message_id: str) -> None:
        with self._lock:
            self.attempts += 1
            delay = self._rng.uniform(0, self.max_delay_seconds)
            fail = self._rng.random() < self.failure_rate
            duplicate = self._rng.random() < self.duplicate_rate
        time.sleep(delay)
        if fail:
            with self._lock:
                self.failures += 1
            raise SmsDeliveryError("simulated gateway: carrier temporarily unavailable")
        with self._lock:
            for _ in range(2 if duplicate else 1):
                self._delivered.append(DeliveredSms(mobile, text, message_id, clock.now()))

    def inbox(self, mobile: str) -> list[DeliveredSms]:
        with self._lock:
            return [m for m in self._delivered if m.mobile == mobile]

    def clear(self) -> None:
        with self._lock:
            self._delivered.clear()


_sender: SmsSender | None = None
_sender_lock = threading.Lock()


def make_sender(backend: str) -> SmsSender:
    if backend == "log":
        return LogSmsSender()
    if backend == "simulated":
        return SimulatedSmsGateway(seed=0)
    raise ValueError(f"unknown sms_backend {backend!r} (expected 'log' or 'simulated')")


def get_sender() -> SmsSender:
    """The process's sender, built from `settings.sms_backend` on first use."""
    global _sender
    with _sender_lock:
        if _sender is None:
            _sender = make_sender(get_settings().sms_backend)
        return _sender


def use_sender(sender: SmsSender | None) -> None:
    """Replace the process's sender (tests); `None` goes back to the configured one."""
    global _sender
    with _sender_lock:
        _sender = sender
