"""One exponential backoff for every loop that waits before it tries again.

The consumer, the outbox relay and the dunning senders each retry after a
failure; they differ only in where the delay starts and where it stops.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass, field


@dataclass
class Backoff:
    """Delays of initial, 2×initial, 4×initial … capped at `cap`; `reset()` after a success."""

    initial: float
    cap: float
    _next: float = field(init=False)

    def __post_init__(self) -> None:
        if self.initial <= 0 or self.cap < self.initial:
            raise ValueError("a backoff needs 0 < initial <= cap")
        self._next = self.initial

    def delay(self) -> float:
        """The delay to wait now; the next one doubles, up to the cap."""
        current = self._next
        self._next = min(current * 2, self.cap)
        return current

    def reset(self) -> None:
        self._next = self.initial

    def for_attempt(self, attempt: int) -> float:
        """The delay after the `attempt`-th failure (1-based), without changing the running state."""
        if attempt < 1:
            raise ValueError("attempts count from 1")
        return min(math.ldexp(self.initial, min(attempt - 1, 62)), self.cap)

    async def wait(self) -> float:
        """Sleep for `delay()`; returns how long it slept."""
        seconds = self.delay()
        await asyncio.sleep(seconds)
        return seconds
