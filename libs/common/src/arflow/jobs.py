"""Scheduled jobs that run inside their service, safely with several replicas.

A job is a named async function of a `JobContext` (a session in a transaction
and the "as of" instant it should act for). The runner calls it periodically
with the clock's time; an admin call runs it on demand "as of" any instant, so
a test or a demo can walk through a month. Each run holds a transaction-scoped
advisory lock on the job's name: a periodic run skips when another replica is
running it, an on-demand run waits its turn. Every run is recorded in job_run.
A job over many rows can commit piece by piece (`JobContext.own_transaction`)
while the run keeps the lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.clock import Clock
from arflow.db import Database
from arflow.metrics import ServiceMetrics
from arflow.persistence import job_run

log = structlog.get_logger("arflow.jobs")


@dataclass
class JobContext:
    session: AsyncSession
    as_of: datetime
    clock: Clock
    db: Database

    def own_transaction(self) -> contextlib.AbstractAsyncContextManager[AsyncSession]:
        """A transaction of its own, committed when its block ends, while the run keeps the job's lock.

        For a job that works through many customers: each piece commits (and releases its row locks)
        as it goes, instead of holding every lock until the whole run commits.
        """
        return self.db.unit_of_work()


JobFunction = Callable[[JobContext], Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class Job:
    name: str
    interval: timedelta
    run: JobFunction
    description: str = ""


@dataclass
class JobRunResult:
    id: int | None
    job: str
    as_of: datetime
    status: str
    result: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


class UnknownJob(LookupError):
    pass


def _lock_key(service: str, job: str) -> int:
    return zlib.crc32(f"arflow.job.{service}.{job}".encode())


class JobRunner:
    def __init__(
        self,
        *,
        service: str,
        jobs: list[Job],
        db: Database,
        clock: Clock,
        metrics: ServiceMetrics,
        interval_scale: float = 1.0,
    ) -> None:
        self.service = service
        self.jobs = {job.name: job for job in jobs}
        self.db = db
        self.clock = clock
        self.metrics = metrics
        self.interval_scale = interval_scale

    async def run_periodically(self) -> None:
        """Run every job on its interval until cancelled."""
        async with asyncio.TaskGroup() as group:
            for job in self.jobs.values():
                group.create_task(self._loop(job))

    async def _loop(self, job: Job) -> None:
        while True:
            with contextlib.suppress(Exception):
                await self.run(job.name, as_of=self.clock.now(), triggered_by="schedule", wait=False)
            await asyncio.sleep(job.interval.total_seconds() * self.interval_scale)

    async def run(self, name: str, *, as_of: datetime, triggered_by: str, wait: bool = True) -> JobRunResult:
        """Run one job as of an instant, in one transaction, under the job's lock."""
        job = self.jobs.get(name)
        if job is None:
            raise UnknownJob(name)
        key = _lock_key(self.service, name)
        try:
            async with self.db.unit_of_work() as session:
                if wait:
                    await session.execute(select(func.pg_advisory_xact_lock(key)))
                elif not await session.scalar(select(func.pg_try_advisory_xact_lock(key))):
                    return JobRunResult(None, name, as_of, "skipped", {"reason": "running on another replica"})
                run_id = await session.scalar(
                    insert(job_run)
                    .values(job=name, as_of=as_of, triggered_by=triggered_by, status="running")
                    .returning(job_run.c.id)
                )
                result = await job.run(JobContext(session=session, as_of=as_of, clock=self.clock, db=self.db))
                await session.execute(
                    update(job_run)
                    .where(job_run.c.id == run_id)
                    .values(status="succeeded", result=result, finished_at=func.now())
                )
        except Exception as exc:
            log.exception("job.failed", job=name, as_of=as_of.isoformat())
            self.metrics.job_runs.labels(name, "failed").inc()
            async with self.db.unit_of_work() as session:
                await session.execute(
                    insert(job_run).values(
                        job=name,
                        as_of=as_of,
                        triggered_by=triggered_by,
                        status="failed",
                        error=f"{type(exc).__name__}: {exc}",
                        finished_at=func.now(),
                    )
                )
            raise
        log.info("job.succeeded", job=name, as_of=as_of.isoformat(), result=result)
        self.metrics.job_runs.labels(name, "succeeded").inc()
        return JobRunResult(run_id, name, as_of, "succeeded", result)
