"""Bench: the hosted invoice and statement pages' p95 with 100,000 invoices in the database (issue 20).

    .venv/bin/python bench/hosted_page.py            # 5,000 customers, 100,000 invoices, each with its link
    .venv/bin/python bench/hosted_page.py --small    # 200 customers, 2,000 invoices: a smoke run

Invoicing runs as a process (uvicorn, as `make run` starts it) on a scratch database
(ARFLOW_TEST_DATABASE_URL, else an embedded PostgreSQL) and a Tansu broker. The bulk is written in
set-based SQL: customers, issued invoices over the last twelve months (three in five paid, with their
payment applications) and a hosted link for every invoice, as issuing makes one; each link's token is
the invoice id and a salt, so the bench knows the tokens while the database holds only their SHA-256,
as it does for real links. Statements are issued through the API (POST /statements) for a sample of the
customers, for the last whole month, and their links are those the answers hand out.

Each page is fetched --requests times one after another (after a warm-up) with one keep-alive httpx
client, as a browser would (Accept: text/html), over SAMPLE different links in turn; a bare FastAPI
hello under the same uvicorn command line is fetched the same way in between. Printed: p50 and p95 of
each page and p95 / hello p95. The issue's goal is p95 <= 200 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import httpx
from sqlalchemy import text

from arflow.auth import generate_key, hash_key
from arflow.db import Database
from arflow.devstack.broker import free_port
from arflow.devstack.platform import spawn_service
from arflow.testing import eventually
from arflow.testing.infrastructure import TestInfrastructure, spec

GOAL_MS = 200
SAMPLE = 20
TODAY = datetime.now(UTC).date()
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}

FILL = [
    """
    INSERT INTO customer (id, legal_name, short_name, time_zone, created_at, updated_at)
    SELECT gen_random_uuid(), '测试客户' || g || '号贸易有限公司', '客户' || g, 'Asia/Shanghai', now(), now()
    FROM generate_series(1, :customers) g
    """,
    """
    WITH c AS (SELECT array_agg(id ORDER BY id) AS ids, count(*) AS n FROM customer)
    INSERT INTO invoice (id, customer_id, number, status, currency, invoice_date, due_date, net_days,
                         subtotal, tax_total, total, amount_paid, paid_on, payment_reference, issued_at,
                         created_at, updated_at)
    SELECT gen_random_uuid(), c.ids[1 + g % c.n], 'BEN-2026-' || lpad(g::text, 7, '0'),
           CASE WHEN g % 5 < 3 THEN 'paid' ELSE 'open' END, 'CNY',
           CAST(:today AS date) - 365 + g % 360, CAST(:today AS date) - 335 + g % 360, 30,
           1000 + g % 9000, 0, 1000 + g % 9000,
           CASE WHEN g % 5 < 3 THEN 1000 + g % 9000 ELSE 0 END,
           CASE WHEN g % 5 < 3 THEN LEAST(CAST(:today AS date), CAST(:today AS date) - 335 + g % 360 + g % 40) END,
           'RF00' || g, now(), now(), now()
    FROM generate_series(1, :invoices) g, c
    """,
    """
    INSERT INTO invoice_line (id, invoice_id, position, description, quantity, unit_price, tax_rate,
                              net_amount, tax_amount, gross_amount)
    SELECT gen_random_uuid(), id, 1, '代理记账服务费', 1, total, 0, total, 0, total FROM invoice
    """,
    """
    INSERT INTO payment_application (id, payment_id, invoice_id, customer_id, amount, currency, applied_on, created_at)
    SELECT gen_random_uuid(), gen_random_uuid(), id, customer_id, total, currency, paid_on, now()
    FROM invoice WHERE status = 'paid'
    """,
    # Every issued invoice has its link; the token is the invoice id and the salt (only its SHA-256 is kept).
    """
    INSERT INTO hosted_invoice_link (invoice_id, token_sha256, expires_on, created_at)
    SELECT id, sha256(convert_to(id::text || :salt, 'UTF8')), CAST(:today AS date) + 30, now() FROM invoice
    """,
    "VACUUM ANALYZE customer",
    "VACUUM ANALYZE invoice",
    "VACUUM ANALYZE invoice_line",
    "VACUUM ANALYZE payment_application",
    "VACUUM ANALYZE hosted_invoice_link",
]

HELLO = """
import uvicorn
from fastapi import FastAPI
app = FastAPI()
@app.get("/hello")
async def hello() -> dict[str, str]:
    return {"hello": "world"}
