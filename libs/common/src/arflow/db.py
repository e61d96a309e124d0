"""Database access: URLs, engines, and the unit of work.

One PostgreSQL database per service. A unit of work is one transaction: it
commits only when the block finishes without error, and after the commit it
tells the outbox relay there is something to publish. The relay reads and marks
the outbox through a small engine of its own (`relay_engine`): when requests
hold every connection of the main pool (20 webhooks at once), an event would
otherwise wait for one of them to finish before it is published.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, cast

import asyncpg
from sqlalchemy import CursorResult, MetaData, Numeric, Result, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

# Money columns: NUMERIC(19, 4) holds every ISO 4217 minor unit (up to 4 decimals) exactly.
Amount = Numeric(19, 4)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def is_connection_failure(exc: BaseException) -> bool:
    """The database (or the way to it) failed, not the statement: worth retrying, never the caller's fault."""
    if isinstance(exc, OperationalError | InterfaceError):
        return True
    if isinstance(exc, DBAPIError) and (exc.connection_invalidated or _server_unavailable(exc.orig)):
        return True
    return isinstance(exc, ConnectionError | OSError)


# SQLSTATEs that say the server cannot serve anyone just now: a lost connection (class 08),
# no room for one more (class 53: too many clients, out of memory or disk), the server
# shutting down or starting up (57P01-57P03).
_UNAVAILABLE_CLASSES = ("08", "53")
_UNAVAILABLE_STATES = frozenset({"57P01", "57P02", "57P03"})


def _server_unavailable(orig: BaseException | None) -> bool:
    state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    return isinstance(state, str) and (state[:2] in _UNAVAILABLE_CLASSES or state in _UNAVAILABLE_STATES)


def rows_changed(result: Result[Any]) -> int:
    """Rows an UPDATE or DELETE changed: a session types every result as Result, but DML gives a CursorResult."""
    return int(cast("CursorResult[Any]", result).rowcount or 0)


def new_metadata() -> MetaData:
    """A MetaData with the house naming convention for constraints."""
    return MetaData(naming_convention=NAMING_CONVENTION)


def database_url(server_url: str, database: str, *, driver: str = "postgresql+asyncpg") -> URL:
    """The URL of `database` on the server named by `server_url` (socket host kept)."""
    return make_url(server_url).set(drivername=driver, database=database)


def asyncpg_dsn(url: URL) -> dict[str, object]:
    """Connection keywords for asyncpg from a SQLAlchemy URL (unix-socket aware)."""
    host = url.query.get("host") or url.host or "127.0.0.1"
    return {
        "user": url.username or "postgres",
        "password": url.password or None,
        "host": host if isinstance(host, str) else host[0],
        "port": url.port or 5432,
        "database": url.database,
    }


async def ensure_database(server_url: str, database: str) -> bool:
    """Create `database` if it is missing; True when it was created."""
    target = database_url(server_url, "postgres")
    conn = await asyncpg.connect(**asyncpg_dsn(target))
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database)
        if exists:
            return False
        try:
            await conn.execute(f'CREATE DATABASE "{database}"')
        except asyncpg.DuplicateDatabaseError:
            return False
        return True
    finally:
        await conn.close()


async def drop_database(server_url: str, database: str) -> None:
    conn = await asyncpg.connect(**asyncpg_dsn(database_url(server_url, "postgres")))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    finally:
        await conn.close()


# A pooled connection idle this long is pinged before it is handed out; one in steady use is not.
PING_AFTER_IDLE_SECONDS = 2.0


def ping_when_idle(engine: AsyncEngine, *, idle_seconds: float = PING_AFTER_IDLE_SECONDS) -> None:
    """Check a connection before use only when it has sat idle in the pool.

    SQLAlchemy's `pool_pre_ping` pings on every checkout, and with asyncpg a ping is three round trips
    (BEGIN, `;`, ROLLBACK): half of what a GET of one row costs. A connection checked in a moment ago
    was working then; one that sat idle (a restarted server, a killed backend, a NAT that forgot it) is
    pinged, and a failed ping makes the pool replace it before anyone sees the error. A connection that
    dies under load fails its statement once, and SQLAlchemy invalidates the whole pool on that error.
    A connection made a moment ago has just answered its start-up: it counts as checked in when it connected,
    so its first checkout (an overflow connection under load, a replacement) is not pinged either.
    """

    @event.listens_for(engine.sync_engine, "connect")
    def _connected(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        record.info["checked_in_at"] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkin")
    def _checked_in(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        record.info["checked_in_at"] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _checked_out(dbapi_connection: Any, record: ConnectionPoolEntry, proxy: Any) -> None:
        since = record.info.get("checked_in_at")
        if since is not None and time.monotonic() - since < idle_seconds:
            return
        try:
            dbapi_connection.ping()
        except Exception as exc:
            raise DisconnectionError("the pooled connection did not answer its ping") from exc


class Database:
    """An engine, a session factory, and the unit of work built on them."""

    def __init__(
        self,
        url: URL | str,
        *,
        pool_size: int = 10,
        echo: bool = False,
        ping_after_idle_seconds: float = PING_AFTER_IDLE_SECONDS,
    ) -> None:
        self.engine: AsyncEngine = create_async_engine(url, pool_size=pool_size, max_overflow=pool_size, echo=echo)
        ping_when_idle(self.engine, idle_seconds=ping_after_idle_seconds)
        self._relay_engine: AsyncEngine | None = None
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False, autoflush=True)
        self._after_commit: list[Callable[[], None]] = []
        self._after_commit_of: list[Callable[[dict[Any, Any]], None]] = []

    def on_commit(self, callback: Callable[[], None]) -> None:
        """Register a callback run after every unit of work that commits."""
        self._after_commit.append(callback)

    def on_commit_of(self, callback: Callable[[dict[Any, Any]], None]) -> None:
        """Register a callback given the committed session's `info`, where the unit of work noted what it did
        (so that a worker is woken only by the commits that concern it)."""
        self._after_commit_of.append(callback)

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[AsyncSession]:
        """A session in a transaction: committed on success, rolled back on error."""
        async with self.sessions() as session:
            async with session.begin():
                yield session
            for callback in self._after_commit:
                callback()
            for noted in self._after_commit_of:
                noted(session.info)

    @property
    def relay_engine(self) -> AsyncEngine:
        """The outbox relay's own connections, made on first use: one kept, more while a last batch at shutdown
        (or a test running several relays on one database) needs them.

        No ping on checkout: the relay retries a failed turn anyway, and a ping is one more round trip per turn.
        READ COMMITTED whatever the server's default: a relay let in after waiting for another replica's lock must
        read the outbox as that replica's batch left it, not as it was when its own transaction began.
        """
        if self._relay_engine is None:
            self._relay_engine = create_async_engine(
                self.engine.url, pool_size=1, max_overflow=3, isolation_level="READ COMMITTED"
            )
        return self._relay_engine

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self._relay_engine is not None:
            await self._relay_engine.dispose()
