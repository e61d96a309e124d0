"""The bus keeps its promises on a real broker and a real database.

Effects happen exactly once although delivery is at-least-once: duplicates,
failing handlers, a stopped broker and a killed consumer lose nothing and
apply nothing twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from datetime import UTC, datetime
from typing import Any, TypeVar

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from sqlalchemy import func, select, text

from arflow.clock import SystemClock
from arflow.db import Database
from arflow.devstack.broker import TansuBroker, free_port
from arflow.events.catalog import Event, InvoiceVoided
from arflow.events.envelope import Envelope, wrap
from arflow.messaging import outbox
from arflow.messaging.consumer import Delivery, EventContext
from arflow.messaging.kafka import dead_letter_topic, ensure_topics
from arflow.messaging.outbox import OutboxRelay
from arflow.metrics import ServiceMetrics
from arflow.money import Money
from arflow.persistence import dead_letter, inbox_message, outbox_message
from arflow.settings import ServiceSettings
from arflow.testing import eventually
from arflow.testing.counting import consumer, count, counter, counting_handler, create_tables
from arflow.testing.infrastructure import TestInfrastructure
from arflow.testing.proxy import TcpProxy


@pytest.fixture(scope="module")
async def db(infra: TestInfrastructure) -> AsyncIterator[Database]:
    database = Database(await infra.scratch_database("bus"))
    await create_tables(database)
    yield database
    await database.dispose()


def voided(customer_id: uuid.UUID | None = None) -> InvoiceVoided:
    return InvoiceVoided(
        customer_id=customer_id or uuid.uuid4(),
        invoice_id=uuid.uuid4(),
        invoice_number="INV-2026-000001",
        total=Money.of("300.00", "CNY"),
        reason="test",
        voided_at=datetime.now(UTC),
    )


async def publish(bootstrap: str, topic: str, envelopes: list[Envelope]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for envelope in envelopes:
            await producer.send_and_wait(
                topic, envelope.to_bytes(), key=envelope.subject.encode(), headers=envelope.kafka_headers()
            )
    finally:
        await producer.stop()


async def new_topic(bootstrap: str) -> str:
    topic = f"test.bus.{uuid.uuid4().hex[:8]}"
    await ensure_topics(bootstrap, [topic], partitions=3)
    return topic


@contextlib.asynccontextmanager
async def running(task_coro: Coroutine[Any, Any, None]) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(task_coro)
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def dead_letter_count(db: Database, group: str) -> int:
    async with db.engine.connect() as conn:
        return int(
            await conn.scalar(select(func.count()).select_from(dead_letter).where(dead_letter.c.consumer == group)) or 0
        )


async def inbox_count(db: Database, group: str) -> int:
    async with db.engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).where(inbox_message.c.consumer == group)) or 0)


async def test_the_same_event_delivered_twice_has_one_effect(infra: TestInfrastructure, db: Database) -> None:
    topic, group = await new_topic(infra.bootstrap), f"dup-{uuid.uuid4().hex[:6]}"
    envelope = wrap(voided(), occurred_at=datetime.now(UTC), traceparent=None)
    later = wrap(voided(), occurred_at=datetime.now(UTC), traceparent=None)
    consumer_ = consumer(db, infra.bootstrap, topic, group, counting_handler(group))
    async with running(consumer_.run()):
        await publish(infra.bootstrap, topic, [envelope, envelope, later])
        await eventually(lambda: _equals(inbox_count(db, group), 2), what="both distinct events in the inbox")
        duplicates = consumer_.metrics.events_consumed.labels("InvoiceVoided", "duplicate")
        await eventually(lambda: _true(duplicates._value.get() >= 1), what="the duplicate to be seen")
    assert await count(db, group) == 2


async def test_a_failing_event_is_retried_dead_lettered_and_replayable(infra: TestInfrastructure, db: Database) -> None:
    topic, group = await new_topic(infra.bootstrap), f"dlq-{uuid.uuid4().hex[:6]}"
    await ensure_topics(infra.bootstrap, [dead_letter_topic(group)])
    customer = uuid.uuid4()  # one key: the poison and the healthy events share a partition
    poison, *healthy = [wrap(voided(customer), occurred_at=datetime.now(UTC), traceparent=None) for _ in range(3)]
    refused = {customer}
    calls = {"n": 0}
    handler = counting_handler(group, fail_for=refused)

    async def counted(ctx, event):  # type: ignore[no-untyped-def]
        if ctx.envelope.id == poison.id:
            calls["n"] += 1
            return await handler(ctx, event)
        return await counting_handler(group)(ctx, event)

    consumer_ = consumer(db, infra.bootstrap, topic, group, counted, consumer_max_attempts=3)
    relay = OutboxRelay(service="bus-test", db=db, settings=consumer_.settings, metrics=ServiceMetrics("bus_test"))
    async with running(consumer_.run()), running(relay.run()):
        await publish(infra.bootstrap, topic, [poison, *healthy])
        await eventually(lambda: _equals(count(db, group), 2), what="the events after the poison to be applied")
        async with db.engine.connect() as conn:
            row = (await conn.execute(select(dead_letter).where(dead_letter.c.consumer == group))).one()
        assert calls["n"] == 3
        assert row.attempts == 3
        assert "refusing customer" in row.error
        assert row.event_id == poison.id

        headers = await _first_dead_letter_headers(infra.bootstrap, dead_letter_topic(group))
        assert "refusing customer" in headers["error"]
        assert headers["original_event_id"] == poison.id

        refused.clear()
        assert await consumer_.replay_dead_letter(row.id) == "applied"
    assert await count(db, group) == 3
    async with db.engine.connect() as conn:
        assert (await conn.scalar(select(dead_letter.c.replayed_at).where(dead_letter.c.id == row.id))) is not None


async def test_an_event_delivered_again_after_its_dead_letter_is_dead_lettered_once_and_the_stream_moves_on(
    infra: TestInfrastructure, db: Database
) -> None:
    # A dead-lettered event has no inbox row: the relay re-sending it (or a restart before the offset
    # commit) makes it fail and reach the dead-lettering a second time, which must not stop the partition.
    topic, group = await new_topic(infra.bootstrap), f"dlq2-{uuid.uuid4().hex[:6]}"
    customer = uuid.uuid4()  # one key: the poison, its redelivery and the healthy event share a partition
    poison, healthy = [wrap(voided(customer), occurred_at=datetime.now(UTC), traceparent=None) for _ in range(2)]
    refusing, counting = counting_handler(group, fail_for={customer}), counting_handler(group)

    async def refuse_the_poison(ctx: EventContext, event: Event) -> None:
        await (refusing if ctx.envelope.id == poison.id else counting)(ctx, event)

    consumer_ = consumer(db, infra.bootstrap, topic, group, refuse_the_poison, consumer_max_attempts=2)
    async with running(consumer_.run()):
        await publish(infra.bootstrap, topic, [poison, poison, healthy])
        await eventually(lambda: _equals(count(db, group), 1), what="the event after the twice-delivered poison")
    again = Delivery(topic=topic, partition=0, offset=0, key=poison.subject, value=poison.to_bytes())
    assert await consumer_.handle(again) == "dead_lettered"
    garbage = Delivery(topic=topic, partition=0, offset=7, key=None, value=b"not an envelope")
    assert [await consumer_.handle(garbage) for _ in range(2)] == ["dead_lettered", "dead_lettered"]

    async with db.engine.connect() as conn:
        letters = await conn.scalar(
            select(func.count()).where(dead_letter.c.consumer == group, dead_letter.c.event_id == poison.id)
        )
        unreadable = await conn.scalar(
            select(func.count()).where(dead_letter.c.consumer == group, dead_letter.c.event_id.is_(None))
        )
        dlq_messages = await conn.scalar(
            select(func.count()).where(outbox_message.c.event_id == f"{poison.id}:dlq:{group}")
        )
    assert (letters, dlq_messages, unreadable) == (1, 1, 1)
    assert await count(db, group) == 1


async def test_events_written_while_the_broker_is_down_are_delivered_once_it_returns(db: Database) -> None:
    # Clients reach the broker only through a proxy; cutting it is the outage. (Restarting
    # Tansu instead would also wipe its in-memory log, which no Kafka outage does.)
    proxy_port = free_port()
    broker = TansuBroker(free_port(), advertised_port=proxy_port)
    broker.start()
    proxy = TcpProxy(proxy_port, broker.port)
    await proxy.start()
    group = f"outage-{uuid.uuid4().hex[:6]}"
    service = f"outage-{uuid.uuid4().hex[:6]}"
    settings = ServiceSettings(kafka_bootstrap=broker.bootstrap, relay_poll_seconds=0.1, consumer_backoff_seconds=0.05)
    metrics = ServiceMetrics(service.replace("-", "_"))

    def gauge(name: str) -> float:
        return metrics.registry.get_sample_value(f"{metrics.prefix}_{name}") or 0.0

    relay = OutboxRelay(service=service, db=db, settings=settings, metrics=metrics)
    topic = "arflow.invoicing"  # InvoiceVoided is published on its publisher's topic
    consumer_ = consumer(db, broker.bootstrap, topic, group, counting_handler(group))
    try:
        async with running(relay.run()), running(consumer_.run()):
            await eventually(lambda: _true(relay.connected), what="the relay to connect")
            await _write_outbox(db, 5)
            await eventually(lambda: _equals(count(db, group), 5), what="events before the outage")

            await proxy.cut()
            await _write_outbox(db, 20)  # committed while nothing can be published
            await eventually(lambda: _true(not relay.connected), within=30, what="the relay to notice the outage")
            assert await _unsent(db) == 20
            await asyncio.sleep(1)
            # What an operator alerts on is current during the outage, not frozen at its start.
            await eventually(lambda: _true(gauge("outbox_pending_messages") == 20), within=30, what="the backlog gauge")
            assert gauge("outbox_oldest_pending_seconds") >= 1.0
            await proxy.restore()

            await eventually(lambda: _equals(count(db, group), 25), within=60, what="all events after the outage")
            await eventually(lambda: _equals(_unsent(db), 0), what="the outbox to drain")
            await eventually(
                lambda: _true(gauge("outbox_pending_messages") == 0 == gauge("outbox_oldest_pending_seconds")),
                what="the backlog gauges to fall back to 0",
            )
    finally:
        await proxy.cut()
        broker.stop()
    assert await count(db, group) == 25


async def test_events_a_restarted_broker_forgot_are_published_again_and_applied_once(infra: TestInfrastructure) -> None:
    """Tansu keeps its log in memory: a restart forgets events it acknowledged, consumed or not.

    A database of its own: the outbox and watermarks of the module's other relays (other brokers) stay out.
    """
    db = Database(await infra.scratch_database(f"forgot_{uuid.uuid4().hex[:6]}"))
    await create_tables(db)
    port = free_port()
    broker = TansuBroker(port)
    broker.start()
    group = f"forgot-{uuid.uuid4().hex[:6]}"
    service = f"forgot-{uuid.uuid4().hex[:6]}"
    settings = ServiceSettings(
        kafka_bootstrap=broker.bootstrap,
        relay_poll_seconds=0.1,
        consumer_backoff_seconds=0.05,
        relay_broker_check_seconds=0.5,
    )
    metrics = ServiceMetrics(service)
    relay = OutboxRelay(service=service, db=db, settings=settings, metrics=metrics)
    topic = "arflow.invoicing"  # InvoiceVoided is published on its publisher's topic

    def republished() -> float:
        return metrics.registry.get_sample_value(f"{metrics.prefix}_events_republished_total") or 0.0

    try:
        async with running(relay.run()):
            await eventually(lambda: _true(relay.connected), what="the relay to connect")
            async with running(consumer(db, broker.bootstrap, topic, group, counting_handler(group)).run()):
                await _write_outbox(db, 10)
                await eventually(lambda: _equals(count(db, group), 10), within=60, what="the first events applied")
            await _write_outbox(db, 5)  # acknowledged by the broker, consumed by nobody yet
            await eventually(lambda: _equals(_unsent(db), 0), what="the outbox to drain")
            assert await relay.check_broker() == 0  # a broker that holds everything is left alone

            broker.stop()
            broker = TansuBroker(port)
            broker.start()
            await eventually(lambda: _true(republished() == 15), within=30, what="the relay to publish again")

            async with running(consumer(db, broker.bootstrap, topic, group, counting_handler(group)).run()):
                await eventually(lambda: _equals(count(db, group), 15), within=60, what="the forgotten events")
                await _write_outbox(db, 1)
                await eventually(lambda: _equals(count(db, group), 16), within=60, what="a new event after the restart")
            assert await relay.check_broker() == 0
        assert await count(db, group) == 16  # the 10 applied before were dropped by the inbox, not applied twice
        assert republished() == 15
    finally:
        broker.stop()
        await db.dispose()


async def test_a_consumer_killed_mid_stream_loses_nothing_and_repeats_nothing(
    infra: TestInfrastructure, db: Database
) -> None:
    topic, group = await new_topic(infra.bootstrap), f"kill-{uuid.uuid4().hex[:6]}"
    total = 300
    await publish(
        infra.bootstrap, topic, [wrap(voided(), occurred_at=datetime.now(UTC), traceparent=None) for _ in range(total)]
    )
    url = db.engine.url.render_as_string(hide_password=False)
    command = [sys.executable, "-m", "arflow.testing.counting", url, infra.bootstrap, topic, group]
    first = subprocess.Popen(command, env=os.environ.copy(), stdout=subprocess.DEVNULL)
    try:
        await eventually(
            lambda: _true_async(count(db, group), lambda n: n >= 40),
            within=60,
            what="the first consumer to be mid-stream",
        )
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        killed_at = await count(db, group)
        assert killed_at < total, "the consumer finished before it could be killed"
    finally:
        if first.poll() is None:
            first.kill()
    second = subprocess.Popen(command, env=os.environ.copy(), stdout=subprocess.DEVNULL)
    try:
        await eventually(lambda: _equals(inbox_count(db, group), total), within=90, what="every event applied")
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(10)
    assert await count(db, group) == total


# --- helpers -------------------------------------------------------------------


async def _write_outbox(db: Database, n: int) -> None:
    for _ in range(n):
        async with db.unit_of_work() as session:
            await outbox.add(session, voided(), clock=SystemClock())


async def _unsent(db: Database) -> int:
    async with db.engine.connect() as conn:
        return int(
            await conn.scalar(
                select(func.count()).select_from(outbox_message).where(outbox_message.c.sent_at.is_(None))
            )
            or 0
        )


async def _first_dead_letter_headers(bootstrap: str, topic: str) -> dict[str, str]:
    reader = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", group_id=f"reader-{uuid.uuid4().hex[:6]}"
    )
    await reader.start()
    try:
        async with asyncio.timeout(20):
            record = await reader.getone()
        return {k: v.decode() for k, v in record.headers}
    finally:
        await reader.stop()


T = TypeVar("T")


async def _equals(awaitable: Awaitable[object], expected: object) -> bool:
    return await awaitable == expected


async def _true(value: bool) -> bool:
    return value


async def _true_async(awaitable: Awaitable[T], predicate: Callable[[T], object]) -> bool:
    return bool(predicate(await awaitable))


async def test_consumer_lag_per_topic_rises_while_a_handler_is_slow_and_falls_to_0(
    infra: TestInfrastructure, db: Database
) -> None:
    topic, group = await new_topic(infra.bootstrap), f"lag-{uuid.uuid4().hex[:6]}"
    customer = uuid.uuid4()  # one key, one partition: the events wait their turn behind the slow one
    envelopes = [wrap(voided(customer), occurred_at=datetime.now(UTC), traceparent=None) for _ in range(12)]
    slow = consumer(
        db, infra.bootstrap, topic, group, counting_handler(group, delay=0.25), consumer_lag_observe_seconds=0.1
    )
    gauge = slow.metrics.consumer_lag.labels(topic)
    seen: list[float] = []
    async with running(slow.run()):
        await publish(infra.bootstrap, topic, envelopes)

        async def behind() -> bool:
            seen.append(gauge._value.get())
            return seen[-1] >= 5

        await eventually(behind, what="the lag to show the events waiting", interval=0.05)
        await eventually(lambda: _equals(count(db, group), 12), what="all 12 applied")
        await eventually(lambda: _true(gauge._value.get() == 0), what="the lag back to 0")
    assert max(seen) <= 12


async def test_a_batch_is_applied_in_few_transactions_and_a_failure_inside_it_changes_nothing_else(
    infra: TestInfrastructure, db: Database
) -> None:
    topic, group = await new_topic(infra.bootstrap), f"batch-{uuid.uuid4().hex[:6]}"
    await ensure_topics(infra.bootstrap, [dead_letter_topic(group)])
    customer = uuid.uuid4()  # one key, one partition: one ordered stream
    envelopes = [wrap(voided(customer), occurred_at=datetime.now(UTC), traceparent=None) for _ in range(20)]
    failing = envelopes[7].id
    applied: list[str] = []
    transactions: set[int] = set()
    count_one = counting_handler(group)

    async def handler(ctx, event):  # type: ignore[no-untyped-def]
        if ctx.envelope.id == failing:
            raise RuntimeError("this one never applies")
        transactions.add(int(await ctx.session.scalar(text("SELECT txid_current()"))))
        await count_one(ctx, event)
        applied.append(ctx.envelope.id)

    await publish(infra.bootstrap, topic, envelopes)  # all waiting before the consumer starts: one fetch
    consumer_ = consumer(db, infra.bootstrap, topic, group, handler, consumer_max_attempts=2)
    async with running(consumer_.run()):
        await eventually(lambda: _equals(count(db, group), 19), what="all but the failing one applied")
        await eventually(lambda: _equals(inbox_count(db, group), 19), what="their inbox rows")
    async with db.engine.connect() as conn:
        letter = (await conn.execute(select(dead_letter).where(dead_letter.c.consumer == group))).one()
    assert letter.event_id == failing and letter.attempts == 2
    # Rolled-back batches run their handlers again, so `applied` may repeat a prefix: the committed
    # effects are what count, once each and in order.
    expected = [e.id for e in envelopes if e.id != failing]
    committed = list(dict.fromkeys(applied))
    assert committed == expected
    assert await count(db, group) == 19
    # One transaction per event would be 19 or more.
    assert len(transactions) <= 6, len(transactions)


async def test_work_left_under_one_key_runs_once_per_batch_as_if_each_event_came_alone(
    infra: TestInfrastructure, db: Database
) -> None:
    """Two customers' events interleaved in one fetch, each leaving work under (customer, day): work left
    under one key by events of a customer in a row runs once, at the end of the transaction, after all
    of them; a customer's event under another key first runs the work left before it (so every piece of work
    sees what it would have seen had each event come alone); left work that fails is blamed on the event
    that left it, which alone is dead-lettered."""
    topic, group = await new_topic(infra.bootstrap), f"left-{uuid.uuid4().hex[:6]}"
    await ensure_topics(infra.bootstrap, [dead_letter_topic(group)])
    a, b = uuid.uuid4(), uuid.uuid4()
    partition_key = uuid.uuid4()  # one key for all: one partition, one ordered stream, one fetch
    keys: list[tuple[object, int]] = [(a, 1), (b, 1), (a, 1), (b, 2), (a, 1), ("bad", 1)]
    envelopes = [wrap(voided(partition_key), occurred_at=datetime.now(UTC), traceparent=None) for _ in keys]
    key_of = {env.id: key for env, key in zip(envelopes, keys, strict=True)}
    seen_by_work: list[tuple[object, int, int]] = []
    count_one = counting_handler(group)

    async def handler(ctx, event):  # type: ignore[no-untyped-def]
        owner, day = key_of[ctx.envelope.id]

        async def record() -> None:
            await count_one(ctx, event)

        async def work() -> None:
            if owner == "bad":
                raise RuntimeError("this work never succeeds")
            # The counter as this transaction sees it: how many events had been applied when the work ran.
            applied = await ctx.session.scalar(select(counter.c.n).where(counter.c.name == group))
            seen_by_work.append((owner, day, applied))

        await ctx.once((owner, day), owner, record, work)

    await publish(infra.bootstrap, topic, envelopes)
    consumer_ = consumer(db, infra.bootstrap, topic, group, handler, consumer_max_attempts=2)
    async with running(consumer_.run()):
        await eventually(lambda: _equals(inbox_count(db, group), 5), what="all but the failing one applied")
        await eventually(lambda: _equals(dead_letter_count(db, group), 1), what="the failing one dead-lettered")
    async with db.engine.connect() as conn:
        letter = (await conn.execute(select(dead_letter).where(dead_letter.c.consumer == group))).one()
    assert letter.event_id == envelopes[5].id  # the event whose work failed, not the batch's last handler
    assert await count(db, group) == 5
    # The committed batch of the five good events (a failed attempt of all six may come first, rolled back):
    # b's day-1 work when b's day-2 event came (3 applied), then a's and b's last work after all five.
    assert seen_by_work[-3:] == [(b, 1, 3), (a, 1, 5), (b, 2, 5)], seen_by_work
