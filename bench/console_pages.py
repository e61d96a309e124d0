"""Bench: every console page's p95 on a seeded platform, next to a bare FastAPI hello measured in the same run.

    .venv/bin/python bench/console_pages.py            # 5,000 customers, 100,000 invoices (issue 19)
    .venv/bin/python bench/console_pages.py --quick    # 500 customers, 10,000 invoices, a minute or two
    .venv/bin/python bench/console_pages.py --quick --pages reports search?q=amount   # only pages naming these

It starts the five services and the console as processes (uvicorn, as `make run` does)
on scratch databases (ARFLOW_TEST_DATABASE_URL, else an embedded PostgreSQL) and a Tansu
broker. The bulk is written into invoicing's tables in set-based SQL (customers, issued
invoices over the last twelve months, three in five paid with their payment applications),
so invoicing's lists and reports run at the issue's size; no event is published for it, so
the other services know only the sample: 20 customers whose invoices are issued through the
API and swept overdue, so that dunning opens their cases (on the bench collector's worklist),
reconciliation projects them and credit-scoring scores them. Their 360 pages are the ones
timed: every section filled. Each sample customer has a 统一社会信用代码 (the USCC search),
a real MT940 from ../shared/samples is imported (the import's status page with its lines),
and a bank transfer from one sample customer that pays a little less than it owes waits in
待核对 with its suggestion (the allocation form).

A finance manager signs in to the console over HTTP (cookie, CSRF), and each page is fetched
--requests times one after another (after a warm-up) with one keep-alive httpx client; the
hello is a one-route FastAPI under the same uvicorn command line, fetched the same way, in
between. Printed: p50 and p95 per page, and p95 / hello p95. The issue's goal is p95 <= 300 ms.
With --backends, each call the reports page makes (invoicing's aging totals and monthly KPIs,
credit-scoring's portfolio, dunning's collector results) is also timed alone, with the bench's key.
A page that answers other than 200 is printed as failed (its status and the start of its body)
and the run goes on with the next one. Each figure is printed with the machine's load average
(os.getloadavg) when the page's requests ended: the machine is shared, and a figure read
without its load says little.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from console.reports import month_starts
from lxml import html
from sqlalchemy import text
from stdnum.cn import uscc

from arflow.auth import generate_key, hash_key
from arflow.db import Database
from arflow.devstack.broker import free_port
from arflow.testing import eventually
from arflow.testing.infrastructure import TestInfrastructure, spec
from arflow.testing.platform import service_processes

GOAL_MS = 300
SAMPLE = 20
TODAY = datetime.now(UTC).date()
STATEMENT = Path(__file__).resolve().parents[2] / "shared" / "samples" / "statements" / "mt940" / "jejik-ing.sta"

FILL = [
    """
    INSERT INTO customer (id, legal_name, short_name, time_zone, created_at, updated_at)
    SELECT gen_random_uuid(), '测试客户' || g || '号贸易有限公司', '客户' || g, 'Asia/Shanghai', now(), now()
    FROM generate_series(1, :customers) g
    """,
    """
    WITH c AS (SELECT array_agg(id) AS ids, count(*) AS n FROM customer)
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
    INSERT INTO payment_application (id, payment_id, invoice_id, customer_id, amount, currency, applied_on, created_at)
    SELECT gen_random_uuid(), gen_random_uuid(), id, customer_id, total, currency, paid_on, now()
    FROM invoice WHERE status = 'paid' AND number LIKE 'BEN-%'
    """,
    "VACUUM ANALYZE customer",
    "VACUUM ANALYZE invoice",
    "VACUUM ANALYZE payment_application",
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
    """The bare hello under uvicorn, in a process of its own like each service."""
    return subprocess.Popen([sys.executable, "-c", HELLO, str(port)])


async def fill(infra: TestInfrastructure, customers: int, invoices: int) -> None:
    db = Database(await infra.migrated_database(spec("invoicing")), pool_size=1)
    try:
        async with db.engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            for statement in FILL:
                await conn.execute(text(statement), {"customers": customers, "invoices": invoices, "today": TODAY})
    finally:
        await db.dispose()


async def seed_sample(urls: dict[str, str], key: str, collector: str) -> list[str]:
    """SAMPLE customers through the APIs: two invoices each, swept overdue, their cases given to `collector`."""
    auth = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(headers=auth, timeout=30) as client:
        put = await client.put(
            f"{urls['dunning']}/collectors/{collector}",
            json={"display_name": "基准催收员", "active": True, "rules": {"min_amount": "0.00", "max_amount": "0.01"}},
        )
        assert put.status_code in (200, 201), put.text
        ids = []
        for n in range(SAMPLE):
            made = await client.post(
                f"{urls['invoicing']}/customers",
                json={"legal_name": f"样本客户{n}号科技有限公司", "unified_social_credit_code": sample_uscc(n)},
                headers={"Idempotency-Key": secrets.token_hex(8)},
            )
            assert made.status_code == 201, made.text
            ids.append(made.json()["id"])
            for amount, day in (("2600.00", 90), ("1400.00", 50)):
                issued = await client.post(
                    f"{urls['invoicing']}/invoices",
                    json={
                        "customer_id": ids[-1],
                        "invoice_date": str(TODAY - timedelta(days=day)),
                        "net_days": 30,
                        "issue": True,
                        "lines": [{"description": "服务费", "unit_price": amount, "tax_rate": "0"}],
                    },
                    headers={"Idempotency-Key": secrets.token_hex(8)},
                )
                assert issued.status_code == 201, issued.text
        swept = await client.post(f"{urls['invoicing']}/admin/jobs/overdue-sweep/runs", json={})
        assert swept.status_code == 200, swept.text

        async def cases() -> list[dict[str, object]] | None:
            found = []
            for customer_id in ids:
                page = (await client.get(f"{urls['dunning']}/cases", params={"customer_id": customer_id})).json()
                found += page["data"]
            return found if len(found) >= SAMPLE else None

        for case in await eventually(cases, within=600, what="dunning cases of the sample"):
            await client.post(
                f"{urls['dunning']}/cases/{case['id']}/assignment", json={"collector": collector, "reason": "bench"}
            )

        async def scored() -> bool:
            answer = await client.get(f"{urls['credit-scoring']}/credit-files/{ids[-1]}/score")
            return answer.status_code == 200

        await eventually(scored, within=600, what="credit-scoring to score the sample")
    return ids


def sample_uscc(n: int) -> str:
    """The n-th sample customer's 统一社会信用代码 (valid, the check digit computed)."""
    first17 = f"91330100MA{n:07d}"
    return first17 + uscc.calc_check_digit(first17)


