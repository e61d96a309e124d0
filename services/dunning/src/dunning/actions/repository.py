"""SQL of the action log and of the documents the actions produced."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.db import rows_changed
from arflow.pagination import PageParams, paginate
from dunning.models import DunningAction, DunningDocument, DunningLetterNumber


async def case_actions(session: AsyncSession, case_id: UUID) -> list[DunningAction]:
    """A case's actions, oldest first (the log reads top to bottom)."""
    query = (
        select(DunningAction)
        .where(DunningAction.case_id == case_id)
        .order_by(DunningAction.created_at, DunningAction.id)
    )
    return list((await session.execute(query)).scalars())


async def list_actions(
    session: AsyncSession,
    page: PageParams,
    *,
    customer_id: UUID | None,
    case_id: UUID | None,
    status: str | None,
) -> list[DunningAction]:
    query = paginate(
        select(DunningAction), DunningAction.id, page, customer_id=customer_id, case_id=case_id, status=status
    )
    return list((await session.execute(query)).scalars())


async def pending_actions_for_update(session: AsyncSession, customer_id: UUID) -> list[DunningAction]:
    """The customer's pending actions, locked (waits for one the sender is delivering)."""
    query = (
        select(DunningAction)
        .where(DunningAction.customer_id == customer_id, DunningAction.status == "pending")
        .order_by(DunningAction.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return list((await session.execute(query)).scalars())


async def cancel_pending_actions(session: AsyncSession, case_id: UUID, *, outcome: str, now: datetime) -> int:
    """Cancel a case's pending actions; one being delivered right now is waited for, then left alone."""
    result = await session.execute(
        update(DunningAction)
        .where(DunningAction.case_id == case_id, DunningAction.status == "pending")
        .values(status="cancelled", outcome=outcome, completed_at=now)
    )
    return rows_changed(result)


async def claim_due(session: AsyncSession, now: datetime, channels: tuple[str, ...]) -> DunningAction | None:
    """Lock the next action of `channels` due for delivery; rows another replica holds are skipped, not waited for."""
    query = (
        select(DunningAction)
        .where(
            DunningAction.status == "pending",
            DunningAction.channel.in_(channels),
            DunningAction.recipient.is_not(None),
            DunningAction.next_attempt_at <= now,
        )
        .order_by(DunningAction.next_attempt_at, DunningAction.id)
        .limit(1)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )
    return (await session.execute(query)).scalar_one_or_none()


async def done_steps(session: AsyncSession, case_id: UUID) -> frozenset[str]:
    """Names of the steps a case has taken (anything but cancelled counts: a step is never repeated)."""
    query = select(DunningAction.step).where(DunningAction.case_id == case_id, DunningAction.status != "cancelled")
    return frozenset((await session.execute(query)).scalars())


async def get_action(session: AsyncSession, action_id: UUID, *, for_update: bool = False) -> DunningAction | None:
    query = select(DunningAction).where(DunningAction.id == action_id)
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    return (await session.execute(query)).scalar_one_or_none()


async def export_actions(
    session: AsyncSession, *, customer_id: UUID | None, case_id: UUID | None, limit: int = 100_000
) -> list[DunningAction]:
    """The action log oldest first, for a CSV export."""
    query = select(DunningAction).order_by(DunningAction.created_at, DunningAction.id).limit(limit)
    if customer_id:
        query = query.where(DunningAction.customer_id == customer_id)
    if case_id:
        query = query.where(DunningAction.case_id == case_id)
    return list((await session.execute(query)).scalars())


async def get_document(session: AsyncSession, document_id: UUID) -> DunningDocument | None:
    return await session.get(DunningDocument, document_id)


async def list_case_documents(session: AsyncSession, case_id: UUID, page: PageParams) -> list[DunningDocument]:
    """One page of a case's documents, newest first like every list."""
    query = paginate(select(DunningDocument), DunningDocument.id, page, case_id=case_id)
    return list((await session.execute(query)).scalars())


async def case_documents(session: AsyncSession, case_id: UUID) -> list[DunningDocument]:
    query = (
        select(DunningDocument)
        .where(DunningDocument.case_id == case_id)
        .order_by(DunningDocument.created_at, DunningDocument.id)
    )
    return list((await session.execute(query)).scalars())


async def next_letter_number(session: AsyncSession, *, creditor_uscc: str, year: int) -> int:
    """The creditor's next letter number of `year`, gapless and safe with several replicas.

    One row per creditor and year is incremented in the letter's own transaction: a second
    transaction waits on the row lock until the first commits (then reads its number and adds one)
    or rolls back (then the number it took is taken again), so numbers are never skipped or repeated.
    """
    insert = pg_insert(DunningLetterNumber).values(creditor_uscc=creditor_uscc, year=year, last_number=1)
    statement = insert.on_conflict_do_update(
        index_elements=[DunningLetterNumber.creditor_uscc, DunningLetterNumber.year],
        set_={"last_number": DunningLetterNumber.last_number + 1},
    ).returning(DunningLetterNumber.last_number)
    number: int = (await session.execute(statement)).scalar_one()
    return number


async def letter_of_action(session: AsyncSession, action_id: UUID) -> DunningDocument | None:
    """The letter an action produced (the email of a letter step carries it)."""
    query = select(DunningDocument).where(DunningDocument.action_id == action_id, DunningDocument.kind == "letter")
    return (await session.execute(query.limit(1))).scalar_one_or_none()
