"""The skeleton every arflow service stands on.

`create_service_app` wires one FastAPI application: settings, database, the
outbox relay, the idempotent consumer, scheduled jobs, API keys, problem+json
errors, trace propagation, JSON logs, /metrics, /healthz, /readyz and the admin
endpoints for jobs and dead letters. A service brings only its routers,
handlers and jobs.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Depends, FastAPI, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import AwareDatetime, BaseModel
from sqlalchemy import Connection, event, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from sqlalchemy.pool import ConnectionPoolEntry
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from arflow import audit
from arflow.approvals.api import approvals_router
from arflow.audit.api import audit_router
from arflow.audit.chain import seal_job
from arflow.audit.middleware import AuditMiddleware
from arflow.auth import KeyRing, Principal, require_scope
from arflow.clock import Clock, SystemClock
from arflow.db import Database, database_url
from arflow.events.catalog import Event
from arflow.guards import RequestGuard
from arflow.idempotency import Replayed
from arflow.jobs import Job, JobRunner, UnknownJob
from arflow.logging import configure_logging
from arflow.messaging.consumer import DeadLetterNotFound, EventConsumer, Handler
from arflow.messaging.outbox import OutboxRelay
from arflow.metrics import ServiceMetrics
from arflow.openapi_examples import add_examples
from arflow.pagination import Page
from arflow.persistence import dead_letter
from arflow.problems import PROBLEM_JSON, NotFound, Unprocessable, document_problems, install_problem_handlers
from arflow.retention import retention_job
from arflow.settings import ServiceSettings
from arflow.tracing import start_span

log = structlog.get_logger("arflow.service")

# How long a stopping service waits for its workers after cancelling them.
WORKER_STOP_SECONDS = 10.0


class JobNotFound(NotFound):
    code = "job_not_found"


class NoSuchDeadLetter(NotFound):
    code = "dead_letter_not_found"


class ReplayFailed(Unprocessable):
    code = "replay_failed"


@dataclass
class ServiceDefinition:
    """What makes one service itself: its name, API, event handlers and jobs."""

    name: str
    title: str
    description: str
    routers: list[APIRouter] = field(default_factory=list)
    subscriptions: list[str] = field(default_factory=list)
    handlers: dict[type[Event], Handler] = field(default_factory=dict)
    jobs: list[Job] = field(default_factory=list)
    # Long-running background loops of the service (e.g. a sender of queued
    # emails), started with the app and cancelled at shutdown.
    workers: list[Callable[[FastAPI], Coroutine[Any, Any, None]]] = field(default_factory=list)
    on_startup: Callable[[FastAPI], Awaitable[None]] | None = None


# --- request-scoped dependencies ---------------------------------------------------


async def _session(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.db.unit_of_work() as session:
        yield session


async def _clock(request: Request) -> Clock:
    # async: FastAPI runs a plain `def` dependency in a worker thread, a thread hop per request
    return request.app.state.clock  # type: ignore[no-any-return]


# scope="function": the transaction commits before the response is sent, so a
# client never sees a 2xx for work that then failed to commit.
SessionDep = Annotated[AsyncSession, Depends(_session, scope="function")]
ClockDep = Annotated[Clock, Depends(_clock)]


def settings_of(request: Request) -> Any:
    return request.app.state.settings


# --- the application ---------------------------------------------------------


async def _stop_workers(tasks: list[asyncio.Task[Any]], *, grace_seconds: float = WORKER_STOP_SECONDS) -> None:
    """Cancel the background workers and wait for them, but never longer than the grace period.

    A worker that outlives it is logged by name and left behind, so a stuck
    library call cannot hold a stopping process (or a test session) forever.
    """
    for task in tasks:
        task.cancel()
    _, stuck = await asyncio.wait(tasks, timeout=grace_seconds)
    for task in stuck:
        log.error("service.worker_did_not_stop", worker=task.get_name(), grace_seconds=grace_seconds)
    for task in tasks:
        if task.done() and not task.cancelled() and task.exception() is not None:
            log.warning("service.worker_failed", worker=task.get_name(), error=repr(task.exception()))


# Noted on a unit of work's session.info when it sent anything but a SELECT: only such a commit
# can have written an outbox row, so only it wakes the relay (a GET's commit does not; the relay's
# poll still finds whatever a wake missed).
WROTE = "arflow.wrote"
_SESSION_INFO = "arflow.session_info"


@event.listens_for(Session, "after_begin")
def _bind(session: Session, transaction: object, connection: Connection) -> None:
    # the connection's info lives as long as its pool entry: unbound again at checkin (_note_writes)
    connection.info[_SESSION_INFO] = session.info


def _note_writes(db: Database) -> None:
    """Note on each session's info whether it sent a statement that may write (whatever the path)."""

    @event.listens_for(db.engine.sync_engine, "before_cursor_execute")
    def _note(conn: Connection, cursor: object, statement: str, *_: object) -> None:
        noted = conn.info.get(_SESSION_INFO)
        if noted is not None and statement.lstrip()[:6].upper() != "SELECT":
            noted[WROTE] = True

    @event.listens_for(db.engine.sync_engine.pool, "checkin")
    def _unbind(dbapi_connection: object, record: ConnectionPoolEntry) -> None:
        record.info.pop(_SESSION_INFO, None)


