"""Scheduled work of the reconciliation service: the orders it made at gateways, followed up."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from arflow.jobs import Job, JobContext
from reconciliation.checkout.service import follow_up
from reconciliation.config import ReconciliationSettings


def jobs_for(settings: ReconciliationSettings) -> list[Job]:
    """The service's jobs, bound to its settings."""

    async def late_callbacks(ctx: JobContext) -> dict[str, Any]:
        return await follow_up(ctx.session, clock=ctx.clock, settings=settings, as_of=ctx.as_of, close=False)

    async def expired_orders(ctx: JobContext) -> dict[str, Any]:
        return await follow_up(ctx.session, clock=ctx.clock, settings=settings, as_of=ctx.as_of, close=True)

    return [
        Job(
            name="checkout-late-callbacks",
            interval=timedelta(minutes=1),
            run=late_callbacks,
            description="Ask the gateway about each open order whose callback is late; a paid answer is booked "
            "as the callback would have been (once: a callback after it is a duplicate).",
        ),
        Job(
            name="checkout-expiry",
            interval=timedelta(minutes=1),
            run=expired_orders,
            description="Close the open orders past their expiry, at the gateway and here (asked first: one paid "
            "meanwhile is booked instead).",
        ),
    ]
