"""The transactional outbox: events commit with the state change, a relay publishes them.

`add` writes the CloudEvent into `outbox_message` inside the caller's
transaction. `OutboxRelay` publishes unsent rows in id order and marks them
sent. Each batch runs under a transaction-scoped advisory lock, so with two
replicas of a service only one relays at a time and per-key order holds.
Delivery is at-least-once (a crash between send and mark re-sends); consumers
deduplicate by event id.

The relay publishes on commit: every unit of work of its process wakes it
(`Database.on_commit`), and the poll (`relay_poll_seconds`) is only the fallback
for commits it was not told of. A relay so woken while another replica holds
the lock waits for that batch to commit instead of giving up until the poll:
the other replica may have read the outbox before the commit. It reads and marks
through an engine of its own, so requests holding every pooled connection never
delay an event.

The outbox, not the broker, is the source of truth. A sent row stays for the
retention window, and the relay records, per partition, the offset and id of
the last event the broker acknowledged (`broker_watermark`). On connecting, and
every `relay_broker_check_seconds`, it reads that offset back: a broker that no
longer has that event there has lost acknowledged events (Tansu keeps them in
memory only; a Kafka topic deleted and recreated), and every retained event of
that topic is published again, in order; the consumers' inbox drops what they
already applied. (The record itself is read, not the end offset: Tansu's
ListOffsets answers the last batch's base offset, not the log's end.) Kafka's
own retention must keep a topic at least as long as the outbox does
(`ARFLOW_OUTBOX_RETENTION_DAYS`), or an expired marker reads as a loss and the
window is published again, harmlessly.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import zlib
from collections.abc import Sequence
from typing import Any

import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import KafkaError, OffsetOutOfRangeError
from aiokafka.structs import RecordMetadata
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from arflow.audit.context import current as audit_context
from arflow.clock import Clock
from arflow.db import Database, rows_changed
from arflow.events.catalog import Event, topic_of
from arflow.events.envelope import Envelope, wrap
from arflow.messaging.kafka import ensure_topics, new_producer
from arflow.metrics import ServiceMetrics
from arflow.persistence import broker_watermark, dead_letter, outbox_message
from arflow.retry import Backoff
from arflow.settings import ServiceSettings
from arflow.tracing import current_traceparent
from arflow.wakeup import woken_within

log = structlog.get_logger("arflow.outbox")

# How often a relay that is publishing reads the backlog gauges (a failed turn always reads them).
BACKLOG_OBSERVE_SECONDS = 1.0
# The longest a relay owed a publish waits for another replica's batch to commit.
LOCK_WAIT_SECONDS = 5.0
LOCK_NOT_AVAILABLE = "55P03"  # the SQLSTATE of a lock wait past lock_timeout


async def add(session: AsyncSession, event: Event, *, clock: Clock) -> Envelope:
    """Record `event` for publication when the caller's transaction commits."""
    envelope = wrap(event, occurred_at=clock.now(), traceparent=current_traceparent(), actor=current_actor())
    await add_envelope(session, envelope, topic=topic_of(event.publisher))
    return envelope


async def add_many(session: AsyncSession, events: Sequence[Event], *, clock: Clock) -> list[Envelope]:
    """Record several events, in order, with one INSERT (a bulk import's payments, say)."""
    envelopes = _wrap_all(events, clock=clock)
    if envelopes:
        await session.execute(insert(outbox_message), [row_of(e, topic=topic) for e, topic in envelopes])
    return [envelope for envelope, _ in envelopes]


def rows_for(events: Sequence[Event], *, clock: Clock) -> list[dict[str, Any]]:
    """The outbox rows `add` would write for the events, in order, for a caller that folds them into its own
    statement (one write per transaction on a hot path)."""
    return [row_of(envelope, topic=topic) for envelope, topic in _wrap_all(events, clock=clock)]


def _wrap_all(events: Sequence[Event], *, clock: Clock) -> list[tuple[Envelope, str]]:
    traceparent, actor = current_traceparent(), current_actor()
    return [
        (wrap(event, occurred_at=clock.now(), traceparent=traceparent, actor=actor), topic_of(event.publisher))
        for event in events
    ]


def current_actor() -> str | None:
    """Who made the change being recorded, when an API call is being served (arflow.audit's context)."""
    context = audit_context()
    return context.actor.name if context is not None and context.actor is not None else None


def row_of(envelope: Envelope, *, topic: str, extra_headers: list[tuple[str, str]] | None = None) -> dict[str, Any]:
    """The one outbox_message row of an envelope: the only place that knows the row's shape."""
    headers = [[k, v.decode()] for k, v in envelope.kafka_headers()] + [list(h) for h in extra_headers or []]
    return {
        "event_id": envelope.id,
        "topic": topic,
        "key": envelope.subject,
        "event_type": envelope.type,
        "payload": envelope.model_dump(mode="json", exclude_none=True),
        "headers": headers,
    }


