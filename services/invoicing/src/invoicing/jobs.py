"""Scheduled sweeps of the invoicing service."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from arflow.jobs import Job, JobContext
from invoicing import service


async def overdue_sweep(ctx: JobContext) -> dict[str, Any]:
    return await service.sweep_overdue(ctx.session, clock=ctx.clock, as_of=ctx.as_of)


JOBS = [
    Job(
        name="overdue-sweep",
        interval=timedelta(hours=1),
        run=overdue_sweep,
        description="Publish InvoiceOverdue for invoices newly past due + grace or entering a later aging bucket.",
    )
]
