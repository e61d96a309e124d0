"""The relay publishes on commit, also when another replica holds it, and never waits on that replica for ever.

Each test has a database of its own (its relay's lock and outbox stay out of the other tests) and a poll
interval far longer than the test may take: what publishes is the commit's wake-up, never the poll.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from arflow.clock import SystemClock
from arflow.db import Database
from arflow.events.catalog import InvoiceVoided
from arflow.messaging import outbox
from arflow.messaging.outbox import OutboxRelay, _lock_key
from arflow.metrics import ServiceMetrics
from arflow.money import Money
from arflow.persistence import outbox_message
from arflow.settings import ServiceSettings
from arflow.testing import eventually
from arflow.testing.counting import create_tables
from arflow.testing.infrastructure import TestInfrastructure

POLL_SECONDS = 60.0


@contextlib.asynccontextmanager
async def relay_of_its_own(infra: TestInfrastructure) -> AsyncIterator[tuple[Database, OutboxRelay, str]]:
    """A database, and a relay running on it woken by its commits as a service wires it."""
    label = uuid.uuid4().hex[:6]
    db = Database(await infra.scratch_database(f"relay_{label}"))
    await create_tables(db)
    service = f"relay-{label}"
    settings = ServiceSettings(kafka_bootstrap=infra.bootstrap, relay_poll_seconds=POLL_SECONDS)
    relay = OutboxRelay(service=service, db=db, settings=settings, metrics=ServiceMetrics(f"relay_{label}"))
    db.on_commit(relay.wake)
    task = asyncio.create_task(relay.run())
    try:
        await eventually(lambda: _true(relay.connected), within=30, what="the relay to connect")
        yield db, relay, service
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await relay.stop()
        await db.dispose()


async def commit_an_event(db: Database) -> None:
    event = InvoiceVoided(
        customer_id=uuid.uuid4(),
        invoice_id=uuid.uuid4(),
        invoice_number="INV-2026-000001",
        total=Money.of("300.00", "CNY"),
        reason="test",
        voided_at=datetime.now(UTC),
    )
    async with db.unit_of_work() as session:
        await outbox.add(session, event, clock=SystemClock())


async def unsent(db: Database) -> int:
    async with db.engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).where(outbox_message.c.sent_at.is_(None))) or 0)


async def _true(value: bool) -> bool:
    return value


async def _none_unsent(db: Database) -> bool:
    return await unsent(db) == 0


async def test_a_commit_is_published_at_once_without_waiting_for_the_poll(infra: TestInfrastructure) -> None:
    async with relay_of_its_own(infra) as (db, _, _):
        started = time.monotonic()
        await commit_an_event(db)
        await eventually(lambda: _none_unsent(db), within=10, interval=0.02, what="the event to be published")
        assert time.monotonic() - started < POLL_SECONDS / 6


async def test_a_commit_while_another_replica_holds_the_relay_is_published_as_soon_as_it_lets_go(
    infra: TestInfrastructure,
) -> None:
    # The other replica is a transaction holding the relay's lock, as one does in the middle of its batch: it
    # may have read the outbox before this commit, so it would leave the event to the next poll.
    async with relay_of_its_own(infra) as (db, _, service):
        async with db.engine.connect() as other_replica:
            await other_replica.execute(select(func.pg_advisory_xact_lock(_lock_key(service))))
            await commit_an_event(db)
            await asyncio.sleep(0.5)
            assert await unsent(db) == 1  # one replica publishes at a time
            await other_replica.commit()
            released = time.monotonic()
        await eventually(lambda: _none_unsent(db), within=10, interval=0.02, what="the event to be published")
        assert time.monotonic() - released < POLL_SECONDS / 6


async def test_a_relay_waits_for_a_stuck_replica_only_so_long_and_keeps_its_gauges_current(
    infra: TestInfrastructure, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A replica that never lets go must not stop this relay's turns (its gauges, its broker check) for ever.
    monkeypatch.setattr(outbox, "LOCK_WAIT_SECONDS", 0.3)
    async with relay_of_its_own(infra) as (db, relay, service):

        async def pending_gauge() -> bool:
            metrics = relay.metrics
            return metrics.registry.get_sample_value(f"{metrics.prefix}_outbox_pending_messages") == 1.0

        async with db.engine.connect() as stuck:
            await stuck.execute(select(func.pg_advisory_xact_lock(_lock_key(service))))
            await commit_an_event(db)
            await eventually(pending_gauge, within=10, what="the backlog gauge to count the waiting event")
            assert await unsent(db) == 1
            await stuck.commit()
        await eventually(lambda: _none_unsent(db), within=10, interval=0.02, what="the event to be published")
