"""SQL of approval notices: the approvals heard, the people who may decide them, the emails queued and sent."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.db import rows_changed
from arflow.pagination import PageParams, paginate
from people.domain import Person
from people.models import ApprovalHeard, ApprovalNotice, Role, UserAccount

# session.info key: the unit of work queued a notice, so its commit wakes the sender (see sender.waker).
QUEUED = "people.notice_queued"


async def approval_for_update(session: AsyncSession, approval_id: UUID) -> ApprovalHeard | None:
    """The approval as heard so far, locked: its request and its decision may be heard at the same time."""
    query = (
        select(ApprovalHeard)
        .where(ApprovalHeard.approval_id == approval_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.execute(query)).scalar_one_or_none()


async def get_approval(session: AsyncSession, approval_id: UUID) -> ApprovalHeard | None:
    return await session.get(ApprovalHeard, approval_id)


async def role_scopes(session: AsyncSession) -> dict[str, list[str]]:
    return {name: list(scopes) for name, scopes in (await session.execute(select(Role.name, Role.scopes))).all()}


def _person(user: UserAccount) -> Person:
    return Person(user.id, user.username, user.display_name, user.email, tuple(user.roles), user.status == "active")


async def active_people(session: AsyncSession) -> list[Person]:
    query = select(UserAccount).where(UserAccount.status == "active").order_by(UserAccount.username)
    return [_person(u) for u in (await session.execute(query)).scalars()]


async def person_named(session: AsyncSession, username: str) -> Person | None:
    user = (await session.execute(select(UserAccount).where(UserAccount.username == username))).scalar_one_or_none()
    return _person(user) if user is not None else None


async def display_names(session: AsyncSession, usernames: Sequence[str]) -> dict[str, str]:
    query = select(UserAccount.username, UserAccount.display_name).where(UserAccount.username.in_(list(usernames)))
    return {username: name for username, name in (await session.execute(query)).all()}


async def queue_notices(session: AsyncSession, rows: list[dict[str, Any]]) -> int:
    """Insert the notices not there yet (one per approval, kind and person); how many were new."""
    if not rows:
        return 0
    inserted = await session.execute(
        pg_insert(ApprovalNotice)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["approval_id", "kind", "user_id"])
        .returning(ApprovalNotice.id, ApprovalNotice.status)
    )
    new = inserted.all()
    if any(status == "pending" for _, status in new):
        session.info[QUEUED] = True
    return len(new)


async def cancel_pending(session: AsyncSession, approval_id: UUID, *, kind: str, reason: str, now: datetime) -> int:
    """Call off the notices not sent yet (a request decided before its email left); one being sent is waited for."""
    result = await session.execute(
        update(ApprovalNotice)
        .where(
            ApprovalNotice.approval_id == approval_id,
            ApprovalNotice.kind == kind,
            ApprovalNotice.status == "pending",
        )
        .values(status="cancelled", last_error=reason, next_attempt_at=now)
    )
    return rows_changed(result)


async def claim_due(session: AsyncSession, now: datetime) -> ApprovalNotice | None:
    """Lock the next notice due; rows another replica holds are skipped, not waited for."""
    query = (
        select(ApprovalNotice)
        .where(ApprovalNotice.status == "pending", ApprovalNotice.next_attempt_at <= now)
        .order_by(ApprovalNotice.next_attempt_at, ApprovalNotice.id)
        .limit(1)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )
    return (await session.execute(query)).scalar_one_or_none()


async def list_notices(
    session: AsyncSession,
    page: PageParams,
    *,
    approval_id: UUID | None,
    username: str | None,
    kind: str | None,
    status: str | None,
) -> Sequence[ApprovalNotice]:
    query = paginate(
        select(ApprovalNotice),
        ApprovalNotice.id,
        page,
        approval_id=approval_id,
        username=username,
        kind=kind,
        status=status,
    )
    return (await session.execute(query)).scalars().all()


async def get_notice(session: AsyncSession, notice_id: UUID) -> ApprovalNotice | None:
    return await session.get(ApprovalNotice, notice_id)
