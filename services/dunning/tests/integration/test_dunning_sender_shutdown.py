"""The sender stops when its service does, even mid-send (aiosmtplib's wait_for may swallow the cancellation on
Python 3.11, CPython gh-86296): on a database of its own."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import datetime
from types import SimpleNamespace
from typing import Any, cast
from uuid import UUID, uuid4

import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.clock import FixedClock
from arflow.db import Database
from arflow.migrations import upgrade
from arflow.testing.infrastructure import TestInfrastructure as Infrastructure  # not Test*: pytest would collect it
from arflow.testing.infrastructure import spec
from dunning.actions.delivery import EMAIL, deliver_forever
from dunning.config import DunningSettings
from dunning.models import DunningAction

from .test_dunning_sender import T0, action, queue_notice, sender_settings


@pytest.fixture
async def shutdown_db(infra: Infrastructure) -> AsyncIterator[Database]:
    url = await infra.scratch_database(f"dunning_shutdown_{uuid4().hex[:8]}")
    await asyncio.to_thread(upgrade, spec("dunning").directory, url)
    db = Database(url, pool_size=2)
    try:
        yield db
    finally:
        await db.dispose()


def app_of(db: Database, settings: DunningSettings, clock: FixedClock) -> FastAPI:
    return cast(FastAPI, SimpleNamespace(state=SimpleNamespace(db=db, settings=settings, clock=clock)))


@pytest.fixture
async def silent_smtp() -> AsyncIterator[tuple[int, asyncio.Event]]:
    """An SMTP server that takes the connection and never says a word (not even its greeting)."""
    connected = asyncio.Event()
    held: list[asyncio.StreamWriter] = []

    async def accept(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)
        connected.set()

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1], connected
    finally:
        for writer in held:
            writer.close()
        server.close()
        await server.wait_closed()


async def test_a_sender_cancelled_while_the_smtp_server_never_answers_stops_at_once(
    shutdown_db: Database, silent_smtp: tuple[int, asyncio.Event]
) -> None:
    port, connected = silent_smtp
    clock = FixedClock(T0)
    action_id = await queue_notice(shutdown_db, clock, f"silent-{uuid4().hex[:8]}@example.cn")
    settings = sender_settings(port).model_copy(update={"smtp_timeout": 60.0})
    sender = asyncio.create_task(deliver_forever(app_of(shutdown_db, settings, clock), replace(EMAIL, metric=None)))
    await asyncio.wait_for(connected.wait(), 10)

    started = time.monotonic()
    sender.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(sender, 5)  # a TimeoutError here: the sender went on waiting for the server
    assert time.monotonic() - started < 5
    left = await action(shutdown_db, action_id)
    assert (left.status, left.attempts) == ("pending", 0)  # not sent, no attempt counted: the next start sends it


async def test_a_cancellation_swallowed_by_the_smtp_call_stops_the_sender_after_recording_the_send(
    shutdown_db: Database,
) -> None:
    """The swallow of gh-86296 as it happens: the cancellation lands and is consumed inside the send, which
    returns normally; the task is still being cancelled. The sender records that send and takes no other."""
    clock = FixedClock(T0)
    first = await queue_notice(shutdown_db, clock, f"first-{uuid4().hex[:8]}@example.cn")
    second = await queue_notice(shutdown_db, clock, f"second-{uuid4().hex[:8]}@example.cn")
    handed_over: list[UUID] = []

    async def swallowing(_session: AsyncSession, item: DunningAction, _settings: Any, _now: datetime) -> str:
        handed_over.append(item.id)
        task = asyncio.current_task()
        assert task is not None
        task.cancel()  # the service stops while the server's reply is being read...
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.sleep(0)  # ...and wait_for returns the reply instead of raising, as on Python 3.11
        return "逾期付款提醒"

    settings = sender_settings(0)
    channel = replace(EMAIL, deliver=swallowing, metric=None)
    sender = asyncio.create_task(deliver_forever(app_of(shutdown_db, settings, clock), channel))
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(sender, 10)  # without the check: it sends the second, then polls on forever
    assert len(handed_over) == 1
    (sent_id,) = handed_over
    waiting_id = second if sent_id == first else first
    assert (await action(shutdown_db, sent_id)).status == "sent"  # committed before the sender stopped
    assert (await action(shutdown_db, waiting_id)).status == "pending"