uvicorn.run(app, host="127.0.0.1", port=int(__import__("sys").argv[1]), log_level="warning", access_log=False)
"""


def spawn_hello(port: int) -> subprocess.Popen[bytes]:
    """The bare hello under uvicorn, in a process of its own like the service."""
    return subprocess.Popen([sys.executable, "-c", HELLO, str(port)])


async def fill(db: Database, customers: int, invoices: int, salt: str) -> None:
    async with db.engine.connect() as conn:
        conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        for statement in FILL:
            params = {"customers": customers, "invoices": invoices, "today": TODAY, "salt": salt}
            await conn.execute(text(statement), params)


async def sample_invoices(db: Database, salt: str) -> list[str]:
    """SAMPLE invoice links, open and paid alike (the paid ones show the receipt)."""
    async with db.engine.connect() as conn:
        rows = await conn.execute(text("SELECT id FROM invoice ORDER BY md5(id::text) LIMIT :n"), {"n": SAMPLE})
        return [f"/i/{row.id}{salt}" for row in rows]


async def sample_statements(db: Database, base: str, key: str) -> list[str]:
    """Statements issued through the API for SAMPLE customers with lines last month: their links' paths."""
    async with db.engine.connect() as conn:
        rows = await conn.execute(
            text(
                """
                SELECT customer_id FROM invoice
                WHERE invoice_date >= date_trunc('month', CAST(:today AS date)) - interval '1 month'
                  AND invoice_date < date_trunc('month', CAST(:today AS date))
                GROUP BY customer_id ORDER BY count(*) DESC, customer_id LIMIT :n
                """
            ),
            {"today": TODAY, "n": SAMPLE},
        )
        customers = [str(row.customer_id) for row in rows]
    paths = []
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=60) as client:
        for customer_id in customers:
            issued = await client.post("/statements", json={"customer_id": customer_id})
            assert issued.status_code == 201, issued.text
            paths.append("/s/" + issued.json()["hosted_statement_url"].rsplit("/s/", 1)[1])
    return paths


async def timings(fetch: Callable[[int], Awaitable[httpx.Response]], requests: int) -> list[float]:
    for i in range(3):  # warm-up: pools, caches, the first template compile
        await fetch(i)
    seconds = []
    for i in range(requests):
        started = time.perf_counter()
        response = await fetch(i)
        seconds.append(time.perf_counter() - started)
        assert response.status_code == 200, (response.request.url, response.status_code, response.text[:300])
    return seconds


def p(seconds: list[float], q: int) -> float:
    return statistics.quantiles(seconds, n=100, method="inclusive")[q - 1] * 1000


async def _up(client: httpx.AsyncClient, url: str) -> bool:
    try:
        return (await client.get(url)).status_code == 200
    except httpx.HTTPError:
        return False


