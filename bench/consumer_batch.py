"""Bench: the idempotent consumer applying N events, one transaction per event against one per batch.

    .venv/bin/python bench/consumer_batch.py            # 20,000 events
    .venv/bin/python bench/consumer_batch.py --quick    # 2,000, seconds

On a scratch database (ARFLOW_TEST_DATABASE_URL, else an embedded PostgreSQL) and a
Tansu broker of its own, it publishes N InvoiceVoided events over 100 customers
(3 partitions) and times, in the same run:

  raw       aiokafka consuming the same topic with no database at all (the broker's limit)
  per-event arflow's consumer with ARFLOW_CONSUMER_BATCH_SIZE=1: inbox row and handler in one
            transaction per event (what every consumer did before batching)
  batched   the same consumer at the default batch size: one transaction per run of events

The handler does what a small real one does: one upsert of a counter row. Every run is
checked exactly-once: the counter ends at N and the inbox holds N rows. It prints events/s
and each figure as a ratio of the raw consume.

Then the latency of one hop, one event at a time (--hops of them, at random moments):

  raw       aiokafka send to the consumer receiving it (the broker's floor)
  hop       a unit of work committing an event into the outbox to the handler applying it:
            the relay woken by the commit, its broker ack, the consumer's fetch and transaction;
            again while requests hold every connection of the publisher's pool (a webhook burst),
            and with two replicas of the publisher taking the commits in turn

printing p50/p95/p99 of each and its p50 as a ratio of the raw one.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
import uuid
from datetime import UTC, datetime

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from sqlalchemy import text
from sqlalchemy.engine import URL

from arflow.clock import SystemClock
from arflow.db import Database
from arflow.events.catalog import Event, InvoiceVoided, topic_of
from arflow.events.envelope import wrap
from arflow.logging import configure_logging
from arflow.messaging import outbox
from arflow.messaging.consumer import EventContext
from arflow.messaging.kafka import ensure_topics
from arflow.messaging.outbox import OutboxRelay
from arflow.metrics import ServiceMetrics
from arflow.money import Money
from arflow.settings import ServiceSettings
from arflow.testing import eventually
from arflow.testing.counting import consumer, count, counting_handler, create_tables
from arflow.testing.infrastructure import TestInfrastructure


def voided(customer_id: uuid.UUID, i: int) -> InvoiceVoided:
    return InvoiceVoided(
        customer_id=customer_id,
        invoice_id=uuid.uuid4(),
        invoice_number=f"INV-2026-{i:06d}",
        total=Money.of("300.00", "CNY"),
        reason="bench",
        voided_at=datetime.now(UTC),
    )


async def publish(bootstrap: str, topic: str, n: int) -> None:
    customers = [uuid.uuid4() for _ in range(100)]
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    await producer.start()
    try:
        sends = []
        for i in range(n):
            event = voided(customers[i % len(customers)], i)
            envelope = wrap(event, occurred_at=datetime.now(UTC), traceparent=None)
            sends.append(
                await producer.send(
                    topic, envelope.to_bytes(), key=envelope.subject.encode(), headers=envelope.kafka_headers()
                )
            )
        await asyncio.gather(*sends)
    finally:
        await producer.stop()


async def raw_consume(bootstrap: str, topic: str, n: int) -> float:
    reader = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, group_id=f"raw-{uuid.uuid4().hex[:6]}", auto_offset_reset="earliest"
    )
    await reader.start()
    try:
        started, seen = time.perf_counter(), 0
        while seen < n:
            batches = await reader.getmany(timeout_ms=500, max_records=500)
            seen += sum(len(records) for records in batches.values())
        return time.perf_counter() - started
    finally:
        await reader.stop()


async def arflow_consume(db: Database, bootstrap: str, topic: str, n: int, batch_size: int) -> float:
    group = f"bench-{batch_size}-{uuid.uuid4().hex[:6]}"
    running = consumer(db, bootstrap, topic, group, counting_handler(group), consumer_batch_size=batch_size)
    task = asyncio.create_task(running.run())
    started = time.perf_counter()
    try:
        await eventually(lambda: _all_counted(db, group, n), within=3600, interval=0.05, what=f"{n} events")
        elapsed = time.perf_counter() - started
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    async with db.engine.connect() as conn:
        inbox = await conn.scalar(text("SELECT count(*) FROM inbox_message WHERE consumer = :c"), {"c": group})
    assert (await count(db, group), inbox) == (n, n), "not exactly once"
    return elapsed


async def _all_counted(db: Database, group: str, n: int) -> bool:
    return await count(db, group) >= n


def percentiles(seconds: list[float]) -> str:
    ordered = sorted(seconds)
    at = [ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] for p in (95, 99)]
    return f"p50 {statistics.median(ordered) * 1000:6.1f} ms  p95 {at[0] * 1000:6.1f} ms  p99 {at[1] * 1000:6.1f} ms"


async def raw_hop(bootstrap: str, n: int) -> list[float]:
    """Send to receipt, one message at a time, on a topic of its own."""
    topic = f"bench.hop.{uuid.uuid4().hex[:6]}"
    await ensure_topics(bootstrap, [topic], partitions=3)
    settings = ServiceSettings(kafka_bootstrap=bootstrap)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    reader = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"raw-hop-{uuid.uuid4().hex[:6]}",
        auto_offset_reset="latest",
        fetch_max_wait_ms=settings.consumer_fetch_max_wait_ms,
    )
    await producer.start()
    await reader.start()
    pace = random.Random(17)
    try:
        await _assigned(reader)
        latencies = []
        for i in range(n):
            await asyncio.sleep(pace.uniform(0.005, 0.05))  # at moments unrelated to the fetch cycle
            started = time.perf_counter()
            await producer.send_and_wait(topic, b"x" * 600, key=str(i).encode())
            seen = 0
            while not seen:
                seen = sum(len(r) for r in (await reader.getmany(timeout_ms=1000)).values())
            latencies.append(time.perf_counter() - started)
        return latencies
    finally:
        await producer.stop()
        await reader.stop()


async def _assigned(reader: AIOKafkaConsumer) -> None:
    async def assigned() -> bool:
        await reader.getmany(timeout_ms=100)
        return bool(reader.assignment())

    await eventually(assigned, within=30, interval=0.05, what="the partitions to be assigned")


class Hops:
    """One consumer (a process of its own, its own pool) stamping when each event reaches its handler."""

    def __init__(self, url: URL, bootstrap: str) -> None:
        self.url, self.bootstrap = url, bootstrap
        self.db = Database(url, pool_size=4)
        self.applied: dict[uuid.UUID, float] = {}
        self.arrived = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    async def stamp(self, ctx: EventContext, event: Event) -> None:
        assert isinstance(event, InvoiceVoided)
        self.applied[event.invoice_id] = time.perf_counter()
        self.arrived.set()

    async def start(self) -> None:
        group = f"bench-hop-{uuid.uuid4().hex[:6]}"
        reading = consumer(self.db, self.bootstrap, topic_of("invoicing"), group, self.stamp)
        self.task = asyncio.create_task(reading.run())

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)
        await self.db.dispose()

    async def measure(self, n: int, *, replicas: int = 1, busy_pool: bool = False) -> list[float]:
        """A committed unit of work to its event's handler, through the outbox, the relay and the consumer.

        `replicas` processes of the publishing service (a Database and a relay each, as a service wires them)
        take the commits in turn; with `busy_pool` requests hold every connection of their pools meanwhile.
        """
        settings = ServiceSettings(kafka_bootstrap=self.bootstrap)
        publishers = [Database(self.url, pool_size=4) for _ in range(replicas)]
        relays = []
        for i, db in enumerate(publishers):
            relay = OutboxRelay(service="bench", db=db, settings=settings, metrics=ServiceMetrics(f"bench_relay{i}"))
            db.on_commit(relay.wake)
            relays.append(relay)
        tasks = [asyncio.create_task(relay.run()) for relay in relays]
        if busy_pool:
            tasks += [asyncio.create_task(_hold_a_connection(db)) for db in publishers for _ in range(8)]
        clock, pace = SystemClock(), random.Random(17)
        try:
            warm = voided(uuid.uuid4(), 0)  # the consumer's group joined and the relays connected
            async with publishers[0].unit_of_work() as session:
                await outbox.add(session, warm, clock=clock)
            await eventually(lambda: _true(warm.invoice_id in self.applied), within=60, what="the first event")
            latencies = []
            for i in range(n):
                await asyncio.sleep(pace.uniform(0.005, 0.05))  # at moments unrelated to the fetch cycle
                event = voided(uuid.uuid4(), i)
                self.arrived.clear()
                async with publishers[i % replicas].unit_of_work() as session:
                    await outbox.add(session, event, clock=clock)
                committed = time.perf_counter()
                while event.invoice_id not in self.applied:
                    await asyncio.wait_for(self.arrived.wait(), timeout=30)
                    self.arrived.clear()
                latencies.append(self.applied[event.invoice_id] - committed)
            return latencies
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            for relay, db in zip(relays, publishers, strict=True):
                await relay.stop()
                await db.dispose()


async def _hold_a_connection(db: Database) -> None:
    """A request that keeps one of the pool's connections busy, again and again."""
    while True:
        async with db.unit_of_work() as session:
            await session.execute(text("SELECT pg_sleep(0.05)"))