def create_service_app(
    definition: ServiceDefinition, settings: ServiceSettings, *, clock: Clock | None = None
) -> FastAPI:
    """Build the FastAPI app of a service; background work starts with its lifespan."""
    configure_logging(definition.name, level=settings.log_level, fmt=settings.log_format)
    metrics = ServiceMetrics(definition.name)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db = Database(
            database_url(settings.database_url, settings.database_name(definition.name)),
            pool_size=settings.database_pool_size,
        )
        relay = OutboxRelay(service=definition.name, db=db, settings=settings, metrics=metrics)
        _note_writes(db)
        db.on_commit_of(lambda noted: relay.wake() if noted.get(WROTE) else None)
        consumer = EventConsumer(
            name=definition.name,
            topics=definition.subscriptions,
            handlers=definition.handlers,
            db=db,
            settings=settings,
            metrics=metrics,
            clock=app.state.clock,
        )
        runner = JobRunner(
            service=definition.name,
            jobs=[*definition.jobs, retention_job(settings), seal_job()],
            db=db,
            clock=app.state.clock,
            metrics=metrics,
            interval_scale=settings.job_interval_scale,
        )
        app.state.db, app.state.relay, app.state.consumer, app.state.jobs = db, relay, consumer, runner
        if definition.on_startup is not None:
            await definition.on_startup(app)
        tasks = [asyncio.create_task(relay.run(), name="outbox-relay")]
        if definition.handlers:
            tasks.append(asyncio.create_task(consumer.run(), name="consumer"))
        tasks.extend(asyncio.create_task(worker(app), name=worker.__name__) for worker in definition.workers)
        if settings.jobs_enabled:
            tasks.append(asyncio.create_task(runner.run_periodically(), name="jobs"))
        log.info("service.started", service=definition.name)
        try:
            yield
        finally:
            # Graceful: what was committed just before the stop goes out now rather than at the next start.
            with contextlib.suppress(Exception):
                async with asyncio.timeout(5):
                    await relay.publish_batch()
            await _stop_workers(tasks)
            await relay.stop()
            await db.dispose()
            log.info("service.stopped", service=definition.name)

    app = FastAPI(
        title=definition.title,
        description=definition.description,
        version="0.1.0",
        lifespan=lifespan,
        responses={400: {"description": "Bad request", "content": {PROBLEM_JSON: {}}}},
    )
    _document_problems_in_openapi(app)
    app.state.settings = settings
    app.state.clock = clock or SystemClock()
    app.state.metrics = metrics
    app.state.keyring = KeyRing.load(settings.api_keys, settings.api_keys_file)
    app.state.service = definition.name
    # name -> a callable saying "ok" or what an operator should know; readiness reports each.
    app.state.advisories = {}

    install_problem_handlers(app)
    app.add_exception_handler(Replayed, _replayed)
    # Inside tracing: an entry's request id is the call's trace id.
    audit.install()
    app.add_middleware(AuditMiddleware)
    app.add_middleware(_TraceAndMeasure, metrics=metrics)
    app.include_router(_metrics_router(metrics))

    # Added last, so it runs first: a refused body never reaches tracing, metrics or a route.
    app.add_middleware(RequestGuard, max_body_bytes=settings.max_body_bytes)

    app.include_router(_health_router())
    app.include_router(_admin_router(definition.name))
    app.include_router(audit_router(definition.name))
    app.include_router(approvals_router(definition.name))
    for router in definition.routers:
        app.include_router(router)
    return app


