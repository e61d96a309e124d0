"""Bench: issuing invoices through the REST API against a bare INSERT of the same rows.

    .venv/bin/python bench/invoicing_issue.py            # 100,000 invoices (the issue's size)
    .venv/bin/python bench/invoicing_issue.py --quick    # 500, well under a minute

The invoicing app runs in this process on a scratch database (ARFLOW_TEST_DATABASE_URL,
else an embedded PostgreSQL) and a fresh Tansu broker, with its outbox relay
publishing as it would in production. Concurrent clients POST /invoices with
issue=true (each gets its gapless number, RF reference, line amounts and an
InvoiceIssued in the outbox) through the full ASGI stack: auth, validation,
idempotency keys, problem handling. The baselines, in the same run: the same
invoice and line rows as plain multi-row INSERTs, the same rows with one commit
per invoice, the issue's limit - a bare FastAPI endpoint inserting the same invoice
and lines with asyncpg in one transaction, POSTed through the same client with the
same concurrency (target: the API at >= 0.5x its rate) - and the stack's floor
(GET /customers/{id}: the same auth, routing, session and commit around one SELECT).
Prints invoices/s, the ratios, and the SQL statements sent per invoice (round trips
are what an invoice costs most).

The gapless bound: the bare endpoint again, taking each invoice's number from one counter
row in its own transaction (as any issuer must that answers with a gapless number: the row
stays locked until the commit), and a bare asyncpg loop of one locked-row commit each. Printed
as gapless bound / bare endpoint (below 0.5x the target is impossible for any such API) and
api / gapless bound (what the API leaves of what is possible).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
from fastapi import FastAPI
from sqlalchemy import event, text

from arflow.audit.middleware import AuditMiddleware
from arflow.auth import generate_key, hash_key
from arflow.clock import FixedClock
from arflow.db import Database, asyncpg_dsn
from arflow.testing.infrastructure import TestInfrastructure, spec
from invoicing.config import InvoicingSettings
from invoicing.main import create_app

# httpx's in-process transport asks `import sniffio` on every request to see whether trio runs; sniffio is
# not installed here, so each request paid a failed import (a path scan, ~7% of the run) that is the
# client's cost, not the API's. Registering it as absent answers at once (the same ImportError).
sys.modules.setdefault("sniffio", None)  # type: ignore[assignment]


def body(customer_id: str, n: int) -> dict:
    return {
        "customer_id": customer_id,
        "invoice_date": "2026-01-05",
        "net_days": 30,
        "issue": True,
        "lines": [
            {"description": f"代理记账服务费 2026年1月 #{n}", "unit_price": "300.00", "tax_rate": "0.06"},
            {"description": "工商年报", "quantity": "1", "unit_price": "100.00", "tax_rate": "0.06"},
        ],
    }


async def through_api(client: httpx.AsyncClient, customers: list[str], count: int, concurrency: int) -> float:
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(count):
        queue.put_nowait(n)

    async def worker() -> None:
        while not queue.empty():
            n = queue.get_nowait()
            response = await client.post(
                "/invoices", json=body(customers[n % len(customers)], n), headers={"Idempotency-Key": str(uuid.uuid4())}
            )
            assert response.status_code == 201, response.text

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - started


async def stack_floor(client: httpx.AsyncClient, customer_id: str, count: int, concurrency: int) -> float:
    """GET /customers/{id} as often: the same auth, routing, session, one SELECT and a commit, no invoice work."""
    remaining = count

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            response = await client.get(f"/customers/{customer_id}")
            assert response.status_code == 200, response.text

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - started


_BARE_INVOICE = """INSERT INTO invoice (id, customer_id, number, status, currency, invoice_date, due_date, net_days,
    subtotal, tax_total, total, payment_reference, created_at, updated_at)
    VALUES ($1, $2, $3, 'open', 'CNY', DATE '2026-01-05', DATE '2026-02-04', 30, 400, 24, 424, $3, now(), now())"""
_BARE_LINE = """INSERT INTO invoice_line (id, invoice_id, position, description, quantity, unit_price,
    tax_rate, net_amount, tax_amount, gross_amount) VALUES ($1, $2, $3, $4, 1, $5, 0.06, $5, $6, $7)"""


def bare_endpoint(pool: asyncpg.Pool) -> FastAPI:
    """The issue's limit: FastAPI parsing the same body, asyncpg inserting the invoice and its lines, one commit."""
    app = FastAPI()

    @app.post("/invoices", status_code=201)
    async def create(body: dict[str, Any]) -> dict[str, str]:
        invoice_id = uuid.uuid4()
        lines = [
            (uuid.uuid4(), invoice_id, n, line["description"], 300, 18, 318)
            for n, line in enumerate(body["lines"], start=1)
        ]
        async with pool.acquire() as conn, conn.transaction():
            await conn.execute(_BARE_INVOICE, invoice_id, uuid.UUID(body["customer_id"]), f"BARE-E-{invoice_id}")
            await conn.executemany(_BARE_LINE, lines)
        return {"id": str(invoice_id)}

    return app