def camt053(amount: str, name: str) -> bytes:
    """A one-line camt.053: a transfer from `name` nobody has matched yet."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>
<Stmt><Id>{secrets.token_hex(6)}</Id><Acct><Id><IBAN>CN{secrets.randbelow(10**12)}</IBAN></Id></Acct>
<Ntry><Amt Ccy="CNY">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
<BookgDt><Dt>{TODAY}</Dt></BookgDt><AcctSvcrRef>{secrets.token_hex(8)}</AcctSvcrRef>
<NtryDtls><TxDtls><RltdPties><Dbtr><Nm>{name}</Nm></Dbtr><DbtrAcct><Id><Othr><Id>62220{secrets.randbelow(10**12):012d}</Id>
</Othr></Id></DbtrAcct></RltdPties><RmtInf><Ustrd></Ustrd></RmtInf></TxDtls></NtryDtls></Ntry></Stmt></BkToCstmrStmt>
</Document>""".encode()


async def seed_review(urls: dict[str, str], key: str) -> tuple[str, str]:
    """The MT940 sample imported, and a transfer from the first sample customer queued: (import id, payment id)."""
    auth = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(base_url=urls["reconciliation"], headers=auth, timeout=30) as client:

        async def imported(data: bytes, name: str) -> dict[str, object]:
            started = await client.post(
                "/statement-imports",
                files={"file": (name, data, "application/octet-stream")},
                headers={"Idempotency-Key": secrets.token_hex(8)},
            )
            assert started.status_code in (200, 202), started.text

            async def done() -> dict[str, object] | None:
                body: dict[str, object] = (await client.get(f"/statement-imports/{started.json()['id']}")).json()
                return body if body["status"] in ("succeeded", "failed") else None

            return await eventually(done, within=120, what=f"the import of {name}")

        sample = await imported(STATEMENT.read_bytes(), STATEMENT.name)
        queued = await imported(camt053("2500.00", "样本客户0号科技有限公司"), "queued.xml")
        [line] = (await client.get(f"/statement-imports/{queued['id']}/lines")).json()["data"]
        return str(sample["id"]), str(line["payment_id"])