class _TraceAndMeasure:
    """Each request's span (the caller's trace continued, its traceparent on the answer) and its metrics.

    A pure ASGI middleware: written as `@app.middleware("http")` (BaseHTTPMiddleware) each of the
    two ran the rest of the request in a task of its own and streamed the answer back through
    memory channels, about a fifth of a one-row GET's CPU.
    """

    def __init__(self, app: ASGIApp, metrics: ServiceMetrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        parent = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"traceparent"), None)
        traceparent = (b"traceparent", start_span(parent).encode("latin-1"))
        structlog.contextvars.clear_contextvars()
        status = 500  # what the client gets when the app raises past its handlers

        async def send_traced(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [h for h in message.get("headers", ()) if h[0].lower() != b"traceparent"]
                message = {**message, "headers": [*headers, traceparent]}
            await send(message)

        try:
            await self.app(scope, receive, send_traced)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            self.metrics.http_requests.labels(scope["method"], route, str(status)).inc()
            self.metrics.http_latency.labels(scope["method"], route).observe(time.perf_counter() - started)


async def _replayed(request: Request, exc: Exception) -> Response:
    """A duplicate's work is rolled back by now (the unit of work saw the exception): it gets the first answer."""
    assert isinstance(exc, Replayed)
    return exc.response


def _metrics_router(metrics: ServiceMetrics) -> APIRouter:
    router = APIRouter()

    @router.get("/metrics", include_in_schema=False)
    async def _metrics() -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    return router


def _document_problems_in_openapi(app: FastAPI) -> None:
    """Serve the OpenAPI document with the problem schema and the answers every operation may give."""
    generate = app.openapi
    documented = False

    def openapi() -> dict[str, Any]:
        nonlocal documented
        schema = generate()  # FastAPI builds it once and keeps it
        if not documented:
            document_problems(schema)
            add_examples(schema)
            documented = True
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _health_router() -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/healthz", summary="Liveness: the process is up")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz", summary="Readiness: PostgreSQL and the broker are reachable")
    async def readyz(request: Request) -> JSONResponse:
        checks: dict[str, str] = {}
        try:
            async with asyncio.timeout(2):
                async with request.app.state.db.engine.connect() as conn:
                    await conn.execute(text("SELECT 1"))
            checks["database"] = "ok"
        except Exception as exc:
            checks["database"] = f"unavailable: {type(exc).__name__}"
        relay: OutboxRelay = request.app.state.relay
        checks["broker"] = "ok" if await relay.probe() else f"unavailable: {relay.last_error or 'connecting'}"
        ready = all(v == "ok" for v in checks.values())
        # Said but not failed on: a service without (say) a payee account still takes payments in.
        advisories = {}
        for name, check in request.app.state.advisories.items():
            said = check()
            advisories[name] = await said if inspect.isawaitable(said) else said
        if ready:
            return JSONResponse({"status": "ready", "checks": checks, "advisories": advisories})
        return JSONResponse(
            {
                "type": "urn:arflow:problem:not_ready",
                "title": "Not ready",
                "status": 503,
                "detail": "A dependency is unavailable.",
                "code": "not_ready",
                "checks": checks,
                "advisories": advisories,
            },
            status_code=503,
            media_type=PROBLEM_JSON,
        )

    return router


