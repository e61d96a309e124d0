"""What every service gets from `create_service_app`, checked on a bare service.

Readiness that tells the truth, metrics, problem+json for framework errors,
trace propagation, jobs that are safe with two replicas, and an outbox that
keeps per-key order with two relays racing.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy import delete, func, select, text
from sqlalchemy.engine import make_url

from arflow.auth import generate_key, hash_key
from arflow.clock import FixedClock, SystemClock
from arflow.db import Database, asyncpg_dsn
from arflow.events.catalog import InvoiceVoided, topic_of
from arflow.jobs import Job, JobContext, JobRunner
from arflow.messaging import outbox
from arflow.messaging.kafka import ensure_topics
from arflow.messaging.outbox import OutboxRelay
from arflow.metrics import ServiceMetrics
from arflow.money import Money
from arflow.persistence import dead_letter, job_run, outbox_message
from arflow.service import WROTE, ServiceDefinition, create_service_app
from arflow.settings import ServiceSettings
from arflow.testing import eventually
from arflow.testing.counting import create_tables
from arflow.testing.infrastructure import TestInfrastructure
from arflow.tracing import new_traceparent, trace_id_of

KEY = generate_key()


async def slow_job(ctx: JobContext) -> dict[str, Any]:
    await asyncio.sleep(0.5)
    return {"as_of": ctx.as_of.isoformat()}


@pytest.fixture(scope="module")
async def probe_db(infra: TestInfrastructure) -> AsyncIterator[Database]:
    url = await infra.scratch_database("probe")
    database = Database(url)
    await create_tables(database)
    yield database
    await database.dispose()


def probe_settings(infra: TestInfrastructure, **overrides: Any) -> ServiceSettings:
    values: dict[str, Any] = {
        "database_url": infra.server_url,
        "database_prefix": infra.prefix,
        "kafka_bootstrap": infra.bootstrap,
        "api_keys": f'[{{"name": "t", "sha256": "{hash_key(KEY)}", "scopes": ["probe:admin"]}}]',
        "jobs_enabled": False,
        "log_level": "WARNING",
    }
    return ServiceSettings(**{**values, **overrides})


@pytest.fixture
async def probe(infra: TestInfrastructure, probe_db: Database) -> AsyncIterator[httpx.AsyncClient]:
    definition = ServiceDefinition(
        name="probe",
        title="probe",
        description="a bare service",
        jobs=[Job("slow", timedelta(hours=1), slow_job)],
    )
    app = create_service_app(definition, probe_settings(infra), clock=FixedClock(datetime(2026, 3, 1, tzinfo=UTC)))
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://probe", headers={"Authorization": f"Bearer {KEY}"}
        ) as client:
            await eventually(lambda: _ready(client), what="the probe to be ready")
            yield client


async def _ready(client: httpx.AsyncClient) -> bool:
    return (await client.get("/readyz")).status_code == 200


async def test_readiness_is_503_problem_while_the_broker_is_unreachable(
    infra: TestInfrastructure, probe_db: Database
) -> None:
    definition = ServiceDefinition(name="probe", title="probe", description="")
    closed_port = infra.broker.port + 1 if infra.broker.port < 65000 else 1
    app = create_service_app(definition, probe_settings(infra, kafka_bootstrap=f"127.0.0.1:{closed_port}"))
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://probe") as client:
            response = await client.get("/readyz")
            assert response.status_code == 503
            assert response.headers["content-type"] == "application/problem+json"
            assert response.json()["checks"]["database"] == "ok"
            assert response.json()["checks"]["broker"].startswith("unavailable")
            assert (await client.get("/healthz")).status_code == 200


async def test_a_request_that_cannot_reach_the_database_is_told_to_retry_not_a_bug(infra: TestInfrastructure) -> None:
    definition = ServiceDefinition(name="probe", title="probe", description="")
    closed_port = infra.broker.port + 1 if infra.broker.port < 65000 else 1
    settings = probe_settings(infra, database_url=f"postgresql+asyncpg://postgres@127.0.0.1:{closed_port}/postgres")
    app = create_service_app(definition, settings)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://probe", headers={"Authorization": f"Bearer {KEY}"}
        ) as client:
            response = await client.get("/admin/dead-letters", headers={"Accept-Language": "zh-CN"})
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["retry-after"] == "1"
    assert response.json()["code"] == "database_unavailable"
    assert "数据库未响应" in response.json()["detail"]


async def test_a_server_with_no_room_for_another_connection_is_unavailable_not_a_bug(infra: TestInfrastructure) -> None:
    """PostgreSQL refusing a connection (too many clients: SQLSTATE 53300) is the server's state, not a bug: 503."""
    role = f"full_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(**asyncpg_dsn(make_url(infra.server_url)))
    try:
        await admin.execute(f'CREATE ROLE "{role}" LOGIN CONNECTION LIMIT 0')
        full = make_url(infra.server_url).set(drivername="postgresql+asyncpg", username=role)
        app = create_service_app(
            ServiceDefinition(name="probe", title="probe", description=""),
            probe_settings(infra, database_url=full.render_as_string(hide_password=False)),
        )
        async with app.router.lifespan_context(app):
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app),
                base_url="http://probe",
                headers={"Authorization": f"Bearer {KEY}"},
            ) as client:
                response = await client.get("/admin/dead-letters")
    finally:
        await admin.execute(f'DROP ROLE IF EXISTS "{role}"')
        await admin.close()
    assert response.status_code == 503, response.text
    assert response.json()["code"] == "database_unavailable"


