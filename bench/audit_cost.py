"""Bench: what the audit trail and authorization add to invoicing's writes (issue 18: at most 10%).

    .venv/bin/python bench/audit_cost.py            # 400 of each write per configuration
    .venv/bin/python bench/audit_cost.py --quick    # 40 of each, a smoke run

The invoicing app runs in this process on a scratch database (ARFLOW_TEST_DATABASE_URL, else an embedded
PostgreSQL) and a fresh Tansu broker. Each write - create a customer, change one, credit part of an invoice,
write one off, void one - is sent in alternating rounds through three builds of the same app on the same
database:

  person   a signed-in user's token (verified per request) and the audit trail: what a person in the
           console costs;
  key      an integration's API key and the audit trail;
  bare     the API key, the app built without its AuditMiddleware (no context, so nothing is recorded).

Authorization cannot be taken out of a route (every route depends on its scope), so its own cost is timed
apart: the scope dependency called alone, for a key and for a token, in microseconds, beside a write's mean.
Prints seconds per configuration, the ratios person/bare and key/bare per write, the SQL statements a write
sends with the audit trail and without it (the outbox relay's included: under load the seconds wander, the
statements do not), and the share of a write that authorization takes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import event
from starlette.requests import Request

from arflow.audit.middleware import AuditMiddleware
from arflow.auth import generate_key, hash_key, require_scope
from arflow.clock import FixedClock
from arflow.testing.infrastructure import TEST_SIGNING_KEY, TestInfrastructure, spec
from arflow.testing.tokens import person
from invoicing.config import InvoicingSettings
from invoicing.main import create_app

sys.modules.setdefault("sniffio", None)  # type: ignore[assignment]  # see bench/invoicing_issue.py

NOW = datetime(2026, 1, 5, 2, tzinfo=UTC)
CONFIGURATIONS = ("person", "key", "bare")
Write = Callable[[httpx.AsyncClient, int], Awaitable[httpx.Response]]


def invoice_body(customer_id: str) -> dict[str, Any]:
    return {
        "customer_id": customer_id,
        "invoice_date": "2026-01-05",
        "net_days": 30,
        "issue": True,
        "lines": [{"description": "代理记账服务费 2026年1月", "unit_price": "100.00"}],
    }


class Subjects:
    """What the writes act on, made beforehand so each write does one thing: customers to change, invoices to
    credit, write off and void (each invoice is used once)."""

    def __init__(self) -> None:
        self.customers: list[str] = []
        self.invoices: dict[str, list[str]] = {"credit": [], "write_off": [], "void": []}

    async def make(self, client: httpx.AsyncClient, per_write: int) -> None:
        for n in range(20):
            response = await client.post("/customers", json={"legal_name": f"审计基准客户{n}有限公司"})
            assert response.status_code == 201, response.text
            self.customers.append(response.json()["id"])
        for kind, ids in self.invoices.items():
            for n in range(per_write):
                response = await client.post("/invoices", json=invoice_body(self.customers[n % 20]))
                assert response.status_code == 201, f"{kind}: {response.text}"
                ids.append(response.json()["id"])

    def writes(self) -> dict[str, Write]:
        def taken(kind: str) -> Callable[[], str]:
            return self.invoices[kind].pop

        next_credit, next_write_off, next_void = taken("credit"), taken("write_off"), taken("void")

        async def create_customer(client: httpx.AsyncClient, n: int) -> httpx.Response:
            return await client.post("/customers", json={"legal_name": f"新客户{uuid.uuid4().hex[:8]}有限公司"})

        async def change_customer(client: httpx.AsyncClient, n: int) -> httpx.Response:
            body = {"short_name": f"简称{n}", "tags": [f"批次{n % 7}"]}
            return await client.patch(f"/customers/{self.customers[n % len(self.customers)]}", json=body)

        async def credit(client: httpx.AsyncClient, n: int) -> httpx.Response:
            body = {"amount": "10.00", "reason": "服务未完成部分"}
            return await client.post(f"/invoices/{next_credit()}/credit-notes", json=body)

        async def write_off(client: httpx.AsyncClient, n: int) -> httpx.Response:
            return await client.post(f"/invoices/{next_write_off()}/write-off", json={"reason": "客户注销"})

        async def void(client: httpx.AsyncClient, n: int) -> httpx.Response:
            return await client.post(f"/invoices/{next_void()}/void", json={"reason": "开错客户"})

        return {
            "create customer": create_customer,
            "change customer": change_customer,
            "credit note": credit,
            "write-off": write_off,
            "void": void,
        }


async def timed(client: httpx.AsyncClient, write: Write, count: int, concurrency: int, start: int) -> float:
    remaining = list(range(start, start + count))

    async def worker() -> None:
        while remaining:
            response = await write(client, remaining.pop())
            assert response.status_code in (200, 201), response.text

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - started


async def authorization_cost(app: FastAPI, key: str, calls: int) -> dict[str, float]:
    """Microseconds per call of the scope dependency alone, for an API key and a sign-in token."""
    dependency = require_scope("invoicing:write")
    token = person("bench-finance", {"invoicing:write"}, now=NOW)["Authorization"]
    costs = {}
    for name, header in (("key", f"Bearer {key}"), ("person", token)):
        scope = {"type": "http", "app": app, "headers": [(b"authorization", header.encode())], "method": "POST"}
        request = Request(scope)
        await dependency(request, None)  # the verifier is built once per app, on the first token
        started = time.perf_counter()
        for _ in range(calls):
            await dependency(request, None)
        costs[name] = (time.perf_counter() - started) / calls * 1e6
    return costs


async def main(per_write: int, concurrency: int, rounds: int) -> None:
    infra = TestInfrastructure.start()
    key = generate_key()
    try:
        await infra.migrated_database(spec("invoicing"))
        settings = InvoicingSettings(
            database_url=infra.server_url,
            database_prefix=infra.prefix,
            kafka_bootstrap=infra.bootstrap,
            api_keys=json.dumps([{"name": "bench", "sha256": hash_key(key), "scopes": ["*"]}]),
            token_public_key=TEST_SIGNING_KEY[1],
            jobs_enabled=False,
            log_level="WARNING",
            database_pool_size=concurrency,
        )
        apps = {name: create_app(settings=settings, clock=FixedClock(NOW)) for name in CONFIGURATIONS}
        apps["bare"].user_middleware = [m for m in apps["bare"].user_middleware if m.cls is not AuditMiddleware]
        signed_in = person("bench-finance", {"invoicing:read", "invoicing:write"}, now=NOW)
        by_key = {"Authorization": f"Bearer {key}"}
        headers = {"person": signed_in, "key": by_key, "bare": by_key}
        async with (
            apps["person"].router.lifespan_context(apps["person"]),
            apps["key"].router.lifespan_context(apps["key"]),
            apps["bare"].router.lifespan_context(apps["bare"]),
        ):
            clients = {
                name: httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=app), base_url="http://invoicing", headers=headers[name]
                )
                for name, app in apps.items()
            }
            subjects = Subjects()
            # every configuration uses `per_write` subjects of each kind, plus a warm-up round's worth
            await subjects.make(clients["key"], per_write * len(CONFIGURATIONS) + concurrency * len(CONFIGURATIONS))
            writes = subjects.writes()
            for write in writes.values():  # warm-up: each build's first requests build caches and connections
                for name in CONFIGURATIONS:
                    await timed(clients[name], write, concurrency, concurrency, 0)
            seconds = {write: dict.fromkeys(CONFIGURATIONS, 0.0) for write in writes}
            statements = {write: dict.fromkeys(CONFIGURATIONS, 0) for write in writes}
            counting: list[str] = []  # the write being timed: its statements are counted

            def counter(name: str) -> Callable[..., None]:
                def counted(*_: object) -> None:
                    if counting:
                        statements[counting[0]][name] += 1

                return counted

            for name, app in apps.items():
                event.listen(app.state.db.engine.sync_engine, "before_cursor_execute", counter(name))
            per_round = max(1, per_write // rounds)
            for r in range(rounds):
                for write_name, write in writes.items():
                    order = CONFIGURATIONS if r % 2 == 0 else tuple(reversed(CONFIGURATIONS))
                    for name in order:
                        start = 1_000 + r * per_round
                        counting.append(write_name)
                        seconds[write_name][name] += await timed(clients[name], write, per_round, concurrency, start)
                        counting.clear()
            authorization = await authorization_cost(apps["key"], key, 2_000)
            for client in clients.values():
                await client.aclose()
        done = per_round * rounds
        load = os.getloadavg()[0]
        print(
            f"machine   {os.cpu_count()} cores, load {load:.1f}; {done} of each write per build, {concurrency} at once"
        )
        worst = 0.0
        for write_name, by in seconds.items():
            person_ratio = by["person"] / by["bare"] - 1
            key_ratio = by["key"] / by["bare"] - 1
            worst = max(worst, person_ratio, key_ratio)
            print(
                f"write     {write_name:16s} person {by['person']:6.2f} s  key {by['key']:6.2f} s"
                f"  bare {by['bare']:6.2f} s  {done / by['bare']:7.0f}/s bare"
                f"  audit+person {person_ratio * 100:+6.1f}%  audit+key {key_ratio * 100:+6.1f}%"
                f"  sql {statements[write_name]['key'] / done:.1f} vs {statements[write_name]['bare'] / done:.1f}"
            )
        mean_write_us = sum(by["bare"] for by in seconds.values()) / (len(seconds) * done) * 1e6 * concurrency
        print(
            f"authz     scope check alone: key {authorization['key']:.0f} µs, sign-in token"
            f" {authorization['person']:.0f} µs per request; a bare write takes {mean_write_us:,.0f} µs of wall time"
            f" at {concurrency} at once ({authorization['person'] / mean_write_us * 100:.1f}% for a token)"
        )
        print(f"ratio     worst audit + authorization over bare = {worst * 100:+.1f}% per write (target <= 10%)")
    finally:
        await infra.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="40 of each write instead of 400")
    parser.add_argument("--writes", type=int, help="how many of each write per build")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    asyncio.run(main(args.writes or (40 if args.quick else 400), args.concurrency, args.rounds))
