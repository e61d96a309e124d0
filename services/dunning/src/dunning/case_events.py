"""The events a case publishes whichever noun changes it: DunningPaused and DunningEscalated.

A case pauses for a promise, a dispute, a hold or the customer's exclusion, and rises a level with the
overdue notice, a ladder step or a refused call: customers, promises, tasks, the ladder and cases all
publish them, so they sit below every noun.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal, cast

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.clock import Clock
from arflow.events.catalog import DunningChannel, DunningEscalated, DunningPaused
from arflow.messaging import outbox
from arflow.money import Money
from dunning.lookups import amount_owed
from dunning.models import DunningCase

log = structlog.get_logger("dunning")


PauseReason = Literal["promise_to_pay", "dispute", "manual_hold", "customer_excluded", "unmatched_payment"]


async def publish_pause(
    session: AsyncSession, *, clock: Clock, case: DunningCase, reason: str, until: date | None, note: str | None
) -> None:
    """Publish DunningPaused for a case (the pause itself is recorded by the caller)."""
    await outbox.add(
        session,
        DunningPaused(
            customer_id=case.customer_id,
            case_id=case.id,
            reason=cast("PauseReason", reason),
            until=until,
            note=note,
            paused_at=clock.now(),
        ),
        clock=clock,
    )
    log.info("case.paused", case_id=str(case.id), reason=reason)


async def raise_level(
    session: AsyncSession,
    *,
    clock: Clock,
    case: DunningCase,
    level: int,
    channel: str,
    at: datetime,
    amount: Decimal | None = None,
) -> None:
    """Raise a case's level; DunningEscalated (with the amount chased, read unless given) when it rises."""
    if level <= case.level:
        return
    if amount is None:
        amount = await amount_owed(session, case.id)
    await outbox.add(
        session,
        DunningEscalated(
            customer_id=case.customer_id,
            case_id=case.id,
            from_level=case.level,
            to_level=level,
            channel=cast("DunningChannel", channel),
            amount_overdue=Money.of(amount, case.currency).quantize(),
            escalated_at=at,
        ),
        clock=clock,
    )
    log.info("case.escalated", case_id=str(case.id), from_level=case.level, to_level=level)
    case.level = level