async def add_envelope(
    session: AsyncSession | AsyncConnection,
    envelope: Envelope,
    *,
    topic: str,
    extra_headers: list[tuple[str, str]] | None = None,
) -> None:
    """Record an already-built envelope (dead letters, tests replaying a fact)."""
    await session.execute(insert(outbox_message).values(row_of(envelope, topic=topic, extra_headers=extra_headers)))


def _lock_key(name: str) -> int:
    return zlib.crc32(f"arflow.outbox.{name}".encode())


class OutboxRelay:
    """Publishes the outbox to Kafka, woken by commits and by a poll timer."""

    def __init__(self, *, service: str, db: Database, settings: ServiceSettings, metrics: ServiceMetrics) -> None:
        self.service = service
        self.db = db
        self.settings = settings
        self.metrics = metrics
        self._wake = asyncio.Event()
        self._owed = False  # a commit of this process woke the relay since its last turn began
        self._producer: AIOKafkaProducer | None = None
        self._lock_key = _lock_key(service)
        self._known_topics: set[str] = set()
        self._next_broker_check = 0.0
        self._next_backlog_observation = 0.0
        self.connected = False
        self.last_error: str | None = None

    def wake(self) -> None:
        """A unit of work of this process committed: publish soon, waiting for the lock if another replica has it."""
        self._owed = True
        self._wake.set()

    async def run(self) -> None:
        """Relay until cancelled; survives broker and database outages with backoff."""
        backoff = Backoff(initial=0.5, cap=10.0)
        while True:
            owed = False
            try:
                await self._ensure_producer()
                if time.monotonic() >= self._next_broker_check:
                    await self.check_broker()
                    self._next_broker_check = time.monotonic() + self.settings.relay_broker_check_seconds
                owed, self._owed = self._owed, False
                published = await self.publish_batch(wait_for_lock=owed)
                backoff.reset()
                if time.monotonic() >= self._next_backlog_observation:
                    await self.observe_backlog()
                if published < self.settings.relay_batch_size:
                    await woken_within(self._wake, self.settings.relay_poll_seconds)
                    self._wake.clear()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # broker or database down: keep the rows, retry later
                self._owed = self._owed or owed  # what this process committed is still to publish
                self.last_error = repr(exc)
                delay = backoff.delay()
                log.warning("outbox.relay_failed", error=repr(exc), retry_in=delay)
                await self._drop_producer()
                with contextlib.suppress(Exception):  # the database may be what is down
                    await self.observe_backlog()
                await asyncio.sleep(delay)

    async def probe(self) -> bool:
        """True when the broker answers a metadata request within two seconds."""
        producer = self._producer
        if producer is None:
            return False
        try:
            async with asyncio.timeout(2):
                await producer.client.fetch_all_metadata()
        except Exception as exc:
            self.last_error = repr(exc)
            return False
        return True

    async def stop(self) -> None:
        await self._drop_producer()

    async def _ensure_producer(self) -> AIOKafkaProducer:
        if self._producer is None:
            producer = new_producer(self.settings)
            try:
                await producer.start()
                self._known_topics.clear()
                await self._ensure_topics([topic_of(self.service)])
            except BaseException:
                await producer.stop()
                raise
            self._producer = producer
            self._next_broker_check = 0.0  # a new connection may be to a new broker: look before publishing
            self.connected = True
            self.last_error = None
            log.info("outbox.relay_connected", bootstrap=self.settings.kafka_bootstrap)
        return self._producer

    async def _ensure_topics(self, topics: list[str]) -> None:
        """Create topics the relay has not published to yet (its own, dead-letter topics)."""
        missing = [t for t in topics if t not in self._known_topics]
        if missing:
            await ensure_topics(self.settings.kafka_bootstrap, missing, partitions=self.settings.kafka_topic_partitions)
            self._known_topics.update(missing)

    async def _drop_producer(self) -> None:
        producer, self._producer = self._producer, None
        self.connected = False
        if producer is not None:
            with contextlib.suppress(Exception):
                await producer.stop()

    async def publish_batch(self, *, wait_for_lock: bool = False) -> int:
        """Publish one batch of unsent rows in order; returns how many were sent.

        With `wait_for_lock` (this process has committed events since the last turn) a relay whose lock another
        replica holds waits for it, and is let in the moment that batch commits: the other may have read the
        outbox before this process's commit, and would leave its events to the next poll. Otherwise it gives up
        at once. Either way one replica publishes at a time. On the relay's own connection (`relay_engine`): five
        round trips to PostgreSQL whatever the batch's size (BEGIN, the lock, the rows, one statement marking them
        sent and raising the watermarks, COMMIT).
        """
        producer = await self._ensure_producer()
        try:
            async with self.db.relay_engine.begin() as conn:
                if not await conn.scalar(self._lock_statement(wait=wait_for_lock)):
                    return 0  # another replica holds the relay
                rows = (
                    await conn.execute(
                        select(outbox_message)
                        .where(outbox_message.c.sent_at.is_(None))
                        .order_by(outbox_message.c.id)
                        .limit(self.settings.relay_batch_size)
                    )
                ).all()
                if not rows:
                    return 0
                await self._ensure_topics(sorted({row.topic for row in rows}))
                sent_ids, acked, failure = await self._send(producer, rows)
                if sent_ids:
                    await conn.execute(_mark_sent(sent_ids, acked))
        except DBAPIError as exc:
            if getattr(exc.orig, "sqlstate", None) != LOCK_NOT_AVAILABLE:
                raise
            # Another replica has held the lock for LOCK_WAIT_SECONDS: still owed, so wait again after this turn
            # (which reads the gauges when they are due) rather than at the next poll.
            log.warning("outbox.relay_lock_wait_timed_out", waited_seconds=LOCK_WAIT_SECONDS)
            self.wake()
            return 0
        if failure is not None:
            raise failure
        return len(sent_ids)

    def _lock_statement(self, *, wait: bool) -> Any:
        """True when this transaction holds the relay's lock. A wait is bounded by LOCK_WAIT_SECONDS (then the turn
        ends and the next one waits again): a replica stuck holding it must not stop this one's gauges and checks.

        The same statement makes the transaction's commit asynchronous (no wait for the WAL flush): what it records,
        rows sent and watermarks, is what a crash may forget, and then those rows are published again, after what
        they were published before, and the inbox drops them; the outbox rows themselves were committed durably by
        their own transaction.
        """
        asynchronous = func.set_config("synchronous_commit", "off", True).is_not(None)
        if not wait:
            return select(func.pg_try_advisory_xact_lock(self._lock_key), asynchronous)
        # The lock_timeout is set before the wait begins: the select list is evaluated left to right.
        timeout = func.set_config("lock_timeout", f"{LOCK_WAIT_SECONDS * 1000:.0f}", True)
        return select(asynchronous, timeout.is_not(None), func.pg_advisory_xact_lock(self._lock_key).is_not(None))

    async def observe_backlog(self) -> None:
        """The gauges an operator alerts on: what waits in the outbox, for how long, and open dead letters.

        Read on every failed turn of the relay (a broker outage is when they matter) and on the others at most
        every BACKLOG_OBSERVE_SECONDS: a busy relay turns hundreds of times a second, and the gauges would cost
        it more round trips than the publishing does.
        """
        self._next_backlog_observation = time.monotonic() + BACKLOG_OBSERVE_SECONDS
        async with self.db.relay_engine.connect() as conn:
            await self._observe_backlog(conn)

    async def _observe_backlog(self, conn: AsyncConnection) -> None:
        pending, oldest = (
            await conn.execute(
                select(func.count(), func.extract("epoch", func.now() - func.min(outbox_message.c.created_at)))
                .select_from(outbox_message)
                .where(outbox_message.c.sent_at.is_(None))
            )
        ).one()
        dead = await conn.scalar(
            select(func.count()).select_from(dead_letter).where(dead_letter.c.replayed_at.is_(None))
        )
        self.metrics.outbox_pending.set(pending or 0)
        self.metrics.outbox_oldest_age.set(float(oldest or 0))
        self.metrics.dead_letters_open.set(dead or 0)

    async def _send(
        self, producer: AIOKafkaProducer, rows: Sequence[Any]
    ) -> tuple[list[int], dict[tuple[str, int], tuple[int, str]], Exception | None]:
        """Send rows in order and wait for acks; stop at the first failure so order holds.

        Returns the ids sent, the last (offset, event id) acknowledged per (topic, partition), and any failure.
        """
        futures = []
        try:
            for row in rows:
                value = Envelope.model_validate(row.payload).to_bytes()
                headers = [(k, v.encode()) for k, v in row.headers]
                futures.append(await producer.send(row.topic, value=value, key=row.key.encode(), headers=headers))
        except KafkaError as exc:
            sent, acked = await self._acked_prefix(rows, futures)
            return sent, acked, exc
        sent, acked = await self._acked_prefix(rows, futures)
        failure = None if len(sent) == len(rows) else KafkaError("a send was not acknowledged")
        return sent, acked, failure

    async def _acked_prefix(
        self, rows: Sequence[Any], futures: list[asyncio.Future[Any]]
    ) -> tuple[list[int], dict[tuple[str, int], tuple[int, str]]]:
        sent: list[int] = []
        acked: dict[tuple[str, int], tuple[int, str]] = {}
        for row, future in zip(rows, futures, strict=False):
            try:
                metadata: RecordMetadata = await future
            except KafkaError:
                for rest in futures[len(sent) + 1 :]:
                    rest.add_done_callback(lambda f: f.cancelled() or f.exception())
                break
            sent.append(row.id)
            where = (metadata.topic, metadata.partition)
            if metadata.offset >= acked.get(where, (-1, ""))[0]:
                acked[where] = (metadata.offset, row.event_id)
            self.metrics.events_published.labels(row.event_type).inc()
        return sent, acked

    async def check_broker(self) -> int:
        """Publish again every retained event of a topic the broker has lost acknowledged events of.

        Returns how many events were queued to be published again (0 when the broker holds all it acknowledged).
        """
        async with self.db.relay_engine.begin() as conn:
            if not await conn.scalar(self._lock_statement(wait=False)):
                return 0  # another replica holds the relay; it checks
            marks = (await conn.execute(select(broker_watermark))).all()
            if not marks:
                return 0
            lost = await _lost_marks(self.settings.kafka_bootstrap, {(m.topic, m.partition): m for m in marks})
            if not lost:
                return 0
            topics = sorted({topic for topic, _ in lost})
            queued = rows_changed(
                await conn.execute(
                    update(outbox_message)
                    .where(outbox_message.c.topic.in_(topics), outbox_message.c.sent_at.is_not(None))
                    .values(sent_at=None)
                )
            )
            await conn.execute(delete(broker_watermark).where(broker_watermark.c.topic.in_(topics)))
        self.metrics.events_republished.inc(queued)
        log.error(
            "outbox.broker_lost_events",
            topics=topics,
            partitions=[f"{topic}[{partition}]" for topic, partition in sorted(lost)],
            republishing=queued,
        )
        return queued


