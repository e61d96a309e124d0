"""Bench: the overdue sweep over N open invoices against a bare UPDATE of the same rows.

    .venv/bin/python bench/invoicing_sweep.py            # 1,000,000 open invoices (the issue's size)
    .venv/bin/python bench/invoicing_sweep.py --quick    # 50,000, well under a minute

It migrates a scratch invoicing database (ARFLOW_TEST_DATABASE_URL, else an
embedded PostgreSQL), fills it with open invoices that are all past due on the
"as of" day, then times in the same run:

  baseline  UPDATE invoice SET updated_at = ... over the same open, past-due rows
  sweep     the service's sweep: every (invoice, threshold) recorded in
            overdue_notice and one InvoiceOverdue envelope per row written to the
            outbox, in one set-based statement
  re-run    the same sweep again (it must find nothing new)

and prints seconds, rows per second and the ratio sweep / baseline (target ≤ 2).
"""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import UTC, datetime

from sqlalchemy import text

from arflow.clock import FixedClock
from arflow.db import Database
from arflow.testing.infrastructure import TestInfrastructure, spec
from invoicing.deps import SYSTEM
from invoicing.invoices.service import sweep_due_and_overdue

AS_OF = datetime(2026, 1, 25, 2, 0, tzinfo=UTC)  # 2026-01-25 in Shanghai

FILL = [
    """
    INSERT INTO customer (id, legal_name, time_zone, created_at, updated_at)
    SELECT gen_random_uuid(), 'bench customer ' || g, 'Asia/Shanghai', now(), now()
    FROM generate_series(1, :customers) g
    """,
    """
    WITH c AS (SELECT array_agg(id) AS ids, count(*) AS n FROM customer)
    INSERT INTO invoice (id, customer_id, number, status, currency, invoice_date, due_date, net_days,
                         subtotal, tax_total, total, payment_reference, created_at, updated_at)
    SELECT gen_random_uuid(), c.ids[1 + g % c.n], 'INV-2025-' || lpad(g::text, 7, '0'), 'open', 'CNY',
           DATE '2025-12-01' + g % 20, DATE '2026-01-01' + g % 20, 30,
           300, 18, 318, 'RF00' || g, now(), now()
    FROM generate_series(1, :invoices) g, c
    """,
    "VACUUM ANALYZE customer",
    "VACUUM ANALYZE invoice",
]
BASELINE = """
    UPDATE invoice SET updated_at = now()
    WHERE status IN ('open', 'uncollectible') AND due_date < DATE '2026-01-25'
"""


async def timed(db: Database, statement: str, **params: object) -> tuple[float, int]:
    async with db.engine.begin() as conn:
        started = time.perf_counter()
        result = await conn.execute(text(statement), params)
        return time.perf_counter() - started, result.rowcount


async def sweep(db: Database) -> tuple[float, dict]:
    clock = FixedClock(AS_OF)
    async with db.unit_of_work() as session:
        started = time.perf_counter()
        result = await sweep_due_and_overdue(session, actor=SYSTEM, clock=clock, as_of=AS_OF, due_soon_days=3)
        elapsed = time.perf_counter() - started
    return elapsed, result


async def vacuum(db: Database, *tables: str) -> None:
    async with db.engine.connect() as conn:
        conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        for table in tables:
            await conn.execute(text(f"VACUUM ANALYZE {table}"))


async def main(invoices: int, customers: int) -> None:
    infra = TestInfrastructure.start()
    try:
        url = await infra.migrated_database(spec("invoicing"))
        db = Database(url, pool_size=2)
        print(f"filling {invoices:,} open invoices of {customers:,} customers ...", flush=True)
        started = time.perf_counter()
        async with db.engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            for statement in FILL:
                await conn.execute(text(statement), {"customers": customers, "invoices": invoices})
        print(f"  filled in {time.perf_counter() - started:.1f} s")

        baseline, updated = await timed(db, BASELINE)
        await vacuum(db, "invoice")
        swept, result = await sweep(db)
        rerun, again = await sweep(db)
        async with db.engine.connect() as conn:
            outbox = await conn.scalar(text("SELECT count(*) FROM outbox_message"))
        await db.dispose()

        print(f"baseline  bare UPDATE of {updated:,} rows  {baseline:8.2f} s  {updated / baseline:12,.0f} rows/s")
        rate = result["notices"] / swept
        label = f"{result['notices']:,} notices + {outbox:,} outbox rows"
        print(f"sweep     {label}  {swept:8.2f} s  {rate:12,.0f} invoices/s")
        print(f"re-run    {again['notices']:,} new notices            {rerun:8.2f} s")
        print(f"ratio     sweep / baseline = {swept / baseline:.2f}x  (target <= 2x)")
        assert result["notices"] == invoices and again["notices"] == 0 and outbox == invoices
    finally:
        await infra.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="50,000 invoices instead of 1,000,000")
    parser.add_argument("--invoices", type=int)
    args = parser.parse_args()
    n = args.invoices or (50_000 if args.quick else 1_000_000)
    asyncio.run(main(n, customers=max(10, n // 100)))