async def main(customers: int, invoices: int, requests: int) -> None:
    infra = TestInfrastructure.start()
    hello_port, port = free_port(), free_port()
    hello = spawn_hello(hello_port)
    invoicing = None
    try:
        salt = secrets.token_hex(8)
        db = Database(await infra.migrated_database(spec("invoicing")), pool_size=1)
        try:
            print(f"filling {customers:,} customers and {invoices:,} invoices (each with its link) ...", flush=True)
            started = time.perf_counter()
            await fill(db, customers, invoices, salt)
            print(f"  filled in {time.perf_counter() - started:.1f} s", flush=True)
            invoice_paths = await sample_invoices(db, salt)
            key = generate_key()
            env = {
                **infra.service_env(),
                "ARFLOW_API_KEYS": json.dumps([{"name": "bench", "sha256": hash_key(key), "scopes": ["*"]}]),
                "ARFLOW_JOBS_ENABLED": "false",
                "ARFLOW_LOG_LEVEL": "WARNING",
                "ARFLOW_HOSTED_PAGE_REQUESTS_PER_MINUTE": "1000000",  # one address makes every request
            }
            invoicing = spawn_service(spec("invoicing"), env, port=port)
            base = f"http://127.0.0.1:{port}"
            async with httpx.AsyncClient(timeout=30, headers=BROWSER) as plain:
                await eventually(lambda: _up(plain, f"{base}/readyz"), within=60, what="invoicing to be ready")
                await eventually(lambda: _up(plain, f"http://127.0.0.1:{hello_port}/hello"), within=30, what="hello")
                statement_paths = await sample_statements(db, base, key)
                pages: dict[str, Callable[[int], Awaitable[httpx.Response]]] = {
                    "/i/{token} (invoice page)": lambda i: plain.get(base + invoice_paths[i % len(invoice_paths)]),
                    "/s/{token} (statement page)": lambda i: plain.get(
                        base + statement_paths[i % len(statement_paths)]
                    ),
                    "/i/{token} English": lambda i: plain.get(
                        base + invoice_paths[i % len(invoice_paths)], params={"lang": "en"}
                    ),
                    "/s/{token} English": lambda i: plain.get(
                        base + statement_paths[i % len(statement_paths)], params={"lang": "en"}
                    ),
                    "/i/{token} unknown (404)": lambda i: plain.get(f"{base}/i/{secrets.token_urlsafe(32)}"),
                }
                figures: dict[str, list[float]] = {}
                hello_runs: list[float] = []
                for name, fetch in pages.items():
                    hello_runs += await timings(
                        lambda i: plain.get(f"http://127.0.0.1:{hello_port}/hello"), max(requests // 2, 20)
                    )
                    if "404" in name:
                        figures[name] = await _timed_404(fetch, requests)
                    else:
                        figures[name] = await timings(fetch, requests)
                    print(f"  {name}: p95 {p(figures[name], 95):.1f} ms", flush=True)
                rows = await _count(db)
        finally:
            await db.dispose()
        baseline = p(hello_runs, 95)
        print(
            f"\n{customers:,} customers, {rows['invoice']:,} invoices, {rows['hosted_invoice_link']:,} invoice links, "
            f"{rows['statement']} statements; {requests} requests per page, one at a time, over {SAMPLE} links"
        )
        print(f"{'page':30} {'p50 ms':>8} {'p95 ms':>8} {'p95/hello':>10}  goal p95 <= {GOAL_MS} ms")
        print(f"{'bare FastAPI hello':30} {p(hello_runs, 50):8.1f} {baseline:8.1f} {1:10.1f}x")
        for name, seconds in figures.items():
            p95 = p(seconds, 95)
            verdict = "met" if p95 <= GOAL_MS else "NOT met"
            print(f"{name:30} {p(seconds, 50):8.1f} {p95:8.1f} {p95 / baseline:10.1f}x  {verdict}")
    finally:
        if invoicing is not None:
            invoicing.terminate()
            invoicing.wait(10)
        hello.terminate()
        hello.wait(10)
        await infra.stop()


async def _timed_404(fetch: Callable[[int], Awaitable[httpx.Response]], requests: int) -> list[float]:
    seconds = []
    for i in range(requests + 3):
        started = time.perf_counter()
        response = await fetch(i)
        if i >= 3:
            seconds.append(time.perf_counter() - started)
        assert response.status_code == 404, response.status_code
    return seconds


async def _count(db: Database) -> dict[str, int]:
    async with db.engine.connect() as conn:
        return {
            table: int(await conn.scalar(text(f"SELECT count(*) FROM {table}")) or 0)
            for table in ("invoice", "hosted_invoice_link", "statement")
        }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", action="store_true", help="200 customers and 2,000 invoices, 30 requests a page")
    parser.add_argument("--requests", type=int, help="requests per page (200; 30 with --small)")
    args = parser.parse_args()
    size = (200, 2_000) if args.small else (5_000, 100_000)
    asyncio.run(main(*size, requests=args.requests or (30 if args.small else 200)))
