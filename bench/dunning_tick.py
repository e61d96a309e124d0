"""Bench: the dunning tick over N open cases against a bare INSERT of one action per case.

    .venv/bin/python bench/dunning_tick.py            # 10,000 open cases
    .venv/bin/python bench/dunning_tick.py --quick    # 1,000, well under a minute

It migrates a scratch dunning database (ARFLOW_TEST_DATABASE_URL, else an
embedded PostgreSQL), fills it with open cases that each took the overdue
notice and have their follow-up due on the "as of" day (tier B: due date + 7),
then times in the same run:

  baseline  INSERT INTO dunning_action ... SELECT, one bare row per open case
            (the least any tick must write)
  tick      the service's tick as the job runs it (a transaction per batch of
            cases): per case, the ladder chosen, the guardrails checked, the
            step taken (an email action with its details, DunningEscalated
            through the outbox)
  no-op     the same tick again an hour later: every case waits for its
            next rung (the SMS on day 10), so it plans and takes nothing

and prints seconds, cases per second, SQL statements per case (an executemany
counts once), the ratio tick / baseline and the issue 17 target (>= 1,000
cases/s).
"""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event, text

from arflow.clock import FixedClock
from arflow.db import Database
from arflow.logging import configure_logging
from arflow.testing.infrastructure import TestInfrastructure, spec
from dunning.config import DunningSettings
from dunning.deps import SYSTEM
from dunning.ladder.service import seed_default_policies
from dunning.ladder.tick import TICK_BATCH_SIZE, run_tick

AS_OF = datetime(2026, 3, 8, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, due date + 7

FILL = [
    """
    INSERT INTO customer (id, revision, legal_name, preferred_language, time_zone, contacts, updated_at)
    SELECT gen_random_uuid(), 1, 'bench customer ' || g, 'zh-CN', 'Asia/Shanghai',
           jsonb_build_array(jsonb_build_object('name', '王芳', 'role', 'billing',
                                                'email', 'c' || g || '@example.cn', 'language', 'zh-CN')),
           now()
    FROM generate_series(1, :cases) g
    """,
    """
    INSERT INTO dunning_case (id, customer_id, currency, status, level, opened_at, updated_at,
                              anchor_date, last_contact_at)
    SELECT gen_random_uuid(), id, 'CNY', 'open', 1, now(), now(), DATE '2026-03-01', TIMESTAMPTZ '2026-03-02 02:00Z'
    FROM customer
    """,
    """
    INSERT INTO dunning_case_item (id, case_id, invoice_id, invoice_number, currency, amount_due, due_date,
                                   days_overdue, bucket, payment_reference, status, overdue, balance_observed_at,
                                   created_at, updated_at)
    SELECT gen_random_uuid(), id, gen_random_uuid(), 'INV-2026-' || substr(id::text, 1, 8), 'CNY', 1060,
           DATE '2026-03-01', 1, '1-30', 'RF18' || substr(id::text, 1, 8), 'open', true, now(), now(), now()
    FROM dunning_case
    """,
    """
    INSERT INTO dunning_action (id, case_id, customer_id, step, level, channel, template, invoice_ids,
                                amount_overdue, currency, details, status, outcome, attempts, created_at)
    SELECT gen_random_uuid(), c.id, c.customer_id, 'overdue_notice', 1, 'email', 'overdue_notice',
           ARRAY[i.invoice_id], 1060, 'CNY', '{}', 'sent', 'sent', 1, TIMESTAMPTZ '2026-03-02 02:00Z'
    FROM dunning_case c JOIN dunning_case_item i ON i.case_id = c.id
    """,
]
BASELINE = """
    INSERT INTO dunning_action (id, case_id, customer_id, step, level, channel, template, invoice_ids,
                                amount_overdue, currency, details, status, attempts, created_at)
    SELECT gen_random_uuid(), id, customer_id, 'baseline', 2, 'email', 'follow_up', '{}', 1060, 'CNY', '{}',
           'cancelled', 0, now()
    FROM dunning_case WHERE status = 'open'
"""


class StatementCounter:
    """Counts the SQL statements the engine sends (an executemany counts once: one statement, many rows)."""

    def __init__(self, db: Database) -> None:
        self.count = 0
        event.listen(db.engine.sync_engine, "before_cursor_execute", self._seen)

    def _seen(self, *_: Any) -> None:
        self.count += 1


async def tick(
    db: Database, as_of: datetime, settings: DunningSettings, counter: StatementCounter
) -> tuple[float, int, dict[str, Any]]:
    """One run as the job runs it: the run's session, each batch of cases in a transaction of its own."""
    clock = FixedClock(as_of)
    before = counter.count
    started = time.perf_counter()
    async with db.unit_of_work() as session:
        result = await run_tick(
            session, clock=clock, as_of=as_of, settings=settings, transaction=db.unit_of_work, actor=SYSTEM
        )
    return time.perf_counter() - started, counter.count - before, result


async def main(cases: int) -> None:
    configure_logging("dunning", level="WARNING", fmt="json")  # as the service logs, minus per-step lines
    infra = TestInfrastructure.start()
    try:
        url = await infra.migrated_database(spec("dunning"))
        db = Database(url, pool_size=2)
        async with db.unit_of_work() as session:
            await seed_default_policies(session, clock=FixedClock(AS_OF), actor=SYSTEM)
        print(f"filling {cases:,} open cases ...", flush=True)
        started = time.perf_counter()
        async with db.engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            for statement in FILL:
                await conn.execute(text(statement), {"cases": cases})
            for table in ("customer", "dunning_case", "dunning_case_item", "dunning_action"):
                await conn.execute(text(f"VACUUM ANALYZE {table}"))
        print(f"  filled in {time.perf_counter() - started:.1f} s")

        counter = StatementCounter(db)
        async with db.engine.begin() as conn:
            started = time.perf_counter()
            inserted = (await conn.execute(text(BASELINE))).rowcount
            baseline = time.perf_counter() - started
            await conn.rollback()
        settings = DunningSettings()
        ticked, tick_sql, result = await tick(db, AS_OF, settings, counter)
        noop, noop_sql, again = await tick(db, AS_OF + timedelta(hours=1), settings, counter)
        await db.dispose()

        taken = result["cases"].get("executed:email", 0)
        rate, noop_rate, bare = cases / ticked, cases / noop, inserted / baseline
        print(f"batches   {TICK_BATCH_SIZE} cases per transaction")
        print(f"baseline  bare INSERT of {inserted:,} actions      {baseline:8.2f} s  {bare:10,.0f} cases/s")
        print(
            f"tick      {taken:,} follow-ups taken             {ticked:8.2f} s  {rate:10,.0f} cases/s"
            f"  {tick_sql / cases:6.3f} SQL statements a case ({tick_sql:,})"
        )
        print(
            f"no-op     {again['cases']}  {noop:8.2f} s  {noop_rate:10,.0f} cases/s"
            f"  {noop_sql / cases:6.3f} SQL statements a case ({noop_sql:,})"
        )
        print(f"ratio     tick / baseline = {rate / bare:.3f} (tick takes {ticked / baseline:.0f}x the bare INSERT)")
        print(f"target    tick >= 1,000 cases/s: {'PASS' if rate >= 1_000 else 'FAIL'} ({rate:,.0f})")
        assert taken == cases, result
        assert again["cases"].get("wait") == cases, again
    finally:
        await infra.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="1,000 cases instead of 10,000")
    parser.add_argument("--cases", type=int)
    args = parser.parse_args()
    asyncio.run(main(args.cases or (1_000 if args.quick else 10_000)))
