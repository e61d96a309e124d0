"""SQL of late fees."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


async def invoices_due_for_late_fees(session: AsyncSession, as_of: datetime) -> list[UUID]:
    """Open invoices past due + grace (customer's calendar) whose terms charge interest or a fee,
    not yet charged in the current month."""
    query = text(
        """
        SELECT i.id FROM invoice i JOIN customer c ON c.id = i.customer_id
        WHERE i.status IN ('open', 'uncollectible') AND i.kind = 'standard'
          AND (i.interest_kind <> 'none' OR i.late_fee > 0)
          AND (timezone(c.time_zone, CAST(:as_of AS timestamptz)))::date - i.due_date > i.grace_days
          AND (i.interest_charged_to IS NULL OR date_trunc('month', i.interest_charged_to)
               < date_trunc('month', (timezone(c.time_zone, CAST(:as_of AS timestamptz)))::date))
        ORDER BY i.customer_id, i.due_date, i.id
        """
    )
    return list((await session.execute(query, {"as_of": as_of})).scalars())
