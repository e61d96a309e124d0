"""Bench P1: signed webhook → PaymentReceived → InvoicePaid → dunning case resolved → credit file updated.

    .venv/bin/python bench/pipeline.py            # 1,000 payments, 50 at a time
    .venv/bin/python bench/pipeline.py --quick    # 200 payments, about a minute

It starts the four services as processes (uvicorn, as `make run` does) on their own
databases (ARFLOW_TEST_DATABASE_URL, else an embedded PostgreSQL) and a Tansu broker,
issues N invoices to N customers, sweeps them ten days overdue so that dunning opens a
case on each, then sends one genuine signed Stripe `payment_intent.succeeded` per
invoice with the given concurrency, as a gateway would (resent until answered 2xx).

Per payment it times each stage from the moment its callback was sent, reading when
each service recorded it: accepted (the 2xx), PaymentReceived (reconciliation's outbox),
InvoicePaid (invoicing's outbox), case resolved (dunning's DunningResolved), credit file
(credit-scoring's inbox taking the InvoicePaid). It prints payments/s end to end and
p50/p95/p99 per stage, and, in the same run, the limits they are measured against: raw
aiokafka produce→consume on the same broker and a bare asyncpg INSERT on the same
server, each platform figure as a ratio. Per hop of an event between services it splits
the time in two: relay (the outbox row written to the broker's ack, its sent_at; the row
is dated when its transaction began, so a long transaction counts here) and consume
(the ack to the consumer's transaction, its inbox row). Then it verifies through the APIs
that every payment was applied exactly once (each invoice paid, amount paid = total,
ledger ties).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import time
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import psutil
import stripe
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from arflow.auth import hash_key
from arflow.devstack.broker import free_port
from arflow.devstack.platform import SERVICES, spawn_service
from arflow.messaging.kafka import ensure_topics
from arflow.testing import eventually
from arflow.testing.infrastructure import TestInfrastructure
from arflow.testing.smtp import SmtpSink

SECRET = "whsec_bench_" + secrets.token_hex(8)
STAGES = ("accepted", "PaymentReceived", "InvoicePaid", "case resolved", "credit file")


class Discard(io.StringIO):
    """Where the services' own output goes: the bench prints only its figures."""

    def write(self, text: str) -> int:
        return len(text)


class Platform:
    def __init__(self, infra: TestInfrastructure, api_key: str) -> None:
        self.infra, self.api_key = infra, api_key
        self.ports = {spec.name: free_port() for spec in SERVICES}
        self.processes: list[subprocess.Popen[str]] = []
        self.mail = SmtpSink()

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    async def start(self) -> None:
        self.mail.start()
        for spec in SERVICES:
            await self.infra.migrated_database(spec)
        env = {
            **self.infra.service_env(),
            "ARFLOW_API_KEYS": json.dumps([{"name": "bench", "sha256": hash_key(self.api_key), "scopes": ["*"]}]),
            "ARFLOW_JOBS_ENABLED": "false",
            "ARFLOW_LOG_LEVEL": "ERROR",
            "ARFLOW_STRIPE_WEBHOOK_SECRET": SECRET,
            "ARFLOW_SMTP_HOST": "127.0.0.1",
            # A real mail server (aiosmtpd): the setup's notices are sent, not retried during the measurement.
            "ARFLOW_SMTP_PORT": str(self.mail.port),
        }
        quiet = Discard()
        self.processes = [spawn_service(spec, env, port=self.ports[spec.name], output=quiet) for spec in SERVICES]
        async with httpx.AsyncClient(timeout=2) as client:
            for spec in SERVICES:

                async def ready(url: str = self.url(spec.name)) -> bool:
                    try:
                        return (await client.get(f"{url}/readyz")).status_code == 200
                    except httpx.HTTPError:
                        return False

                await eventually(ready, within=90, what=f"{spec.name} to be ready")

    def stop(self) -> None:
        self.mail.stop()
        for process in self.processes:
            process.send_signal(signal.SIGINT)
        for process in self.processes:
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()

    def database(self, service: str) -> str:
        return f"{self.infra.server_url.rsplit('/', 1)[0]}/{self.infra.database_name(service)}"


