"""SQL of the monthly collection plans."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from dunning.models import CollectionPlan


async def save_plan(session: AsyncSession, values: dict[str, Any]) -> None:
    """Store a month's plan, replacing an earlier one of that month."""
    insert = pg_insert(CollectionPlan).values(**values)
    await session.execute(
        insert.on_conflict_do_update(
            index_elements=[CollectionPlan.month],
            set_={k: insert.excluded[k] for k in ("as_of", "lines", "collectors", "created_at")},
        )
    )


async def get_plan(session: AsyncSession, month: date) -> CollectionPlan | None:
    query = select(CollectionPlan).where(CollectionPlan.month == month).execution_options(populate_existing=True)
    return (await session.execute(query)).scalar_one_or_none()
