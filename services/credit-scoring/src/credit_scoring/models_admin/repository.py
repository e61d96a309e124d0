"""SQL of the models: the stored versions, newest first."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from credit_scoring.models import ModelVersion


async def latest_model(session: AsyncSession, kind: str) -> ModelVersion | None:
    query = select(ModelVersion).where(ModelVersion.kind == kind).order_by(ModelVersion.trained_at.desc()).limit(1)
    return (await session.execute(query)).scalar_one_or_none()


async def get_model(session: AsyncSession, version: str) -> ModelVersion | None:
    return await session.get(ModelVersion, version)


async def add_model(session: AsyncSession, values: dict[str, Any]) -> None:
    await session.execute(pg_insert(ModelVersion).values(**values).on_conflict_do_nothing())
