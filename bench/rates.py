"""Throughput timing for the one-core verification benchmarks, and their reference: raw Ed25519
verifications (key objects decoded once) over a message of the size the measured code signs."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any


def pin_one_core() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})


def rate(fn: Callable[[Any], object], items: list[Any], seconds: float,
         before_pass: Callable[[], object] | None = None) -> float:
    """Calls of `fn` per second over whole passes of `items`, for at least `seconds`."""
    n, start = 0, time.perf_counter()
    deadline = start + seconds
    while True:
        if before_pass is not None:
            before_pass()
        for item in items:
            fn(item)
        n += len(items)
        now = time.perf_counter()
        if now >= deadline:
            return n / (now - start)


def ed25519_reference(message_len: int, *, keys: int, per_key: int) -> Callable[[float], float]:
    """A timer of raw Ed25519 verifications: `keys` keys, `per_key` signatures each over one random
    message of `message_len` bytes; call it with the seconds to run, it returns verifications per second."""
    from cryptography.hazmat.primitives.asymmetric import ed25519

    private = [ed25519.Ed25519PrivateKey.generate() for _ in range(keys)]
    message = os.urandom(message_len)
    pool = [(k.public_key(), k.sign(message)) for k in private for _ in range(per_key)]

    def verify(pair: tuple[ed25519.Ed25519PublicKey, bytes]) -> None:
        pair[0].verify(pair[1], message)

    return lambda seconds: rate(verify, pool, seconds)
