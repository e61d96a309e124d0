"""Housekeeping of the platform tables, run as every service's `platform-retention` job.

Published outbox rows are kept `outbox_retention_days` (for audit and
re-publishing by hand), idempotency keys `idempotency_retention_hours` (Stripe
keeps them at least 24 h), replayed dead letters `dead_letter_retention_days`.
Inbox rows are never deleted: they are what makes a late redelivery harmless.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import delete

from arflow.db import rows_changed
from arflow.jobs import Job, JobContext
from arflow.persistence import dead_letter, idempotency_key, outbox_message
from arflow.settings import ServiceSettings


def retention_job(settings: ServiceSettings) -> Job:
    """The housekeeping job, with the service's retention settings."""

    async def run(ctx: JobContext) -> dict[str, Any]:
        outbox_cutoff = ctx.as_of - timedelta(days=settings.outbox_retention_days)
        keys_cutoff = ctx.as_of - timedelta(hours=settings.idempotency_retention_hours)
        letters_cutoff = ctx.as_of - timedelta(days=settings.dead_letter_retention_days)
        outbox = await ctx.session.execute(delete(outbox_message).where(outbox_message.c.sent_at < outbox_cutoff))
        keys = await ctx.session.execute(delete(idempotency_key).where(idempotency_key.c.created_at < keys_cutoff))
        letters = await ctx.session.execute(delete(dead_letter).where(dead_letter.c.replayed_at < letters_cutoff))
        return {
            "outbox_rows_deleted": rows_changed(outbox),
            "idempotency_keys_deleted": rows_changed(keys),
            "dead_letters_deleted": rows_changed(letters),
        }

    return Job(
        name="platform-retention",
        interval=timedelta(hours=6),
        run=run,
        description="Delete published outbox rows, expired idempotency keys and replayed dead letters.",
    )
