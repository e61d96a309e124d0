"""SQL of users."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.pagination import PageParams, paginate
from people.models import UserAccount


async def get_user(session: AsyncSession, user_id: UUID, *, for_update: bool = False) -> UserAccount | None:
    query = select(UserAccount).where(UserAccount.id == user_id)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def user_by_username(session: AsyncSession, username: str, *, for_update: bool = False) -> UserAccount | None:
    query = select(UserAccount).where(UserAccount.username == username)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def list_users(
    session: AsyncSession, page: PageParams, *, role: str | None, status: str | None
) -> Sequence[UserAccount]:
    query = paginate(select(UserAccount), UserAccount.id, page, status=status)
    if role is not None:
        query = query.where(UserAccount.roles.contains([role]))
    return (await session.execute(query)).scalars().all()


async def count_users(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(UserAccount)) or 0)


async def other_active_admins(session: AsyncSession, user_id: UUID) -> int:
    query = select(func.count()).where(
        UserAccount.id != user_id, UserAccount.status == "active", UserAccount.roles.contains(["admin"])
    )
    return int(await session.scalar(query) or 0)