_COUNTER = "bench_gapless_counter"
_NEXT_NUMBER = f"UPDATE {_COUNTER} SET value = value + 1 WHERE id = 1 RETURNING value"


def gapless_endpoint(pool: asyncpg.Pool) -> FastAPI:
    """The bare endpoint plus the least a gapless number costs: the next value of one counter row, taken in the
    invoice's own transaction (so a rollback leaves no gap), which holds the row's lock until the commit. Every
    issuer waits its turn on that row: any API that answers with its number is bounded by this."""
    app = FastAPI()

    @app.post("/invoices", status_code=201)
    async def create(body: dict[str, Any]) -> dict[str, str]:
        invoice_id = uuid.uuid4()
        lines = [
            (uuid.uuid4(), invoice_id, n, line["description"], 300, 18, 318)
            for n, line in enumerate(body["lines"], start=1)
        ]
        async with pool.acquire() as conn, conn.transaction():
            number = await conn.fetchval(_NEXT_NUMBER)
            await conn.execute(_BARE_INVOICE, invoice_id, uuid.UUID(body["customer_id"]), f"BARE-G-{number}")
            await conn.executemany(_BARE_LINE, lines)
        return {"id": str(invoice_id)}

    return app


async def locked_row_loop(db: Database, count: int, concurrency: int) -> float:
    """Commits/s of `concurrency` bare asyncpg clients each taking the counter row's next value in a transaction
    of its own (no HTTP, no invoice): the rate one locked row allows at all on this server."""
    dsn = asyncpg_dsn(db.engine.url)
    remaining = count
    async with asyncpg.create_pool(**dsn, min_size=concurrency, max_size=concurrency) as pool:

        async def worker() -> None:
            nonlocal remaining
            async with pool.acquire() as conn:
                while remaining > 0:
                    remaining -= 1
                    async with conn.transaction():
                        await conn.fetchval(_NEXT_NUMBER)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return count / (time.perf_counter() - started)


async def through_bare_endpoint(
    db: Database, customers: list[str], count: int, concurrency: int, *, gapless: bool = False
) -> float:
    dsn = asyncpg_dsn(db.engine.url)
    async with asyncpg.create_pool(**dsn, min_size=concurrency, max_size=concurrency) as pool:
        if gapless:
            await pool.execute(f"CREATE TABLE IF NOT EXISTS {_COUNTER} (id int PRIMARY KEY, value bigint NOT NULL)")
            await pool.execute(f"INSERT INTO {_COUNTER} VALUES (1, 0) ON CONFLICT DO NOTHING")
        transport = httpx.ASGITransport(app=(gapless_endpoint if gapless else bare_endpoint)(pool))
        async with httpx.AsyncClient(transport=transport, base_url="http://bare") as client:
            await through_api(client, customers, min(200, count), concurrency)  # warm-up
            return await through_api(client, customers, count, concurrency)


