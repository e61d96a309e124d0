"""A per-address limit on the public pages: a fixed one-minute window per client address, in memory.

Kept per process (each replica counts its own), which is enough to make guessing links by the
million pointless: a 256-bit token is not found by trying, the limit keeps scrapers and loops cheap.
"""

from __future__ import annotations

import time
from collections.abc import Callable

WINDOW_SECONDS = 60.0
MAX_ADDRESSES = 100_000  # past this, the oldest windows are dropped (memory is bounded)


class RateLimiter:
    def __init__(self, per_minute: int, now: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self._now = now
        self._windows: dict[str, tuple[float, int]] = {}

    def allow(self, address: str) -> tuple[bool, int]:
        """Count one request from an address: (allowed, seconds until its window ends)."""
        now = self._now()
        started, count = self._windows.get(address, (now, 0))
        if now - started >= WINDOW_SECONDS:
            started, count = now, 0
        count += 1
        self._windows[address] = (started, count)
        if len(self._windows) > MAX_ADDRESSES:
            for stale in list(self._windows)[: MAX_ADDRESSES // 10]:
                del self._windows[stale]
        retry_after = max(1, int(WINDOW_SECONDS - (now - started)) + 1)
        return count <= self.per_minute, retry_after