class Usage:
    """Each service's peak resident memory while the payments flow (sampled every 250 ms), and the CPU time
    it spent on them: with 2 cores, the CPU a payment costs across the services bounds the rate at all."""

    def __init__(self, platform: Platform) -> None:
        self.processes = {
            spec.name: psutil.Process(p.pid) for spec, p in zip(SERVICES, platform.processes, strict=True)
        }
        self.peak = dict.fromkeys(self.processes, 0)
        self.cpu = dict.fromkeys(self.processes, 0.0)
        self._task: asyncio.Task[None] | None = None

    def _cpu_seconds(self) -> dict[str, float]:
        return {name: sum(p.cpu_times()[:2]) for name, p in self.processes.items()}

    async def _sample(self) -> None:
        while True:
            for name, process in self.processes.items():
                with contextlib.suppress(psutil.Error):
                    self.peak[name] = max(self.peak[name], process.memory_info().rss)
            await asyncio.sleep(0.25)

    def __enter__(self) -> Usage:
        self._started = self._cpu_seconds()
        self._task = asyncio.create_task(self._sample())
        return self

    def __exit__(self, *exc: object) -> None:
        if self._task is not None:
            self._task.cancel()
        ended = self._cpu_seconds()
        self.cpu = {name: ended[name] - self._started[name] for name in ended}


