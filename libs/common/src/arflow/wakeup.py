"""Waiting for a wake-up or a poll interval, whichever comes first, in a loop that can be cancelled.

Every background loop (the outbox relay, the dunning senders, the statement
import worker) sleeps on an `asyncio.Event` set by commits, with a poll
interval as a fallback. On Python 3.11 `asyncio.wait_for` loses a cancellation
that arrives in the same loop turn as the event (it returns the event's result
instead, CPython gh-86296): the loop goes round again and a shutdown that
awaits it waits forever, which is how a test session hung at teardown after
its last test. `asyncio.timeout` counts cancellations and never swallows one
it did not cause.
"""

from __future__ import annotations

import asyncio
import contextlib


async def woken_within(event: asyncio.Event, seconds: float) -> bool:
    """Wait until `event` is set or `seconds` pass; True when it was set. A cancellation always propagates."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await event.wait()
            return True
    return False
