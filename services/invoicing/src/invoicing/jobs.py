"""Scheduled sweeps of the invoicing service."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from arflow.jobs import Job, JobContext
from invoicing import service
from invoicing.config import InvoicingSettings


def jobs_for(settings: InvoicingSettings) -> list[Job]:
    """The service's jobs, bound to its settings."""

    async def overdue_sweep(ctx: JobContext) -> dict[str, Any]:
        return await service.sweep_due_and_overdue(
            ctx.session, clock=ctx.clock, as_of=ctx.as_of, due_soon_days=settings.due_soon_days
        )

    return [
        Job(
            name="overdue-sweep",
            interval=timedelta(hours=1),
            run=overdue_sweep,
            description=(
                "Publish InvoiceDueSoon N days before due, and InvoiceOverdue past due + grace and again on "
                "entering the 31-60, 61-90 and 90+ buckets: each once per invoice and threshold."
            ),
        )
    ]
