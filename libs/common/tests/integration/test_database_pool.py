"""A pooled connection is pinged only after it sat idle, and a dead one is replaced before anyone sees it."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_connection
from sqlalchemy.exc import DBAPIError

from arflow.db import Database, asyncpg_dsn
from arflow.testing.infrastructure import TestInfrastructure


async def backend_pid(db: Database) -> int:
    async with db.unit_of_work() as session:
        return int(await session.scalar(text("SELECT pg_backend_pid()")) or 0)


async def terminate(db: Database, pid: int) -> None:
    conn = await asyncpg.connect(**asyncpg_dsn(db.engine.url))
    try:
        assert await conn.fetchval("SELECT pg_terminate_backend($1)", pid)
    finally:
        await conn.close()


async def scratch(infra: TestInfrastructure, *, idle: float) -> Database:
    return Database(
        await infra.scratch_database(f"pool_{uuid.uuid4().hex[:6]}"), pool_size=1, ping_after_idle_seconds=idle
    )


async def test_a_connection_killed_while_idle_is_replaced_on_checkout(infra: TestInfrastructure) -> None:
    db = await scratch(infra, idle=0.2)
    try:
        first = await backend_pid(db)
        await terminate(db, first)
        await asyncio.sleep(0.3)
        assert await backend_pid(db) not in (0, first)  # the ping failed, the pool connected afresh
    finally:
        await db.dispose()


async def test_a_connection_just_made_is_not_pinged_on_its_first_checkout(
    infra: TestInfrastructure, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fresh connection (the pool's first, an overflow one under load, a replacement) has just answered its
    start-up; pinging it would be three more round trips. One left idle past the window is pinged."""
    pings = 0
    ping = AsyncAdapt_asyncpg_connection.ping

    def counted(self: AsyncAdapt_asyncpg_connection) -> None:
        nonlocal pings
        pings += 1
        ping(self)  # type: ignore[no-untyped-call]

    monkeypatch.setattr(AsyncAdapt_asyncpg_connection, "ping", counted)
    db = await scratch(infra, idle=0.3)
    try:
        await backend_pid(db)
        assert pings == 0
        await asyncio.sleep(0.4)
        await backend_pid(db)
        assert pings == 1
    finally:
        await db.dispose()


async def test_a_connection_in_steady_use_is_not_pinged(infra: TestInfrastructure) -> None:
    """Within the idle window no ping runs: the statement itself meets the dead connection (what the ping
    saves under load is the three round trips it costs on every checkout)."""
    db = await scratch(infra, idle=60.0)
    try:
        first = await backend_pid(db)
        await terminate(db, first)
        with pytest.raises(DBAPIError):
            await backend_pid(db)
        assert await backend_pid(db) != first  # that failure invalidated it: the next checkout connects afresh
    finally:
        await db.dispose()