async def test_readiness_reports_an_advisory_without_failing_on_it(
    infra: TestInfrastructure, probe_db: Database
) -> None:
    app = create_service_app(ServiceDefinition(name="probe", title="probe", description=""), probe_settings(infra))
    app.state.advisories["creditor"] = lambda: "not configured: set ARFLOW_BANK_ACCOUNT_NUMBER"
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://probe") as client:
            await eventually(lambda: _ready(client), what="the probe to be ready")
            body = (await client.get("/readyz")).json()
            assert body["status"] == "ready"
            assert body["advisories"] == {"creditor": "not configured: set ARFLOW_BANK_ACCOUNT_NUMBER"}


async def test_metrics_count_requests_by_route(probe: httpx.AsyncClient) -> None:
    await probe.get("/healthz")
    text = (await probe.get("/metrics")).text
    assert 'arflow_probe_http_requests_total{method="GET",route="/healthz",status="200"}' in text


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("GET", "/nowhere", 404, "not_found"),
        ("DELETE", "/healthz", 405, "method_not_allowed"),
        ("POST", "/admin/jobs/slow/runs", 400, "bad_request"),  # the body "{not json" cannot be read
    ],
)
async def test_framework_errors_are_problems(
    probe: httpx.AsyncClient, method: str, path: str, status: int, code: str
) -> None:
    response = await probe.request(method, path, content=b"{not json", headers={"Content-Type": "application/json"})
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == code


async def test_admin_calls_need_the_admin_scope(infra: TestInfrastructure, probe: httpx.AsyncClient) -> None:
    response = await probe.get("/admin/jobs", headers={"Authorization": f"Bearer {generate_key()}"})
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_api_key"


async def test_the_callers_trace_continues_in_the_response(probe: httpx.AsyncClient) -> None:
    parent = new_traceparent()
    response = await probe.get("/healthz", headers={"traceparent": parent})
    assert trace_id_of(response.headers["traceparent"]) == trace_id_of(parent)
    assert response.headers["traceparent"] != parent


