"""The DunningPaused notice every kind of pause publishes (promise, dispute, hold, exclusion)."""

from __future__ import annotations

from datetime import date
from typing import Literal, cast

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.clock import Clock
from arflow.events.catalog import DunningPaused
from arflow.messaging import outbox
from dunning.models import DunningCase

log = structlog.get_logger("dunning")


PauseReason = Literal["promise_to_pay", "dispute", "manual_hold", "customer_excluded"]


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