async def person(urls: dict[str, str], key: str) -> tuple[str, str]:
    username, own = f"bench{secrets.token_hex(3)}", "基准测试口令 " + secrets.token_hex(6)
    async with httpx.AsyncClient(base_url=urls["people"], timeout=30) as people:
        made = await people.post(
            "/users",
            json={"username": username, "display_name": "基准经理", "roles": ["finance_manager"]},
            headers={"Authorization": f"Bearer {key}", "Idempotency-Key": secrets.token_hex(8)},
        )
        assert made.status_code == 201, made.text
        first = made.json()["initial_password"]
        signed = await people.post("/sessions", json={"username": username, "password": first})
        changed = await people.put(
            "/me/password",
            json={"current_password": first, "new_password": own},
            headers={"Authorization": f"Bearer {signed.json()['access_token']}"},
        )
        assert changed.status_code == 204, changed.text
    return username, own


async def signed_in_console(url: str, username: str, password: str) -> httpx.AsyncClient:
    client = httpx.AsyncClient(base_url=url, timeout=30, follow_redirects=False)
    start = await client.get("/")
    token = html.fromstring(start.text).xpath("//input[@name='csrf_token']/@value")[0]
    signed = await client.post("/sign-in", data={"username": username, "password": password, "csrf_token": token})
    assert signed.status_code == 303 and signed.headers["location"] == "/worklist", signed.text
    return client


class PageFailed(Exception):
    """A timed page answered other than 200: the run reports it and goes on."""


async def timings(fetch: Callable[[int], Awaitable[httpx.Response]], requests: int) -> list[float]:
    for i in range(3):  # warm-up: pools, caches, the first template compile
        await fetch(i)
    seconds = []
    for i in range(requests):
        started = time.perf_counter()
        response = await fetch(i)
        seconds.append(time.perf_counter() - started)
        if response.status_code != 200:
            raise PageFailed(f"{response.request.url}: {response.status_code} {response.text[:200]!r}")
    return seconds


def p(seconds: list[float], q: int) -> float:
    return statistics.quantiles(seconds, n=100, method="inclusive")[q - 1] * 1000