async def bare_insert(db: Database, customers: list[str], count: int, batch: int = 1000, offset0: int = 0) -> float:
    """The same invoice and line rows, as plain multi-row INSERTs in batches (no numbering, no events)."""
    started = time.perf_counter()
    for offset in range(offset0, offset0 + count, batch):
        invoices, lines = [], []
        for n in range(offset, min(offset0 + count, offset + batch)):
            invoice_id = uuid.uuid4()
            invoices.append(
                {"id": invoice_id, "customer_id": uuid.UUID(customers[n % len(customers)]), "number": f"BARE-{n}"}
            )
            lines.append(
                {
                    "id": uuid.uuid4(),
                    "invoice_id": invoice_id,
                    "position": 1,
                    "d": f"代理记账 #{n}",
                    "p": 300,
                    "t": 18,
                    "g": 318,
                }
            )
            lines.append(
                {
                    "id": uuid.uuid4(),
                    "invoice_id": invoice_id,
                    "position": 2,
                    "d": "工商年报",
                    "p": 100,
                    "t": 6,
                    "g": 106,
                }
            )
        async with db.engine.begin() as conn:
            await conn.execute(
                text(
                    """INSERT INTO invoice (id, customer_id, number, status, currency, invoice_date, due_date, net_days,
                       subtotal, tax_total, total, payment_reference, created_at, updated_at)
                       VALUES (:id, :customer_id, :number, 'open', 'CNY', DATE '2026-01-05', DATE '2026-02-04', 30,
                       400, 24, 424, :number, now(), now())"""
                ),
                invoices,
            )
            await conn.execute(
                text(
                    """INSERT INTO invoice_line (id, invoice_id, position, description, quantity, unit_price,
                       tax_rate, net_amount, tax_amount, gross_amount)
                       VALUES (:id, :invoice_id, :position, :d, 1, :p, 0.06, :p, :t, :g)"""
                ),
                lines,
            )
    return time.perf_counter() - started


