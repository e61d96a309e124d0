"""Publish events to and read events from the real broker in tests."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from arflow.events.catalog import Event, topic_of
from arflow.events.envelope import Envelope, wrap


async def publish_events(bootstrap: str, *events: Event | Envelope) -> list[Envelope]:
    """Publish events (or ready envelopes, e.g. to send one twice) on their topics."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    sent = []
    try:
        for item in events:
            envelope = (
                item if isinstance(item, Envelope) else wrap(item, occurred_at=datetime.now(UTC), traceparent=None)
            )
            topic = topic_of(envelope.source.rsplit("/", 1)[-1])
            await producer.send_and_wait(
                topic, envelope.to_bytes(), key=envelope.subject.encode(), headers=envelope.kafka_headers()
            )
            sent.append(envelope)
    finally:
        await producer.stop()
    return sent


async def collect_events(
    bootstrap: str,
    topic: str,
    match: Callable[[Envelope], bool],
    *,
    count: int = 1,
    within: float = 20.0,
) -> list[Envelope]:
    """Read `topic` from the beginning until `count` envelopes match; fail after `within` s.

    The reader is assigned every partition itself rather than joining a consumer
    group: a group join costs the broker's rebalance delay (about 5 s on Tansu) on
    every call, and a test reader has no offsets to keep.
    """
    reader = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False, metadata_max_age_ms=1000
    )
    await reader.start()
    found: list[Envelope] = []
    deadline = time.monotonic() + within
    try:
        partitions = await _partitions(reader, topic, deadline)
        if partitions:
            reader.assign([TopicPartition(topic, number) for number in sorted(partitions)])
            await reader.seek_to_beginning()
        while partitions and len(found) < count and time.monotonic() < deadline:
            batches = await reader.getmany(timeout_ms=200)
            for records in batches.values():
                for record in records:
                    envelope = Envelope.from_bytes(record.value or b"{}")
                    if match(envelope):
                        found.append(envelope)
            await asyncio.sleep(0)
    finally:
        await reader.stop()
    if len(found) < count:
        raise AssertionError(f"found {len(found)} of {count} matching events on {topic} within {within}s")
    return found


async def _partitions(reader: AIOKafkaConsumer, topic: str, deadline: float) -> set[int]:
    """The topic's partitions, waiting (until the deadline) for a topic nobody has published on yet."""
    while True:
        await reader.topics()  # refreshes the metadata
        partitions = reader.partitions_for_topic(topic)
        if partitions or time.monotonic() >= deadline:
            return set(partitions or ())
        await asyncio.sleep(0.2)
