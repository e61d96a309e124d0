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
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from datetime import UTC, datetime

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from sqlalchemy import text

from arflow.db import Database
from arflow.events.catalog import InvoiceVoided
from arflow.events.envelope import wrap
from arflow.logging import configure_logging
from arflow.messaging.kafka import ensure_topics
from arflow.money import Money
from arflow.settings import ServiceSettings
from arflow.testing import eventually
from arflow.testing.counting import consumer, count, counting_handler, create_tables
from arflow.testing.infrastructure import TestInfrastructure


async def publish(bootstrap: str, topic: str, n: int) -> None:
    customers = [uuid.uuid4() for _ in range(100)]
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    await producer.start()
    try:
        sends = []
        for i in range(n):
            event = InvoiceVoided(
                customer_id=customers[i % len(customers)],
                invoice_id=uuid.uuid4(),
                invoice_number=f"INV-2026-{i:06d}",
                total=Money.of("300.00", "CNY"),
                reason="bench",
                voided_at=datetime.now(UTC),
            )
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


async def main(n: int) -> None:
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
        await db.dispose()
        for name, seconds in (("raw", raw), ("per-event", single), ("batched", batched)):
            print(f"{name:<10}{seconds:8.2f} s  {n / seconds:10,.0f} events/s  {raw / seconds:6.3f}x raw")
        print(f"batched / per-event = {single / batched:.1f}x faster; exactly once: counter = inbox = {n:,}")
    finally:
        await infra.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="2,000 events instead of 20,000")
    parser.add_argument("--events", type=int)
    args = parser.parse_args()
    asyncio.run(main(args.events or (2_000 if args.quick else 20_000)))