async def audit_cost(
    settings: InvoicingSettings, key: str, customers: list[str], count: int, concurrency: int
) -> tuple[float, float]:
    """Seconds to issue `count` invoices with the audit trail and without it (the same app built without its
    AuditMiddleware: no context, so nothing is recorded), in alternating rounds on the same database."""
    plain = create_app(settings=settings, clock=FixedClock(datetime(2026, 1, 5, 2, tzinfo=UTC)))
    plain.user_middleware = [m for m in plain.user_middleware if m.cls is not AuditMiddleware]
    audited = create_app(settings=settings, clock=FixedClock(datetime(2026, 1, 5, 2, tzinfo=UTC)))
    times = {"audited": 0.0, "plain": 0.0}
    async with plain.router.lifespan_context(plain), audited.router.lifespan_context(audited):
        clients = {
            name: httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app),
                base_url="http://invoicing",
                headers={"Authorization": f"Bearer {key}"},
            )
            for name, app in (("audited", audited), ("plain", plain))
        }
        rounds = 4
        for _ in range(rounds):
            for name in ("audited", "plain"):
                times[name] += await through_api(clients[name], customers, count // rounds, concurrency)
        for client in clients.values():
            await client.aclose()
    return times["audited"], times["plain"]


async def main(count: int, concurrency: int) -> None:
    infra = TestInfrastructure.start()
    key = generate_key()
    try:
        await infra.migrated_database(spec("invoicing"))
        settings = InvoicingSettings(
            database_url=infra.server_url,
            database_prefix=infra.prefix,
            kafka_bootstrap=infra.bootstrap,
            api_keys=json.dumps([{"name": "bench", "sha256": hash_key(key), "scopes": ["*"]}]),
            jobs_enabled=False,
            log_level="WARNING",
            database_pool_size=concurrency,
        )
        app = create_app(settings=settings, clock=FixedClock(datetime(2026, 1, 5, 2, tzinfo=UTC)))
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://invoicing", headers={"Authorization": f"Bearer {key}"}
            ) as client:
                customers = []
                for n in range(20):
                    response = await client.post("/customers", json={"legal_name": f"客户{n}有限公司"})
                    customers.append(response.json()["id"])
                await through_api(client, customers, min(200, count), concurrency)  # warm-up
                print(f"issuing {count:,} invoices through the API with {concurrency} concurrent clients ...")
                statements = 0

                def counted(*_: object) -> None:
                    nonlocal statements
                    statements += 1

                # every statement the app sends while issuing (the outbox relay's included): round trips
                # are what an invoice costs most on a small machine, so the figure explains the ratio
                event.listen(app.state.db.engine.sync_engine, "before_cursor_execute", counted)
                api = await through_api(client, customers, count, concurrency)
                event.remove(app.state.db.engine.sync_engine, "before_cursor_execute", counted)
                reads = min(count, 5_000)
                floor = await stack_floor(client, customers[0], reads, concurrency)
                endpoint = await through_bare_endpoint(app.state.db, customers, count, concurrency)
                gapless = await through_bare_endpoint(app.state.db, customers, count, concurrency, gapless=True)
                locked = await locked_row_loop(app.state.db, max(count, 2_000), concurrency)
            audited, plain = await audit_cost(settings, key, customers, min(count, 2_000), concurrency)
            baseline = await bare_insert(app.state.db, customers, count)
            # the same rows again, one transaction (one commit) per invoice, as an API call needs
            single = min(count, 2_000)
            per_commit = await bare_insert(app.state.db, customers, single, batch=1, offset0=count)
            async with app.state.db.engine.connect() as conn:
                numbers = await conn.scalar(
                    text("SELECT count(DISTINCT number) FROM invoice WHERE number LIKE 'INV-%'")
                )
        print(f"api       {count:,} invoices issued       {api:8.2f} s  {count / api:10,.0f} invoices/s")
        print(f"baseline  bare INSERT of the same rows {baseline:8.2f} s  {count / baseline:10,.0f} invoices/s")
        rate = single / per_commit
        print(
            f"baseline  bare INSERT, one commit per invoice ({single:,})  {per_commit:8.2f} s  {rate:10,.0f} invoices/s"
        )
        print(
            f"baseline  bare FastAPI + asyncpg insert endpoint {endpoint:8.2f} s  {count / endpoint:10,.0f} invoices/s"
        )
        print(
            f"bound     bare endpoint + gapless counter row {gapless:8.2f} s  {count / gapless:10,.0f} invoices/s"
            "  (the same endpoint taking its number from one locked row in its transaction)"
        )
        print(f"bound     one locked counter row, bare asyncpg, a commit each  {locked:10,.0f} commits/s")
        print(f"ratio     api / bare insert endpoint = {endpoint / api:.2f}x its rate  (target >= 0.5x)")
        bound = endpoint / gapless
        verdict = (
            "the target is impossible for any API that numbers gaplessly in the request"
            if bound < 0.5
            else "the target is within the gapless bound"
        )
        print(f"ratio     gapless bound / bare insert endpoint = {bound:.2f}x  ({verdict})")
        print(f"ratio     api / gapless bound = {gapless / api:.2f}x its rate")
        print(f"ratio     api / bare insert = {api / baseline:.1f}x slower  ({numbers:,} distinct INV numbers)")
        print(
            f"sql       {statements / count:.1f} statements per invoice through the API (relay included;"
            " plus BEGIN, COMMIT and the pool's ping)"
        )
        ratio = (api / count) / (per_commit / single)
        print(f"ratio     api / bare insert with one commit per invoice = {ratio:.1f}x slower")
        print(
            f"floor     GET /customers/{{id}} through the same stack ({reads:,})  {floor:8.2f} s"
            f"  {reads / floor:10,.0f} requests/s"
        )
        print(f"ratio     api / the stack's floor = {(api / count) / (floor / reads):.1f}x slower")
        issued = min(count, 2_000)
        print(
            f"audit     {issued:,} invoices with the audit trail {audited:8.2f} s, without {plain:8.2f} s:"
            f" +{(audited / plain - 1) * 100:.1f}% per write (target <= 10%)"
        )
    finally:
        await infra.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="500 invoices instead of 100,000")
    parser.add_argument("--invoices", type=int)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    asyncio.run(main(args.invoices or (500 if args.quick else 100_000), args.concurrency))