async def _true(value: bool) -> bool:
    return value


async def main(n: int, hops: int) -> None:
    configure_logging("bench", level="WARNING", fmt="json")
    infra = TestInfrastructure.start()
    try:
        db = Database(await infra.scratch_database("consumer_bench"), pool_size=4)
        await create_tables(db)
        topic = f"bench.consumer.{uuid.uuid4().hex[:6]}"
        await ensure_topics(infra.bootstrap, [topic], partitions=3)
        print(f"publishing {n:,} events ...", flush=True)
        await publish(infra.bootstrap, topic, n)
        raw = await raw_consume(infra.bootstrap, topic, n)
        single = await arflow_consume(db, infra.bootstrap, topic, n, batch_size=1)
        batched = await arflow_consume(db, infra.bootstrap, topic, n, batch_size=ServiceSettings().consumer_batch_size)
        for name, seconds in (("raw", raw), ("per-event", single), ("batched", batched)):
            print(f"{name:<10}{seconds:8.2f} s  {n / seconds:10,.0f} events/s  {raw / seconds:6.3f}x raw")
        print(f"batched / per-event = {single / batched:.1f}x faster; exactly once: counter = inbox = {n:,}")
        await db.dispose()
        print(f"one hop, {hops} events one at a time:", flush=True)
        raw_latency = await raw_hop(infra.bootstrap, hops)
        hop = Hops(db.engine.url, infra.bootstrap)
        await hop.start()
        try:
            measured = {
                "commit → handler": await hop.measure(hops),
                "  pools busy": await hop.measure(hops, busy_pool=True),
                "  2 replicas": await hop.measure(hops, replicas=2),
            }
        finally:
            await hop.stop()
        print(f"raw  send → received    {percentiles(raw_latency)}")
        for name, latencies in measured.items():
            ratio = statistics.median(latencies) / statistics.median(raw_latency)
            print(f"hop  {name:<18} {percentiles(latencies)}  p50 {ratio:4.1f}x raw")
    finally:
        await infra.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="2,000 events instead of 20,000")
    parser.add_argument("--events", type=int)
    parser.add_argument("--hops", type=int, help="events sent one at a time for the latency (200; 50 with --quick)")
    args = parser.parse_args()
    asyncio.run(main(args.events or (2_000 if args.quick else 20_000), args.hops or (50 if args.quick else 200)))
