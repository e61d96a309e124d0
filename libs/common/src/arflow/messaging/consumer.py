"""The idempotent consumer: effects exactly once on an at-least-once bus.

For each event, in one transaction: insert (consumer, event id) into the inbox
and run the handler. A duplicate finds its inbox row and does nothing. Offsets
are committed only after the batch's transactions have committed, so a crash
re-delivers and the inbox absorbs it.

A handler that raises is retried with exponential backoff; after
`consumer_max_attempts` the event is dead-lettered (a `dead_letter` row plus a
message on `arflow.dlq.<consumer>` carrying the error, both through the
outbox) and the stream moves on; a redelivery of an event already dead-lettered
is acknowledged without a second dead letter. Infrastructure failures (database
unreachable) are not the event's fault: they are retried until they pass,
never dead-lettered. A dead letter can be replayed once the cause is fixed.

A handler may leave work for the end of its transaction with `ctx.once(key, work)`:
of several events in one batch that leave work under the same key, it runs once,
as the last of them left it (a customer's rescore after two facts of one day).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import structlog
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from pydantic import ValidationError
from sqlalchemy import func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.clock import Clock
from arflow.db import Database, is_connection_failure
from arflow.events.catalog import Event, UnknownEventType
from arflow.events.envelope import Envelope
from arflow.messaging.kafka import dead_letter_topic, ensure_topics, new_consumer
from arflow.messaging.outbox import row_of
from arflow.metrics import ServiceMetrics
from arflow.persistence import dead_letter, inbox_message, outbox_message
from arflow.retry import Backoff
from arflow.settings import ServiceSettings
from arflow.tracing import start_span

log = structlog.get_logger("arflow.consumer")


class LeftWork:
    """Work the handlers of one transaction left for its end, once per key, in the order first left.

    Work may belong to a group (a customer): work of the group left under another key is run before
    the next event of the group is handled, so that each piece of work sees the facts it would have seen
    had every event been handled alone, and only the repeats under one key in a row are saved.
    """

    def __init__(self) -> None:
        self._work: dict[Hashable, tuple[int, Hashable, Callable[[], Awaitable[None]]]] = {}
        self.index = 0  # which event of the batch is being handled: the one a failure of its work is blamed on

    def leave(self, key: Hashable, work: Callable[[], Awaitable[None]], *, group: Hashable = None) -> None:
        self._work[key] = (self.index, group, work)  # a later event's work replaces an earlier one's, in its place

    async def settle(self, group: Hashable, *, unless: Hashable) -> None:
        """Run now the group's work left under any key but `unless`."""
        for key in [k for k, (_, g, _) in self._work.items() if g == group and k != unless]:
            await self._run(key)

    async def run(self) -> None:
        while self._work:
            await self._run(next(iter(self._work)))

    async def _run(self, key: Hashable) -> None:
        handling = self.index
        self.index, _, work = self._work.pop(key)
        await work()
        self.index = handling


@dataclass(frozen=True)
class EventContext:
    """What a handler gets besides the event: its transaction, the envelope and the clock."""

    session: AsyncSession
    envelope: Envelope
    clock: Clock
    left: LeftWork = field(default_factory=LeftWork)

    async def once(
        self, key: Hashable, group: Hashable, record: Callable[[], Awaitable[None]], work: Callable[[], Awaitable[None]]
    ) -> None:
        """Apply this event's facts with `record`, and leave `work` for the end of the transaction, once for
        all the events of the batch in a row of `group` that leave it under `key` (the last one's `work`).

        How a batch rescores a customer once for a payment's PaymentApplied and InvoicePaid of one day,
        with the same outcome as two rescores in a row: the group's work left under another key runs first.
        """
        await self.left.settle(group, unless=key)
        await record()
        self.left.leave(key, work, group=group)


Handler = Callable[[EventContext, Any], Awaitable[None]]
Outcome = Literal["applied", "duplicate", "ignored", "dead_lettered"]


@dataclass(frozen=True)
class Delivery:
    """Where a message came from, for dead letters and logs."""

    topic: str
    partition: int
    offset: int
    key: str | None
    value: bytes


class PoisonMessage(Exception):
    """The message can never be applied as it is (not an envelope, unknown shape)."""


class DeadLetterNotFound(LookupError):
    pass


