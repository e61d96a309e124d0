"""SQL of sign-in sessions."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from people.models import SignInSession


async def session_by_refresh(session: AsyncSession, refresh_hash: str) -> SignInSession | None:
    query = select(SignInSession).where(SignInSession.refresh_hash == refresh_hash).with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def session_by_previous_refresh(session: AsyncSession, refresh_hash: str) -> SignInSession | None:
    """Not locked: a reused token's session is ended in a transaction of its own."""
    query = select(SignInSession).where(SignInSession.previous_refresh_hash == refresh_hash)
    return (await session.execute(query)).scalar_one_or_none()


async def get_session(session: AsyncSession, session_id: UUID) -> SignInSession | None:
    query = select(SignInSession).where(SignInSession.id == session_id).with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def end_sessions_of(
    session: AsyncSession, user_id: UUID, *, at: datetime, reason: str, keep: UUID | None = None
) -> None:
    query = (
        update(SignInSession)
        .where(SignInSession.user_id == user_id, SignInSession.ended_at.is_(None))
        .values(ended_at=at, end_reason=reason)
    )
    if keep is not None:
        query = query.where(SignInSession.id != keep)
    await session.execute(query)