class Profiles:
    """py-spy recording each service while the payments flow (`--profile DIR`): one flame graph per service,
    and the functions that take the most of each service's samples, printed at the end."""

    def __init__(self, platform: Platform, directory: str | None) -> None:
        self.platform, self.directory = platform, directory
        self.recorders: dict[str, subprocess.Popen[bytes]] = {}

    def __enter__(self) -> Profiles:
        spy = shutil.which("py-spy")
        if self.directory is None:
            return self
        if spy is None:
            raise SystemExit("--profile needs py-spy on the PATH (requirements-dev.txt pins it)")
        for spec, process in zip(SERVICES, self.platform.processes, strict=True):
            if spec.name in ("console", "people"):
                continue
            self.recorders[spec.name] = subprocess.Popen(
                [
                    spy,
                    "record",
                    "--nonblocking",
                    "--format",
                    "raw",
                    "--rate",
                    "50",
                    "-p",
                    str(process.pid),
                    "-o",
                    f"{self.directory}/{spec.name}.txt",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        return self

    def __exit__(self, *exc: object) -> None:
        for recorder in self.recorders.values():
            recorder.send_signal(signal.SIGINT)
        for recorder in self.recorders.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                recorder.wait(20)

    def print_top(self, n: int = 10) -> None:
        """Per service: where its CPU went by library (each sample's innermost frame), and the arflow
        functions with the largest inclusive share (stacks a greenlet runs SQLAlchemy in count too)."""
        libraries = ("sqlalchemy", "asyncpg", "aiokafka", "pydantic", "fastapi", "starlette", "uvicorn", "arflow")
        for name in self.recorders:
            by_library: dict[str, int] = {}
            inclusive: dict[str, int] = {}
            total = 0
            with contextlib.suppress(FileNotFoundError), open(f"{self.directory}/{name}.txt") as raw:
                for line in raw:
                    stack, _, count = line.rstrip().rpartition(" ")
                    samples, frames = int(count), stack.split(";")
                    total += samples
                    where = frames[-1].rpartition(" (")[2]
                    library = next((lib for lib in libraries if where.startswith(lib)), None)
                    if library is None:
                        library = "the service" if where.startswith(name.replace("-", "_")) else "other"
                    by_library[library] = by_library.get(library, 0) + samples
                    own = {
                        f"{f.partition(' (')[0]} ({f.rpartition(' (')[2].split(':')[0]})"
                        for f in frames
                        if f.rpartition(" (")[2].startswith(("arflow/", name.replace("-", "_") + "/"))
                    }
                    for frame in own:
                        inclusive[frame] = inclusive.get(frame, 0) + samples
            if not total:
                continue
            split = ", ".join(f"{lib} {c / total:.0%}" for lib, c in sorted(by_library.items(), key=lambda kv: -kv[1]))
            print(f"  {name} ({total:,} samples): {split}")
            for frame, share in sorted(inclusive.items(), key=lambda kv: -kv[1])[:n]:
                print(f"    {share / total:6.1%}  {frame}")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def issue_invoices(platform: Platform, n: int) -> list[dict[str, Any]]:
    headers = {"Authorization": f"Bearer {platform.api_key}"}
    invoices: list[dict[str, Any]] = []
    async with httpx.AsyncClient(base_url=platform.url("invoicing"), headers=headers, timeout=30) as client:
        limit = asyncio.Semaphore(20)

        async def one(i: int) -> None:
            async with limit:
                name = f"压测客户{i:05d}有限公司"
                customer = await client.post(
                    "/customers",
                    json={
                        "legal_name": name,
                        "external_reference": secrets.token_hex(6),
                        "contacts": [{"name": "财务", "email": f"ap{i}@example.cn"}],
                    },
                )
                assert customer.status_code == 201, customer.text
                body = {
                    "customer_id": customer.json()["id"],
                    "invoice_date": "2026-03-01",
                    "net_days": 30,
                    "issue": True,
                    "lines": [{"description": "代理记账服务费", "unit_price": f"{300 + i % 500}.00"}],
                }
                issued = await client.post("/invoices", json=body)
                assert issued.status_code == 201, issued.text
                invoices.append({**issued.json(), "legal_name": name})

        await asyncio.gather(*(one(i) for i in range(n)))
        swept = await client.post("/admin/jobs/overdue-sweep/runs", json={"as_of": "2026-04-10T02:00:00Z"})
        assert swept.status_code == 200, swept.text
    return invoices


async def wait_for_cases(platform: Platform, n: int) -> None:
    dunning = await asyncpg.connect(platform.database("dunning"))
    reconciliation = await asyncpg.connect(platform.database("reconciliation"))
    try:

        async def ready() -> bool:
            cases = await dunning.fetchval("SELECT count(*) FROM dunning_case WHERE status = 'open'")
            items = await reconciliation.fetchval("SELECT count(*) FROM open_item")
            return bool(cases >= n and items >= n)

        await eventually(ready, within=600, interval=0.5, what="a case per customer and reconciliation's open items")
    finally:
        await dunning.close()
        await reconciliation.close()


async def wait_until_quiet(platform: Platform) -> float:
    """Wait until the setup's events have all been consumed, so that the payments are measured alone: every
    outbox published, no consumer behind its topics, and no service's consumed-events count moving for two
    seconds (a batch counts when it commits). Seconds waited."""
    started = time.perf_counter()
    last, still = -1.0, 0
    async with httpx.AsyncClient(timeout=5) as client:
        while still < 4:
            pending, consumed = 0.0, 0.0
            for spec in SERVICES:
                if not spec.has_database:
                    continue
                for line in (await client.get(f"{platform.url(spec.name)}/metrics")).text.splitlines():
                    if line.startswith("#"):
                        continue
                    name, _, value = line.rpartition(" ")
                    if name.endswith("_outbox_pending_messages") or "_consumer_lag_messages{" in name:
                        pending += float(value)
                    elif "_events_consumed_total{" in name:
                        consumed += float(value)
            still = still + 1 if pending == 0 and consumed == last else 0
            last = consumed
            await asyncio.sleep(0.5)
    return time.perf_counter() - started


def stripe_callback(invoice: dict[str, Any]) -> str:
    minor = int(Decimal(invoice["total"]) * 100)
    return json.dumps(
        {
            "id": f"evt_{secrets.token_hex(8)}",
            "type": "payment_intent.succeeded",
            "created": int(time.time()),
            "data": {
                "object": {
                    "id": f"pi_{secrets.token_hex(8)}",
                    "amount": minor,
                    "amount_received": minor,
                    "currency": "cny",
                    "metadata": {"invoice_number": invoice["number"], "customer_name": invoice["legal_name"]},
                }
            },
        }
    )


async def send_payments(platform: Platform, invoices: list[dict[str, Any]], concurrency: int) -> dict[str, Any]:
    sent_at: dict[str, float] = {}
    accepted: dict[str, float] = {}
    limit = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(base_url=platform.url("reconciliation"), timeout=30) as client:

        async def one(invoice: dict[str, Any]) -> None:
            payload = stripe_callback(invoice)
            async with limit:
                sent_at[invoice["customer_id"]] = time.time()
                while True:
                    header = stripe.WebhookSignature.generate_signature_header(
                        payload, SECRET, timestamp=int(time.time())
                    )
                    try:
                        response = await client.post(
                            "/webhooks/stripe",
                            content=payload,
                            headers={"Stripe-Signature": header, "Content-Type": "application/json"},
                        )
                        if response.is_success:
                            accepted[invoice["customer_id"]] = time.time()
                            return
                    except httpx.HTTPError:
                        pass
                    await asyncio.sleep(0.5)

        started = time.time()
        await asyncio.gather(*(one(invoice) for invoice in invoices))
    return {"sent_at": sent_at, "accepted": accepted, "started": started}


async def stage_times(platform: Platform, n: int) -> dict[str, dict[str, float]]:
    """When each service recorded each customer's payment (epoch seconds), once all have."""
    reconciliation = await asyncpg.connect(platform.database("reconciliation"))
    invoicing = await asyncpg.connect(platform.database("invoicing"))
    dunning = await asyncpg.connect(platform.database("dunning"))
    credit = await asyncpg.connect(platform.database("credit-scoring"))
    try:

        async def outbox(conn: asyncpg.Connection, event_type: str) -> dict[str, float]:
            rows = await conn.fetch(
                "SELECT key, min(created_at) AS at FROM outbox_message WHERE event_type = $1 GROUP BY key", event_type
            )
            return {r["key"]: r["at"].timestamp() for r in rows}

        async def credit_file() -> dict[str, float]:
            paid = await invoicing.fetch("SELECT event_id, key FROM outbox_message WHERE event_type = 'InvoicePaid'")
            by_event = {r["event_id"]: r["key"] for r in paid}
            rows = await credit.fetch(
                "SELECT event_id, received_at FROM inbox_message WHERE event_type = 'InvoicePaid'"
            )
            return {by_event[r["event_id"]]: r["received_at"].timestamp() for r in rows if r["event_id"] in by_event}

        found: dict[str, dict[str, float]] = {}

        async def complete() -> bool:
            found["PaymentReceived"] = await outbox(reconciliation, "PaymentReceived")
            found["InvoicePaid"] = await outbox(invoicing, "InvoicePaid")
            found["case resolved"] = await outbox(dunning, "DunningResolved")
            found["credit file"] = await credit_file()
            return all(len(times) >= n for times in found.values())

        await eventually(complete, within=1800, interval=0.5, what="every payment through every stage")
        return found
    finally:
        for conn in (reconciliation, invoicing, dunning, credit):
            await conn.close()


HOPS = (  # (publisher, event type, consumer): the four hops of a payment
    ("reconciliation", "PaymentReceived", "invoicing"),
    ("invoicing", "InvoicePaid", "dunning"),
    ("invoicing", "InvoicePaid", "credit-scoring"),
)


async def hop_times(platform: Platform) -> dict[str, dict[str, list[float]]]:
    """Per hop, how long each event waited for the relay (commit to broker ack, read as the outbox row's
    created_at to its sent_at) and for the consumer (ack to the consumer's transaction, its inbox row)."""
    hops: dict[str, dict[str, list[float]]] = {}
    for publisher, event_type, consumer in HOPS:
        source = await asyncpg.connect(platform.database(publisher))
        target = await asyncpg.connect(platform.database(consumer))
        try:
            sent = await source.fetch(
                "SELECT event_id, created_at, sent_at FROM outbox_message"
                " WHERE event_type = $1 AND sent_at IS NOT NULL",
                event_type,
            )
            received = {
                r["event_id"]: r["received_at"]
                for r in await target.fetch(
                    "SELECT event_id, received_at FROM inbox_message WHERE event_type = $1", event_type
                )
            }
        finally:
            await source.close()
            await target.close()
        hops[f"{event_type} → {consumer}"] = {
            "relay": [(r["sent_at"] - r["created_at"]).total_seconds() for r in sent],
            "consume": [
                (received[r["event_id"]] - r["sent_at"]).total_seconds() for r in sent if r["event_id"] in received
            ],
        }
    return hops


def print_hops(hops: dict[str, dict[str, list[float]]]) -> None:
    print("per hop: relay = outbox row to broker ack, consume = ack to the consumer's transaction")
    for hop, parts in hops.items():
        figures = "  ".join(
            f"{part} p50 {statistics.median(times) * 1000:5.0f} p99 {percentile(times, 99) * 1000:5.0f} ms"
            for part, times in parts.items()
            if times
        )
        print(f"  {hop:<30} {figures}")


async def verify_exactly_once(platform: Platform, invoices: list[dict[str, Any]]) -> None:
    headers = {"Authorization": f"Bearer {platform.api_key}"}
    async with httpx.AsyncClient(base_url=platform.url("invoicing"), headers=headers, timeout=30) as client:
        limit = asyncio.Semaphore(20)

        async def state(invoice: dict[str, Any]) -> dict[str, Any]:
            async with limit:
                body: dict[str, Any] = (await client.get(f"/invoices/{invoice['id']}")).json()
                return body

        final = await asyncio.gather(*(state(i) for i in invoices))
    wrong = [i["number"] for i in final if i["status"] != "paid" or Decimal(i["amount_paid"]) != Decimal(i["total"])]
    assert not wrong, f"not applied exactly once: {wrong[:10]}"
    assert sum(Decimal(i["amount_paid"]) for i in final) == sum(Decimal(i["total"]) for i in invoices)


async def raw_kafka(bootstrap: str, n: int) -> float:
    """Messages per second produced and consumed on the broker with no database."""
    topic = f"bench.raw.{uuid.uuid4().hex[:6]}"
    await ensure_topics(bootstrap, [topic], partitions=3)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, group_id=f"raw-{uuid.uuid4().hex[:6]}", auto_offset_reset="earliest"
    )
    await producer.start()
    await consumer.start()
    try:
        started = time.perf_counter()
        sends = [await producer.send(topic, b"x" * 600, key=str(i % 100).encode()) for i in range(n)]
        await asyncio.gather(*sends)
        seen = 0
        while seen < n:
            batches = await consumer.getmany(timeout_ms=500, max_records=500)
            seen += sum(len(r) for r in batches.values())
        return n / (time.perf_counter() - started)
    finally:
        await producer.stop()
        await consumer.stop()


async def bare_insert(server_url: str, n: int, concurrency: int) -> float:
    """Rows per second a bare asyncpg INSERT commits, with the same concurrency."""
    url = server_url.replace("postgresql+asyncpg", "postgresql")
    pool = await asyncpg.create_pool(url, min_size=min(4, concurrency), max_size=concurrency)
    table = f"bench_bare_{uuid.uuid4().hex[:6]}"
    try:
        await pool.execute(f"CREATE TABLE {table} (id uuid PRIMARY KEY, payload jsonb, created_at timestamptz)")
        limit = asyncio.Semaphore(concurrency)

        async def one() -> None:
            async with limit:
                await pool.execute(
                    f"INSERT INTO {table} VALUES ($1, $2, now())", uuid.uuid4(), json.dumps({"amount": "300.00"})
                )

        started = time.perf_counter()
        await asyncio.gather(*(one() for _ in range(n)))
        return n / (time.perf_counter() - started)
    finally:
        await pool.execute(f"DROP TABLE IF EXISTS {table}")
        await pool.close()


def spawn_hello(port: int) -> subprocess.Popen[bytes]:
    """bench/http_get.py's bare FastAPI hello, under uvicorn as a service runs."""
    command = [sys.executable, "-m", "uvicorn", "http_get:hello_app", "--factory", "--app-dir"]
    command += [str(Path(__file__).parent), "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    return subprocess.Popen([*command, "--no-access-log"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def bare_hello(n: int, concurrency: int) -> float:
    """Requests/s a bare FastAPI hello under the same uvicorn answers to this bench's HTTP client."""
    port = free_port()
    hello = spawn_hello(port)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:

            async def up() -> bool:
                try:
                    return (await client.get("/hello")).status_code == 200
                except httpx.HTTPError:
                    return False

            await eventually(up, within=30, what="the bare hello to answer")
            limit = asyncio.Semaphore(concurrency)

            async def one() -> None:
                async with limit:
                    assert (await client.get("/hello")).status_code == 200

            started = time.perf_counter()
            await asyncio.gather(*(one() for _ in range(n)))
            return n / (time.perf_counter() - started)
    finally:
        hello.terminate()
        hello.wait(10)


async def main(n: int, concurrency: int, profile: str | None) -> None:
    infra = TestInfrastructure.start()
    platform = Platform(infra, secrets.token_urlsafe(24))
    try:
        print(f"starting the platform; {n:,} customers and invoices, swept overdue ...", flush=True)
        await platform.start()
        invoices = await issue_invoices(platform, n)
        await wait_for_cases(platform, n)
        settled = await wait_until_quiet(platform)
        print(f"the setup's events all consumed after {settled:.0f} s more", flush=True)
        print(f"sending {n:,} signed Stripe callbacks, {concurrency} at a time ...", flush=True)
        with Usage(platform) as usage, Profiles(platform, profile) as profiles:
            sent = await send_payments(platform, invoices, concurrency)
            found = await stage_times(platform, n)
        finished = max(found["credit file"].values())
        await verify_exactly_once(platform, invoices)

        sent_at = sent["sent_at"]
        rows = {"accepted": sent["accepted"], **found}
        print(f"\nP1 pipeline, {n:,} payments, concurrency {concurrency}")
        end_to_end = n / (finished - sent["started"])
        print(f"  end to end           {end_to_end:10,.1f} payments/s  (goal >= 1,000)")
        for stage in STAGES:
            latencies = [rows[stage][c] - sent_at[c] for c in sent_at if c in rows[stage]]
            print(
                f"  {stage:<20} p50 {statistics.median(latencies):7.2f} s  p95 {percentile(latencies, 95):7.2f} s"
                f"  p99 {percentile(latencies, 99):7.2f} s"
            )
        print_hops(await hop_times(platform))
        kafka = await raw_kafka(infra.bootstrap, max(n * 4, 2000))
        insert = await bare_insert(infra.server_url, max(n, 1000), concurrency)
        hello = await bare_hello(max(n * 5, 2000), concurrency)
        accepted_rate = n / (max(sent["accepted"].values()) - sent["started"])
        print("limits in the same run")
        print(f"  raw produce→consume  {kafka:10,.0f} msg/s      pipeline / raw    {end_to_end / kafka:.4f}x")
        print(f"  bare asyncpg INSERT  {insert:10,.0f} rows/s     pipeline / insert {end_to_end / insert:.4f}x")
        print(
            f"  bare FastAPI hello   {hello:10,.0f} requests/s webhooks accepted {accepted_rate:,.0f}/s,"
            f" {accepted_rate / hello:.3f}x"
        )
        print("per service while the payments flowed: peak resident memory (goal < 300 MB each), CPU a payment")
        for name, peak in usage.peak.items():
            print(f"  {name:<20} {peak / 2**20:7.0f} MB   {usage.cpu[name] / n * 1000:7.1f} ms CPU a payment")
        total = sum(usage.cpu.values()) / n
        cores = psutil.cpu_count() or 1
        print(
            f"  all services         {total * 1000:7.1f} ms CPU a payment: on {cores} cores at most"
            f" {cores / total:,.0f} payments/s, before PostgreSQL's and the broker's share"
        )
        if profile:
            print(f"profiles (py-spy, flame graph input in {profile}/)")
            profiles.print_top()
        print(f"exactly once: {n:,} invoices paid, each amount paid = its total; the ledger ties")
    finally:
        platform.stop()
        await infra.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="200 payments instead of 1,000")
    parser.add_argument("--payments", type=int)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--profile", metavar="DIR", help="record each service with py-spy while the payments flow")
    args = parser.parse_args()
    asyncio.run(main(args.payments or (200 if args.quick else 1_000), args.concurrency, args.profile))