async def test_a_job_runs_as_of_the_instant_asked_and_is_recorded(probe: httpx.AsyncClient, probe_db: Database) -> None:
    response = await probe.post("/admin/jobs/slow/runs", json={"as_of": "2026-04-30T16:00:00Z"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "succeeded"
    assert body["result"] == {"as_of": "2026-04-30T16:00:00+00:00"}
    async with probe_db.engine.connect() as conn:
        row = (await conn.execute(select(job_run).where(job_run.c.id == body["id"]))).one()
    assert row.status == "succeeded"
    assert row.triggered_by == "api:t"


async def test_two_replicas_never_run_a_job_at_once(probe_db: Database) -> None:
    def replica() -> JobRunner:
        return JobRunner(
            service="replicas",
            jobs=[Job("slow", timedelta(hours=1), slow_job)],
            db=probe_db,
            clock=SystemClock(),
            metrics=ServiceMetrics("replicas"),
        )

    as_of = datetime(2026, 3, 1, tzinfo=UTC)
    results = await asyncio.gather(
        replica().run("slow", as_of=as_of, triggered_by="schedule", wait=False),
        replica().run("slow", as_of=as_of, triggered_by="schedule", wait=False),
    )
    assert sorted(r.status for r in results) == ["skipped", "succeeded"]


async def test_a_job_that_commits_piece_by_piece_keeps_its_pieces_when_it_fails_later(probe_db: Database) -> None:
    async with probe_db.unit_of_work() as session:
        await session.execute(text("CREATE TABLE IF NOT EXISTS job_piece (n int PRIMARY KEY)"))

    async def pieces_then_failure(ctx: JobContext) -> dict[str, Any]:
        for n in range(3):
            async with ctx.own_transaction() as piece:
                await piece.execute(text("INSERT INTO job_piece (n) VALUES (:n)"), {"n": n})
        await ctx.session.execute(text("INSERT INTO job_piece (n) VALUES (99)"))  # the run's own work
        raise RuntimeError("the fourth customer is broken")

    runner = JobRunner(
        service="pieces",
        jobs=[Job("pieces", timedelta(hours=1), pieces_then_failure)],
        db=probe_db,
        clock=SystemClock(),
        metrics=ServiceMetrics("pieces"),
    )
    with pytest.raises(RuntimeError):
        await runner.run("pieces", as_of=datetime(2026, 3, 1, tzinfo=UTC), triggered_by="schedule")
    async with probe_db.engine.connect() as conn:
        kept = (await conn.execute(text("SELECT n FROM job_piece ORDER BY n"))).scalars().all()
        status = await conn.scalar(select(job_run.c.status).where(job_run.c.job == "pieces"))
    assert kept == [0, 1, 2]  # each piece committed on its own; the run's rolled back
    assert status == "failed"


async def test_two_relays_keep_each_customers_events_in_order(infra: TestInfrastructure, probe_db: Database) -> None:
    service = f"relays{uuid.uuid4().hex[:6]}"
    customers = [uuid.uuid4() for _ in range(4)]
    written: dict[str, list[str]] = defaultdict(list)

    def voided(n: int) -> InvoiceVoided:
        return InvoiceVoided(
            customer_id=customers[n % len(customers)],
            invoice_id=uuid.uuid4(),
            invoice_number=f"INV-{n}",
            total=Money.of("1.00", "CNY"),
            reason="order test",
            voided_at=datetime.now(UTC),
        )

    for n in range(0, 120, 4):  # one event by `add`, then three in one INSERT by `add_many`
        async with probe_db.unit_of_work() as session:
            envelopes = [await outbox.add(session, voided(n), clock=SystemClock())]
            envelopes += await outbox.add_many(session, [voided(n + k) for k in (1, 2, 3)], clock=SystemClock())
        for envelope in envelopes:
            written[envelope.subject].append(envelope.id)
    await ensure_topics(infra.bootstrap, [topic_of("invoicing")])
    settings = ServiceSettings(kafka_bootstrap=infra.bootstrap, relay_batch_size=7, relay_poll_seconds=0.05)
    relays = [
        OutboxRelay(service=service, db=probe_db, settings=settings, metrics=ServiceMetrics(f"{service}{i}"))
        for i in range(2)
    ]
    tasks = [asyncio.create_task(relay.run()) for relay in relays]
    try:
        from arflow.testing.kafka import collect_events

        ours = {e for ids in written.values() for e in ids}
        seen = await collect_events(
            infra.bootstrap, topic_of("invoicing"), lambda e: e.id in ours, count=120, within=60
        )
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    received: dict[str, list[str]] = defaultdict(list)
    for envelope in seen:
        received[envelope.subject].append(envelope.id)
    assert received == written


async def test_retention_deletes_only_what_was_published_long_enough_ago(
    probe: httpx.AsyncClient, probe_db: Database
) -> None:
    async with probe_db.unit_of_work() as session:
        await outbox.add(
            session,
            InvoiceVoided(
                customer_id=uuid.uuid4(),
                invoice_id=uuid.uuid4(),
                invoice_number="INV-R",
                total=Money.of("1.00", "CNY"),
                reason="retention",
                voided_at=datetime.now(UTC),
            ),
            clock=SystemClock(),
        )

    async def published() -> bool:
        async with probe_db.engine.connect() as conn:
            return not await conn.scalar(select(func.count()).where(outbox_message.c.sent_at.is_(None)))

    await eventually(published, what="the outbox to be published")
    soon = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    kept = (await probe.post("/admin/jobs/platform-retention/runs", json={"as_of": soon})).json()
    assert kept["result"]["outbox_rows_deleted"] == 0
    later = (datetime.now(UTC) + timedelta(days=8)).isoformat()
    purged = (await probe.post("/admin/jobs/platform-retention/runs", json={"as_of": later})).json()
    assert purged["result"]["outbox_rows_deleted"] >= 1
    async with probe_db.engine.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(outbox_message)) == 0


async def test_admin_lists_are_pages_and_dead_letters_page_by_number(
    probe: httpx.AsyncClient, probe_db: Database
) -> None:
    jobs = (await probe.get("/admin/jobs")).json()
    assert (jobs["object"], jobs["has_more"]) == ("list", False)
    assert {"slow", "platform-retention"} <= {job["name"] for job in jobs["data"]}
    async with probe_db.engine.begin() as conn:
        await conn.execute(dead_letter.delete())
        await conn.execute(
            dead_letter.insert(),
            [
                {
                    "consumer": "probe",
                    "topic": "t",
                    "partition": 0,
                    "offset": n,
                    "payload": "{}",
                    "error": "boom",
                    "attempts": 1,
                }
                for n in range(3)
            ],
        )
    first = (await probe.get("/admin/dead-letters?limit=2")).json()
    assert first["object"] == "list" and first["has_more"] is True and len(first["data"]) == 2
    rest = (await probe.get(f"/admin/dead-letters?limit=2&before_id={first['data'][-1]['id']}")).json()
    assert rest["has_more"] is False
    ids = [letter["id"] for letter in first["data"] + rest["data"]]
    assert len(ids) == 3 and ids == sorted(ids, reverse=True)


async def test_a_commit_tells_its_listeners_what_the_unit_of_work_noted(probe_db: Database) -> None:
    seen: list[dict[str, object]] = []
    probe_db.on_commit_of(lambda info: seen.append(dict(info)))
    async with probe_db.unit_of_work() as session:
        session.info["noted"] = {"sms"}
    with pytest.raises(RuntimeError):
        async with probe_db.unit_of_work() as session:
            session.info["noted"] = {"email"}
            raise RuntimeError("rolled back: nobody is told")
    assert seen == [{"noted": {"sms"}}]


async def test_only_a_commit_that_wrote_wakes_the_relay(infra: TestInfrastructure, probe_db: Database) -> None:
    definition = ServiceDefinition(name="probe", title="probe", description="a bare service")
    app = create_service_app(definition, probe_settings(infra), clock=FixedClock(datetime(2026, 3, 1, tzinfo=UTC)))
    async with app.router.lifespan_context(app):
        db: Database = app.state.db
        seen: list[bool] = []
        db.on_commit_of(lambda info: seen.append(bool(info.get(WROTE))))
        async with db.unit_of_work() as session:
            await session.execute(select(dead_letter.c.id).limit(1))
        async with db.unit_of_work() as session:
            await session.execute(delete(dead_letter).where(dead_letter.c.id == -1))
        async with db.unit_of_work() as session:  # a raw connection's statement is seen too
            connection = await session.connection()
            await connection.exec_driver_sql("UPDATE dead_letter SET attempts = attempts WHERE id = -1")
        async with db.unit_of_work() as session:
            await session.execute(select(dead_letter.c.id).limit(1))
        assert seen == [False, True, True, False]
