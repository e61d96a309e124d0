"""Limits on the public pages: fixed one-minute windows per key (a link, a client address), in memory.

What is limited is guessing, not using: the misses of an address (a token that opens nothing: unknown,
expired, revoked; and every renewal asked on a dead page), and the requests for one link. Valid links
fetched from one address are not limited as such, so dunning fetching the PDFs of a billing run of a
thousand invoices from one address is never held, while an address trying tokens is stopped after a
minute's allowance of misses. Kept per process (each replica counts its own): a 128-bit token is not found
by trying; the limits keep scrapers and loops cheap.
"""

from __future__ import annotations

import time
from collections.abc import Callable

WINDOW_SECONDS = 60.0
MAX_KEYS = 100_000  # past this, the oldest windows are dropped (memory is bounded)


class RateLimiter:
    def __init__(self, per_minute: int, now: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self._now = now
        self._windows: dict[str, tuple[float, int]] = {}

    def _window(self, key: str) -> tuple[float, float, int]:
        now = self._now()
        started, count = self._windows.get(key, (now, 0))
        if now - started >= WINDOW_SECONDS:
            started, count = now, 0
        return now, started, count

    def _retry_after(self, now: float, started: float) -> int:
        return max(1, int(WINDOW_SECONDS - (now - started)) + 1)

    def allow(self, key: str) -> tuple[bool, int]:
        """Count one request under a key: (allowed, seconds until its window ends)."""
        now, started, count = self._window(key)
        count += 1
        self._windows[key] = (started, count)
        if len(self._windows) > MAX_KEYS:
            for stale in list(self._windows)[: MAX_KEYS // 10]:
                del self._windows[stale]
        return count <= self.per_minute, self._retry_after(now, started)

    def spent(self, key: str) -> tuple[bool, int]:
        """Whether a key has used this minute's allowance, without counting: (spent, seconds until it ends)."""
        now, started, count = self._window(key)
        return count >= self.per_minute, self._retry_after(now, started)