def _mark_sent(sent_ids: list[int], acked: dict[tuple[str, int], tuple[int, str]]) -> Any:
    """One statement: the rows marked sent when the broker acknowledged them (not when the transaction began, so
    the relay's latency shows in the outbox), and the last event acknowledged per partition recorded. A watermark
    only moves on (a resend is acked lower)."""
    marked = (
        update(outbox_message)
        .where(outbox_message.c.id.in_(sent_ids))
        .values(sent_at=func.clock_timestamp())
        .returning(outbox_message.c.id)
        .cte("marked")
    )
    statement = pg_insert(broker_watermark).values(
        [
            {"topic": topic, "partition": partition, "offset": offset, "event_id": event_id}
            for (topic, partition), (offset, event_id) in acked.items()
        ]
    )
    return statement.on_conflict_do_update(
        index_elements=[broker_watermark.c.topic, broker_watermark.c.partition],
        set_={
            "offset": statement.excluded.offset,
            "event_id": statement.excluded.event_id,
            "updated_at": func.now(),
        },
        where=statement.excluded.offset >= broker_watermark.c.offset,
    ).add_cte(marked)


async def _lost_marks(
    bootstrap: str, marks: dict[tuple[str, int], Any], *, within: float = 5.0
) -> set[tuple[str, int]]:
    """The partitions where the broker no longer holds the watermark's event at the watermark's offset."""
    reader = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="none")
    await reader.start()
    try:
        await reader.topics()  # refreshes the metadata
        present = {where for where in marks if where[1] in (reader.partitions_for_topic(where[0]) or set())}
        lost = set(marks) - present
        waiting = {TopicPartition(*where) for where in present}
        if waiting:
            reader.assign(sorted(waiting))
            for tp in waiting:
                reader.seek(tp, marks[(tp.topic, tp.partition)].offset)
        deadline = time.monotonic() + within
        while waiting and time.monotonic() < deadline:
            try:
                batches = await reader.getmany(*waiting, timeout_ms=200)
            except OffsetOutOfRangeError as exc:  # the broker's log ends before the watermark
                gone = set(exc.args[0]) if exc.args and isinstance(exc.args[0], dict) else set(waiting)
                lost |= {(tp.topic, tp.partition) for tp in gone}
                waiting -= gone
                continue
            for tp, records in batches.items():
                if not records:
                    continue
                mark = marks[(tp.topic, tp.partition)]
                if not (records[0].offset == mark.offset and _event_id(records[0].value) == mark.event_id):
                    lost.add((tp.topic, tp.partition))
                waiting.discard(tp)
                reader.pause(tp)
        lost |= {(tp.topic, tp.partition) for tp in waiting}  # nothing at the offset within the time
    finally:
        await reader.stop()
    return lost


def _event_id(value: bytes | None) -> str | None:
    try:
        return str(json.loads(value or b"{}").get("id"))
    except ValueError:
        return None
