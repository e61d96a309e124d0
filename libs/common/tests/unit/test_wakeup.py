"""A background loop's wait: woken by its event, timed out by its poll, and always stoppable."""

from __future__ import annotations

import asyncio
from typing import Any

from arflow.service import _stop_workers
from arflow.wakeup import woken_within


async def test_a_set_event_wakes_the_wait_and_an_unset_one_times_out() -> None:
    event = asyncio.Event()
    assert await woken_within(event, 0.05) is False
    event.set()
    assert await woken_within(event, 5) is True


async def _relay_like_loop(event: asyncio.Event, rounds: list[int]) -> None:
    while True:
        await woken_within(event, 10)
        event.clear()
        rounds.append(1)


async def test_a_cancel_arriving_in_the_same_turn_as_the_wakeup_stops_the_loop() -> None:
    # The shutdown that hung: a commit sets the event, then the worker is cancelled before it runs.
    # asyncio.wait_for on 3.11 returned the event's result and the loop went round for ever.
    event = asyncio.Event()
    rounds: list[int] = []
    task = asyncio.create_task(_relay_like_loop(event, rounds))
    await asyncio.sleep(0.01)
    event.set()
    task.cancel()
    done, _ = await asyncio.wait([task], timeout=2)
    assert task in done and task.cancelled()
    assert rounds == []


async def test_stopping_workers_gives_up_on_one_that_ignores_its_cancellation() -> None:
    release = asyncio.Event()

    async def stubborn() -> None:
        while not release.is_set():
            try:
                await asyncio.sleep(10)
            except asyncio.CancelledError:
                continue

    async def polite() -> None:
        await asyncio.sleep(10)

    tasks: list[asyncio.Task[Any]] = [asyncio.create_task(stubborn()), asyncio.create_task(polite())]
    await asyncio.sleep(0.01)
    loop = asyncio.get_running_loop()
    started = loop.time()
    await _stop_workers(tasks, grace_seconds=0.2)
    assert loop.time() - started < 2
    assert tasks[1].cancelled() and not tasks[0].done()
    release.set()
    tasks[0].cancel()
    await asyncio.wait([tasks[0]], timeout=2)
