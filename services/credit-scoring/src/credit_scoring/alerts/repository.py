"""SQL of the alerts."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.pagination import PageParams, paginate
from credit_scoring.models import CreditAlert


async def list_alerts(
    session: AsyncSession,
    page: PageParams,
    *,
    customer_id: UUID | None,
    acknowledged: bool | None,
    kind: str | None,
    as_of: date | None = None,
) -> list[CreditAlert]:
    query = paginate(select(CreditAlert), CreditAlert.id, page, customer_id=customer_id, kind=kind)
    if as_of is not None:
        query = query.where(CreditAlert.raised_on <= as_of)
    if acknowledged is not None:
        query = query.where(
            CreditAlert.acknowledged_at.is_not(None) if acknowledged else CreditAlert.acknowledged_at.is_(None)
        )
    return list((await session.execute(query)).scalars())


async def get_alert(session: AsyncSession, alert_id: UUID, *, lock: bool = False) -> CreditAlert | None:
    query = select(CreditAlert).where(CreditAlert.id == alert_id)
    if lock:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def add_alerts(session: AsyncSession, rows: list[dict[str, Any]]) -> set[UUID]:
    """Record alerts in one statement, each once per dedupe key; the ids actually inserted."""
    if not rows:
        return set()
    inserted = await session.scalars(
        pg_insert(CreditAlert)
        .values(rows)
        .on_conflict_do_nothing(index_elements=[CreditAlert.dedupe_key])
        .returning(CreditAlert.id)
    )
    return set(inserted)