class EventConsumer:
    """Consumes topics for one service and applies each event once."""

    def __init__(
        self,
        *,
        name: str,
        topics: list[str],
        handlers: dict[type[Event], Handler],
        db: Database,
        settings: ServiceSettings,
        metrics: ServiceMetrics,
        clock: Clock,
    ) -> None:
        self.name = name
        self.clock = clock
        self.topics = topics
        self.handlers = {cls.event_type(): handler for cls, handler in handlers.items()}
        self.db = db
        self.settings = settings
        self.metrics = metrics
        self._consumer: AIOKafkaConsumer | None = None
        self.connected = False
        # Per partition, the offset of the next record to apply: the record being handled counts as not applied.
        self._next_offset: dict[TopicPartition, int] = {}

    async def run(self) -> None:
        """Consume until cancelled; reconnects when the broker goes away."""
        backoff = Backoff(initial=0.5, cap=10.0)
        while True:
            consumer = new_consumer(self.settings, group=self.name, topics=self.topics)
            try:
                # Subscribing to a topic nobody has published on yet would leave the
                # consumer unassigned until the next metadata refresh; create it.
                await ensure_topics(
                    self.settings.kafka_bootstrap, self.topics, partitions=self.settings.kafka_topic_partitions
                )
                await consumer.start()
                self._consumer, self.connected = consumer, True
                log.info("consumer.started", consumer=self.name, topics=self.topics)
                backoff.reset()
                self._next_offset = {}
                observer = asyncio.create_task(self._observe_topic_lag(consumer), name="consumer-lag")
                try:
                    await self._consume(consumer)
                finally:
                    observer.cancel()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                delay = backoff.delay()
                log.warning("consumer.failed", consumer=self.name, error=repr(exc), retry_in=delay)
                await asyncio.sleep(delay)
            finally:
                self.connected = False
                self._consumer = None
                with contextlib.suppress(Exception):
                    await consumer.stop()

    async def _consume(self, consumer: AIOKafkaConsumer) -> None:
        while True:
            batches = await consumer.getmany(timeout_ms=500, max_records=200)
            for partition, records in batches.items():
                await self.handle_records(partition, records)
            if batches:
                await consumer.commit()

    async def handle_records(self, partition: TopicPartition, records: list[ConsumerRecord[bytes, bytes]]) -> None:
        """Apply a partition's records in order, as many as possible per transaction.

        A run of well-formed events is applied in one transaction (one inbox statement for all of
        them, the handlers one after another), which is what makes a busy consumer fast: one commit
        per batch, not per event. When a handler fails, that transaction is rolled back, the events
        before the failing one are applied again as a batch, and the failing one takes the
        one-at-a-time path (retries, then the dead-letter queue) before the rest go on: the same
        effects, in the same order, as one event at a time.
        """
        size = self.settings.consumer_batch_size
        at = 0
        while at < len(records):
            self._next_offset[partition] = records[at].offset
            chunk = records[at : at + size]
            done, tried = await self._apply_run(chunk)
            if done == 0:  # the first record cannot go in a batch: alone, with retries and dead letters
                # A handler that failed in the batch has had its first attempt.
                await self.handle_record(chunk[0], attempted=1 if tried else 0)
                done = 1
            at += done
            self._next_offset[partition] = records[at - 1].offset + 1

    async def _apply_run(self, records: list[ConsumerRecord[bytes, bytes]]) -> tuple[int, bool]:
        """Apply the longest leading run of records that goes in one transaction.

        How many it applied, and whether the first record not applied was tried (its handler failed).
        """
        run: list[tuple[Envelope, Event | None]] = []
        for record in records:
            try:
                envelope = Envelope.from_bytes(record.value or b"")
                event = envelope.to_event() if envelope.type in self.handlers else None
            except (ValueError, ValidationError, UnknownEventType):
                break  # not for a batch: the one-at-a-time path dead-letters it
            run.append((envelope, event))
        tried = False
        while run:
            failed_at = await self._apply_batch(run)
            if failed_at is None:
                return len(run), tried
            run, tried = run[:failed_at], True  # applied again without the failing one, which then goes alone
        return 0, tried

    async def _apply_batch(self, run: list[tuple[Envelope, Event | None]]) -> int | None:
        """One transaction for the whole run; None when it committed, else the index of the failing event."""
        handled = [envelope for envelope, event in run if event is not None]
        outcomes: list[Outcome] = []
        index = 0
        left = LeftWork()
        try:
            async with self.db.unit_of_work() as session:
                fresh: set[str] = set()
                if handled:
                    fresh = set(
                        await session.scalars(
                            pg_insert(inbox_message)
                            .values([{"consumer": self.name, "event_id": e.id, "event_type": e.type} for e in handled])
                            .on_conflict_do_nothing()
                            .returning(inbox_message.c.event_id)
                        )
                    )
                for index, (envelope, event) in enumerate(run):
                    if event is None:
                        outcomes.append("ignored")
                    elif envelope.id not in fresh:  # applied before, or earlier in this very batch
                        outcomes.append("duplicate")
                    else:
                        fresh.discard(envelope.id)
                        left.index = index
                        await self._run_handler(session, envelope, event, left)
                        outcomes.append("applied")
                await left.run()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            at = min(index, left.index)  # a handler's failure, or the failure of work an event left
            log.info("consumer.batch_fell_back", consumer=self.name, size=len(run), at=at, error=repr(exc))
            return at
        for (envelope, _), outcome in zip(run, outcomes, strict=True):
            self.metrics.events_consumed.labels(envelope.type, outcome).inc()
            if outcome == "applied":
                self._observe_lag(envelope)
        return None

    async def _run_handler(self, session: AsyncSession, envelope: Envelope, event: Event, left: LeftWork) -> None:
        start_span(envelope.traceparent)
        structlog.contextvars.bind_contextvars(event_id=envelope.id, event_type=envelope.type)
        try:
            await self.handlers[envelope.type](EventContext(session, envelope, self.clock, left), event)
        finally:
            structlog.contextvars.unbind_contextvars("event_id", "event_type")

    async def _observe_topic_lag(self, consumer: AIOKafkaConsumer) -> None:
        """Set the lag gauge of each topic every `consumer_lag_observe_seconds`, also while a handler is slow."""
        while True:
            with contextlib.suppress(Exception):  # a gauge is never worth a consumer
                self.observe_topic_lag(consumer)
            await asyncio.sleep(self.settings.consumer_lag_observe_seconds)

    def observe_topic_lag(self, consumer: AIOKafkaConsumer) -> dict[str, int]:
        """Lag per topic over this process's partitions: the log end the broker last reported minus the next
        offset to apply. A partition nothing has been fetched from yet counts 0 until the broker reports on it."""
        lag = dict.fromkeys(self.topics, 0)
        for partition in consumer.assignment():
            end = consumer.highwater(partition)
            next_offset = self._next_offset.get(partition)
            if end is None or next_offset is None:
                continue
            lag[partition.topic] = lag.get(partition.topic, 0) + max(0, end - next_offset)
        for topic, behind in lag.items():
            self.metrics.consumer_lag.labels(topic).set(behind)
        return lag

    async def handle_record(self, record: ConsumerRecord[bytes, bytes], *, attempted: int = 0) -> Outcome:
        delivery = Delivery(
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            key=record.key.decode() if record.key else None,
            value=record.value or b"",
        )
        return await self.handle(delivery, attempted=attempted)

    async def handle(self, delivery: Delivery, *, attempted: int = 0) -> Outcome:
        """Apply one delivered message: retry, then dead-letter what keeps failing (`attempted`: tries already made)."""
        try:
            envelope = Envelope.from_bytes(delivery.value)
        except (ValueError, ValidationError) as exc:
            await self._dead_letter(delivery, None, f"not a CloudEvents envelope: {exc}", attempts=1)
            return "dead_lettered"
        if envelope.type not in self.handlers:
            self.metrics.events_consumed.labels(envelope.type, "ignored").inc()
            return "ignored"

        retry = Backoff(initial=self.settings.consumer_backoff_seconds, cap=10.0)
        attempt = attempted
        if attempt >= self.settings.consumer_max_attempts:
            attempt = self.settings.consumer_max_attempts - 1
        while True:
            attempt += 1
            try:
                outcome = await self.apply(envelope)
                self._observe_lag(envelope)
                return outcome
            except asyncio.CancelledError:
                raise
            except PoisonMessage as exc:
                await self._dead_letter(delivery, envelope, str(exc), attempts=attempt)
                return "dead_lettered"
            except Exception as exc:
                if is_connection_failure(exc):
                    delay = retry.for_attempt(attempt + 1)
                    log.warning("consumer.infrastructure_unavailable", error=repr(exc), retry_in=delay)
                    await asyncio.sleep(delay)
                    continue
                log.warning(
                    "consumer.handler_failed",
                    consumer=self.name,
                    event_type=envelope.type,
                    event_id=envelope.id,
                    attempt=attempt,
                    error=repr(exc),
                )
                if attempt >= self.settings.consumer_max_attempts:
                    await self._dead_letter(delivery, envelope, f"{type(exc).__name__}: {exc}", attempts=attempt)
                    return "dead_lettered"
                await asyncio.sleep(retry.for_attempt(attempt))

    async def apply(
        self,
        envelope: Envelope,
        *,
        within: Callable[[AsyncSession], Awaitable[None]] | None = None,
    ) -> Outcome:
        """Run the handler and record the inbox row in one transaction."""
        handler = self.handlers.get(envelope.type)
        if handler is None:
            return "ignored"
        try:
            event = envelope.to_event()
        except (ValidationError, UnknownEventType) as exc:
            raise PoisonMessage(f"{envelope.type} does not match the catalog: {exc}") from exc
        async with self.db.unit_of_work() as session:
            inserted = await session.scalar(
                pg_insert(inbox_message)
                .values(consumer=self.name, event_id=envelope.id, event_type=envelope.type)
                .on_conflict_do_nothing()
                .returning(inbox_message.c.event_id)
            )
            if inserted is None:
                outcome: Outcome = "duplicate"
            else:
                left = LeftWork()
                await self._run_handler(session, envelope, event, left)
                await left.run()
                outcome = "applied"
            if within is not None:
                await within(session)
        self.metrics.events_consumed.labels(envelope.type, outcome).inc()
        return outcome

    def _observe_lag(self, envelope: Envelope) -> None:
        lag = (datetime.now(UTC) - envelope.time).total_seconds()
        self.metrics.event_lag.labels(envelope.type).observe(max(lag, 0.0))

    async def _dead_letter(self, delivery: Delivery, envelope: Envelope | None, error: str, *, attempts: int) -> None:
        async with self.db.unit_of_work() as session:
            recorded = await self._record_dead_letter(session, delivery, envelope, error, attempts=attempts)
        event_type = envelope.type if envelope else "unknown"
        if not recorded:
            log.info(
                "consumer.already_dead_lettered",
                consumer=self.name,
                topic=delivery.topic,
                offset=delivery.offset,
                event_id=envelope.id if envelope else None,
            )
            self.metrics.events_consumed.labels(event_type, "duplicate").inc()
            return
        log.error(
            "consumer.dead_lettered",
            consumer=self.name,
            topic=delivery.topic,
            offset=delivery.offset,
            event_id=envelope.id if envelope else None,
            error=error,
        )
        self.metrics.events_consumed.labels(event_type, "dead_lettered").inc()

    async def _record_dead_letter(
        self, session: AsyncSession, delivery: Delivery, envelope: Envelope | None, error: str, *, attempts: int
    ) -> bool:
        """Write the dead letter and its DLQ message; False when this consumer already dead-lettered the event.

        A dead-lettered event has no inbox row, so a redelivery (the relay re-sending, a restart before the
        offset commit) fails again and lands here a second time: it must be acknowledged, not fail the batch.
        """
        if envelope is not None:
            same_letter = dead_letter.c.event_id == envelope.id
        else:  # not an envelope: no event id, only where it was read
            same_letter = (
                dead_letter.c.event_id.is_(None)
                & (dead_letter.c.topic == delivery.topic)
                & (dead_letter.c.partition == delivery.partition)
                & (dead_letter.c.offset == delivery.offset)
            )
        earlier = select(dead_letter.c.id).where(dead_letter.c.consumer == self.name, same_letter).limit(1)
        if await session.scalar(earlier) is not None:
            return False
        if envelope is not None:
            dlq_message = row_of(
                envelope.model_copy(update={"id": f"{envelope.id}:dlq:{self.name}"}),
                topic=dead_letter_topic(self.name),
                extra_headers=[
                    ("error", error[:2000]),
                    ("original_topic", delivery.topic),
                    ("original_partition", str(delivery.partition)),
                    ("original_offset", str(delivery.offset)),
                    ("original_event_id", envelope.id),
                    ("attempts", str(attempts)),
                ],
            )
            written = await session.scalar(
                pg_insert(outbox_message)
                .values(dlq_message)
                .on_conflict_do_nothing(index_elements=[outbox_message.c.event_id])
                .returning(outbox_message.c.id)
            )
            if written is None:  # a concurrent delivery of the same event dead-lettered it first
                return False
        await session.execute(
            insert(dead_letter).values(
                consumer=self.name,
                event_id=envelope.id if envelope else None,
                event_type=envelope.type if envelope else None,
                topic=delivery.topic,
                partition=delivery.partition,
                offset=delivery.offset,
                key=delivery.key,
                payload=delivery.value.decode(errors="replace"),
                error=error,
                attempts=attempts,
            )
        )
        return True

    async def replay_dead_letter(self, dead_letter_id: int) -> Outcome:
        """Apply a dead letter again; on success it is marked replayed."""
        async with self.db.unit_of_work() as session:
            row = (await session.execute(select(dead_letter).where(dead_letter.c.id == dead_letter_id))).one_or_none()
        if row is None or row.consumer != self.name:
            raise DeadLetterNotFound(dead_letter_id)
        envelope = Envelope.from_bytes(row.payload.encode())

        async def mark_replayed(session: AsyncSession) -> None:
            await session.execute(
                update(dead_letter)
                .where(dead_letter.c.id == dead_letter_id)
                .values(replayed_at=func.now(), replay_error=None)
            )

        try:
            return await self.apply(envelope, within=mark_replayed)
        except Exception as exc:
            async with self.db.unit_of_work() as session:
                await session.execute(
                    update(dead_letter)
                    .where(dead_letter.c.id == dead_letter_id)
                    .values(replay_error=f"{type(exc).__name__}: {exc}")
                )
            raise
