"""Racing calls in threads, for the concurrency tests on PostgreSQL (each call opens its own
transaction, as a request would)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from onecity.errors import DomainError


def run_all(calls: list[Callable[[], Any]], *, workers: int) -> list[Any]:
    """Start every call at once (as far as `workers` threads allow); each returns its result or the
    DomainError it raised, in the order of `calls`. Keep `workers` below the engine's pool."""
    barrier = threading.Barrier(min(len(calls), workers))

    def one(fn: Callable[[], Any]) -> Any:
        try:
            barrier.wait(timeout=10)
        except threading.BrokenBarrierError:
            pass
        try:
            return fn()
        except DomainError as exc:
            return exc

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(one, calls))