async def main(
    customers: int, invoices: int, requests: int, only: list[str] | None = None, backends: bool = False
) -> None:
    infra = TestInfrastructure.start()
    hello_port = free_port()
    hello = spawn_hello(hello_port)
    try:
        print(f"filling {customers:,} customers and {invoices:,} invoices into invoicing ...", flush=True)
        started = time.perf_counter()
        await fill(infra, customers, invoices)
        print(f"  filled in {time.perf_counter() - started:.1f} s", flush=True)
        key = generate_key()
        env = {
            "ARFLOW_API_KEYS": json.dumps([{"name": "bench", "sha256": hash_key(key), "scopes": ["*"]}]),
            "ARFLOW_SMTP_HOST": "127.0.0.1",
            "ARFLOW_SMTP_PORT": str(free_port()),  # no mail server: dunning's emails stay queued
            "ARFLOW_CONSOLE_SECRET": secrets.token_urlsafe(32),
        }
        async with service_processes(infra, env) as urls:
            username, password = await person(urls, key)
            print(f"seeding {SAMPLE} customers through the APIs ...", flush=True)
            sample = await seed_sample(urls, key, username)
            import_id, queued = await seed_review(urls, key)
            cases = await sample_cases(urls, key, sample)
            console = await signed_in_console(urls["console"], username, password)
            htmx = {"HX-Request": "true"}
            plain = httpx.AsyncClient(timeout=30)
            hello_url = f"http://127.0.0.1:{hello_port}/hello"
            await eventually(lambda: _up(plain, hello_url), within=30, what="the hello")
            pages: dict[str, Callable[[int], Awaitable[httpx.Response]]] = {
                "/ (sign-in page)": lambda i: plain.get(urls["console"] + "/"),
                "/worklist": lambda i: console.get("/worklist"),
                "/approvals": lambda i: console.get("/approvals"),
                "/review (待核对)": lambda i: console.get("/review"),
                "/customers/{id} (360)": lambda i: console.get(f"/customers/{sample[i % len(sample)]}"),
                "/worklist/{case} (panel)": lambda i: console.get(f"/worklist/{cases[i % len(cases)]}", headers=htmx),
                "/search?q=name": lambda i: console.get("/search", params={"q": f"测试客户{1 + i % 97}"}),
                "/search?q=USCC": lambda i: console.get("/search", params={"q": sample_uscc(i % SAMPLE)}),
                "/search?q=invoice number": lambda i: console.get(
                    "/search", params={"q": f"BEN-2026-{1 + i * 997 % invoices:07d}"}
                ),
                "/search?q=amount": lambda i: console.get("/search", params={"q": f"¥{1000 + i * 37 % 9000:,}.00"}),
                "/review/{id}/allocate": lambda i: console.get(f"/review/{queued}/allocate", headers=htmx),
                "/review/imports/{id}": lambda i: console.get(f"/review/imports/{import_id}", headers=htmx),
                "/reports (12 months)": lambda i: console.get("/reports"),
                "/reports/aging.csv": lambda i: console.get("/reports/aging.csv"),
                "/reports/collectors.xlsx": lambda i: console.get("/reports/collectors.xlsx"),
            }
            if only:
                pages = {name: fetch for name, fetch in pages.items() if any(word in name for word in only)}
            figures: dict[str, list[float]] = {}
            loads: dict[str, float] = {}
            failed: dict[str, str] = {}
            hello_runs: list[float] = []
            for name, fetch in pages.items():
                hello_runs += await timings(lambda i: plain.get(hello_url), max(requests // 2, 20))
                try:
                    figures[name] = await timings(fetch, requests)
                except PageFailed as failure:
                    failed[name] = str(failure)
                    print(f"  {name}: FAILED {failure}", flush=True)
                    continue
                loads[name] = os.getloadavg()[0]
                print(f"  {name}: p95 {p(figures[name], 95):.1f} ms (load {loads[name]:.2f})", flush=True)
            if backends:  # the twelve months the reports page asks for, as it asks
                first = str(month_starts(TODAY, 12)[0])
                figures.update(await backend_timings(urls, key, first, requests, loads))
            await console.aclose()
            await plain.aclose()
        baseline = p(hello_runs, 95)
        print(f"\n{customers:,} customers, {invoices:,} invoices; {requests} requests per page, one at a time")
        print(f"{'page':32} {'p50 ms':>8} {'p95 ms':>8} {'p95/hello':>10} {'load':>6}  goal p95 <= {GOAL_MS} ms")
        print(f"{'bare FastAPI hello':32} {p(hello_runs, 50):8.1f} {baseline:8.1f} {1:10.1f}x")
        for name, seconds in figures.items():
            p95 = p(seconds, 95)
            verdict = "met" if p95 <= GOAL_MS else "NOT met"
            print(f"{name:32} {p(seconds, 50):8.1f} {p95:8.1f} {p95 / baseline:10.1f}x {loads[name]:6.2f}  {verdict}")
        for name, why in failed.items():
            print(f"{name:32} FAILED  {why}")
    finally:
        hello.terminate()
        hello.wait(10)
        await infra.stop()


async def backend_timings(
    urls: dict[str, str], key: str, first: str, requests: int, loads: dict[str, float]
) -> dict[str, list[float]]:
    """The calls the reports page makes, each timed alone with the bench's key: where the page's time goes."""
    day = str(TODAY)
    calls = {
        "  invoicing /reports/aging totals": ("invoicing", "/reports/aging", {"as_of": day, "detail": "totals"}),
        "  invoicing /reports/kpis/monthly": ("invoicing", "/reports/kpis/monthly", {"from": first, "to": day}),
        "  credit-scoring /portfolio": ("credit-scoring", "/portfolio", {}),
        "  dunning /collector-results": ("dunning", "/collector-results", {"from": first, "to": day}),
    }
    out = {}
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {key}"}, timeout=30) as client:
        for name, (service, path, params) in calls.items():

            def fetch(i: int, url: str = urls[service] + path, q: dict[str, str] = params) -> Awaitable[httpx.Response]:
                return client.get(url, params=q)

            out[name] = await timings(fetch, requests)
            loads[name] = os.getloadavg()[0]
            print(f"  {name}: p95 {p(out[name], 95):.1f} ms (load {loads[name]:.2f})", flush=True)
    return out


async def sample_cases(urls: dict[str, str], key: str, customers: list[str]) -> list[str]:
    async with httpx.AsyncClient(base_url=urls["dunning"], headers={"Authorization": f"Bearer {key}"}) as client:
        found = []
        for customer_id in customers:
            found += [c["id"] for c in (await client.get("/cases", params={"customer_id": customer_id})).json()["data"]]
        return found


async def _up(client: httpx.AsyncClient, url: str) -> bool:
    try:
        return (await client.get(url)).status_code == 200
    except httpx.HTTPError:
        return False


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="500 customers and 10,000 invoices, 30 requests a page")
    parser.add_argument("--requests", type=int, help="requests per page (100; 30 with --quick)")
    parser.add_argument("--pages", nargs="+", metavar="WORD", help="time only the pages whose name holds one of these")
    parser.add_argument("--backends", action="store_true", help="also time each call the reports page makes, alone")
    args = parser.parse_args()
    size = (500, 10_000) if args.quick else (5_000, 100_000)
    requests = args.requests or (30 if args.quick else 100)
    asyncio.run(main(*size, requests=requests, only=args.pages, backends=args.backends))
