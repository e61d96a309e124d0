"""A deliberately non-idempotent consumer for bus-reliability tests.

Its handler adds one to a counter per event: were an event applied twice, the
counter would show it. Only the inbox stands between a redelivery and a double
count. Run as a process (`python -m arflow.testing.counting DB_URL BOOTSTRAP
TOPIC GROUP`) so a test can SIGKILL it mid-stream.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

from sqlalchemy import Column, Integer, MetaData, Table, Text, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from arflow.clock import SystemClock
from arflow.db import Database
from arflow.events.catalog import Event, InvoiceVoided
from arflow.messaging.consumer import EventConsumer, EventContext
from arflow.metrics import ServiceMetrics
from arflow.persistence import platform_metadata
from arflow.settings import ServiceSettings

test_metadata = MetaData()
counter = Table("counter", test_metadata, Column("name", Text, primary_key=True), Column("n", Integer, nullable=False))


async def create_tables(db: Database) -> None:
    async with db.engine.begin() as conn:
        await conn.run_sync(platform_metadata.create_all)
        await conn.run_sync(test_metadata.create_all)


async def count(db: Database, name: str) -> int:
    async with db.engine.connect() as conn:
        return int(await conn.scalar(select(counter.c.n).where(counter.c.name == name)) or 0)


def counting_handler(name: str, *, delay: float = 0.0, fail_for: set[Any] | None = None) -> Any:
    """A handler adding 1 to counter `name`; it raises for customers in `fail_for`."""

    async def handle(ctx: EventContext, event: Event) -> None:
        if fail_for is not None and event.customer_id in fail_for:
            raise RuntimeError(f"refusing customer {event.customer_id}")
        if delay:
            await asyncio.sleep(delay)
        await ctx.session.execute(pg_insert(counter).values(name=name, n=0).on_conflict_do_nothing())
        await ctx.session.execute(update(counter).where(counter.c.name == name).values(n=counter.c.n + 1))

    return handle


def consumer(
    db: Database,
    bootstrap: str,
    topic: str,
    group: str,
    handler: Any,
    event_type: type[Event] = InvoiceVoided,
    **settings: Any,
) -> EventConsumer:
    values: dict[str, Any] = {"kafka_bootstrap": bootstrap, "consumer_backoff_seconds": 0.05, **settings}
    return EventConsumer(
        name=group,
        topics=[topic],
        handlers={event_type: handler},
        db=db,
        settings=ServiceSettings(**values),
        metrics=ServiceMetrics(group),
        clock=SystemClock(),
    )


async def _main(url: str, bootstrap: str, topic: str, group: str) -> None:
    db = Database(url)
    await consumer(db, bootstrap, topic, group, counting_handler(group, delay=0.005)).run()


if __name__ == "__main__":
    asyncio.run(_main(*sys.argv[1:5]))


__all__ = ["count", "counter", "create_tables", "insert"]
