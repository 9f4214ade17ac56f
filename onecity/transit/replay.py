"""The gate's offline replay window (防重放): a ride code accepted once is refused again while it could
still pass the freshness check, in bounded memory.

Each accepted code is remembered by its tap id until the moment it would be refused as expired anyway
(its ts + MAX_AGE_S). Memory is bounded by `capacity`: when full, the entry that expires first is
dropped and the window's `floor` rises to its expiry, and every code expiring at or before the floor
is refused as a possible replay. A legitimate code is fresh, so it expires later than anything the
window had to drop, unless the gate accepts more than `capacity` codes within one MAX_AGE_S (the
default, 100,000, is ~1,000 taps a second).
"""

from __future__ import annotations

import heapq


class ReplayWindow:
    def __init__(self, capacity: int = 100_000) -> None:
        if capacity < 1:
            raise ValueError("capacity must be positive")
        self.capacity = capacity
        self.floor = 0
        self._expiry: dict[str, int] = {}
        self._heap: list[tuple[int, str]] = []

    def __len__(self) -> int:
        return len(self._expiry)

    def seen(self, tap_id: str, expires_at: int) -> bool:
        """True when this code was accepted before (or cannot be proven not to have been)."""
        return tap_id in self._expiry or expires_at <= self.floor

    def remember(self, tap_id: str, expires_at: int, *, now: int) -> None:
        self._evict(now)
        if tap_id in self._expiry:
            return
        self._expiry[tap_id] = expires_at
        heapq.heappush(self._heap, (expires_at, tap_id))
        while len(self._expiry) > self.capacity:
            exp, old = heapq.heappop(self._heap)
            del self._expiry[old]
            self.floor = max(self.floor, exp)

    def _evict(self, now: int) -> None:
        while self._heap and self._heap[0][0] < now:
            _, old = heapq.heappop(self._heap)
            self._expiry.pop(old, None)