class JobRunRequest(BaseModel):
    as_of: AwareDatetime | None = None


class JobRunOut(BaseModel):
    id: int | None
    job: str
    as_of: datetime
    status: str
    result: dict[str, Any]


class DeadLetterOut(BaseModel):
    id: int
    consumer: str
    event_id: str | None
    event_type: str | None
    topic: str
    partition: int
    offset: int
    error: str
    attempts: int
    created_at: datetime
    replayed_at: datetime | None
    replay_error: str | None


class JobOut(BaseModel):
    name: str
    interval_seconds: float
    description: str


def _admin_router(service: str) -> APIRouter:
    router = APIRouter(prefix="/admin", tags=["admin"])
    # A default rather than an Annotated alias: the alias would be local to this
    # function, and postponed annotations are resolved in the module's globals.
    admin_scope = Depends(require_scope(f"{service}:admin"))

    @router.get("/jobs", response_model=Page[JobOut], summary="Scheduled jobs of this service (all: one page)")
    async def list_jobs(request: Request, _: Principal = admin_scope) -> Page[JobOut]:
        runner: JobRunner = request.app.state.jobs
        jobs = [
            JobOut(name=j.name, interval_seconds=j.interval.total_seconds(), description=j.description)
            for j in runner.jobs.values()
        ]
        return Page[JobOut](data=jobs, has_more=False)

    @router.post("/jobs/{name}/runs", summary="Run a job now, optionally as of another instant")
    async def run_job(
        name: str, body: JobRunRequest, request: Request, principal: Principal = admin_scope
    ) -> JobRunOut:
        runner: JobRunner = request.app.state.jobs
        as_of = body.as_of or request.app.state.clock.now()
        try:
            result = await runner.run(name, as_of=as_of, triggered_by=f"api:{principal.name}")
        except UnknownJob:
            raise JobNotFound(f"There is no job named '{name}'.", detail_zh=f"没有名为 '{name}' 的作业。") from None
        return JobRunOut(id=result.id, job=result.job, as_of=result.as_of, status=result.status, result=result.result)

    @router.get(
        "/dead-letters",
        response_model=Page[DeadLetterOut],
        summary="Events this service's consumer gave up on, newest first",
        description="Dead letters are numbered, not UUIDs: page on with `before_id` = the last `id` of a page.",
    )
    async def list_dead_letters(
        session: SessionDep,
        include_replayed: bool = False,
        limit: Annotated[int, Query(ge=1, le=100)] = 100,
        before_id: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
        _: Principal = admin_scope,
    ) -> Page[DeadLetterOut]:
        query = select(dead_letter).order_by(dead_letter.c.id.desc()).limit(limit + 1)
        if not include_replayed:
            query = query.where(dead_letter.c.replayed_at.is_(None))
        if before_id is not None:
            query = query.where(dead_letter.c.id < before_id)
        rows = (await session.execute(query)).mappings().all()
        letters = [DeadLetterOut.model_validate(dict(r)) for r in rows]
        return Page[DeadLetterOut](data=letters[:limit], has_more=len(letters) > limit)

    @router.post("/dead-letters/{dead_letter_id}/replay", summary="Apply a dead letter again")
    async def replay(
        dead_letter_id: Annotated[int, Path(ge=1, le=2**63 - 1)], request: Request, _: Principal = admin_scope
    ) -> dict[str, Any]:
        consumer: EventConsumer = request.app.state.consumer
        try:
            outcome = await consumer.replay_dead_letter(dead_letter_id)
        except DeadLetterNotFound:
            raise NoSuchDeadLetter(
                f"There is no dead letter {dead_letter_id}.", detail_zh=f"没有编号为 {dead_letter_id} 的死信。"
            ) from None
        except Exception as exc:
            raise ReplayFailed(f"The event still fails: {type(exc).__name__}: {exc}") from None
        return {"id": dead_letter_id, "outcome": outcome}

    return router
