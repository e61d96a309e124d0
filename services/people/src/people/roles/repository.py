"""SQL of roles."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from people.models import Role


async def all_roles(session: AsyncSession) -> Sequence[Role]:
    return (await session.execute(select(Role).order_by(Role.name))).scalars().all()


async def get_role(session: AsyncSession, name: str, *, for_update: bool = False) -> Role | None:
    query = select(Role).where(Role.name == name)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def scopes_of(session: AsyncSession, names: Sequence[str]) -> set[str]:
    rows = await session.execute(select(Role.scopes).where(Role.name.in_(list(names))))
    return {scope for (scopes,) in rows for scope in scopes}


async def existing_names(session: AsyncSession, names: Sequence[str]) -> set[str]:
    return set((await session.execute(select(Role.name).where(Role.name.in_(list(names))))).scalars())
