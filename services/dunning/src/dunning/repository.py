"""All SQL of the dunning service."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import func, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.pagination import PageParams
from dunning.models import ClosedInvoice, Customer, DunningAction, DunningCase, DunningCaseItem

# --- the customer projection ------------------------------------------------------


async def upsert_customer(session: AsyncSession, values: dict[str, Any]) -> bool:
    """Insert or update a customer, keeping the highest revision; True when `values` were applied."""
    insert = pg_insert(Customer).values(**values)
    upsert = insert.on_conflict_do_update(
        index_elements=[Customer.id],
        set_={k: insert.excluded[k] for k in values if k != "id"},
        where=Customer.revision < insert.excluded.revision,
    )
    return await session.scalar(upsert.returning(Customer.id)) is not None


async def get_customer(session: AsyncSession, customer_id: UUID) -> Customer | None:
    return await session.get(Customer, customer_id)


# --- cases and their items ----------------------------------------------------------


async def open_case_for_update(
    session: AsyncSession, *, case_id: UUID, customer_id: UUID, currency: str, now: datetime
) -> DunningCase:
    """The customer's open case in `currency`, created if there is none, locked."""
    await session.execute(
        pg_insert(DunningCase)
        .values(
            id=case_id,
            customer_id=customer_id,
            currency=currency,
            status="open",
            level=0,
            opened_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["customer_id", "currency"], index_where=text("status = 'open'"))
    )
    query = (
        select(DunningCase)
        .where(DunningCase.customer_id == customer_id, DunningCase.currency == currency, DunningCase.status == "open")
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.execute(query)).scalar_one()


async def get_case(session: AsyncSession, case_id: UUID, *, for_update: bool = False) -> DunningCase | None:
    query = select(DunningCase).where(DunningCase.id == case_id)
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    return (await session.execute(query)).scalar_one_or_none()


async def add_case_item(session: AsyncSession, item: dict[str, Any]) -> bool:
    """Insert a case item unless the invoice already has one; True when inserted."""
    inserted = await session.scalar(
        pg_insert(DunningCaseItem).values(**item).on_conflict_do_nothing().returning(DunningCaseItem.id)
    )
    return inserted is not None


async def get_item(session: AsyncSession, invoice_id: UUID, *, for_update: bool = False) -> DunningCaseItem | None:
    query = select(DunningCaseItem).where(DunningCaseItem.invoice_id == invoice_id)
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    return (await session.execute(query)).scalar_one_or_none()


async def case_items(session: AsyncSession, case_id: UUID) -> list[DunningCaseItem]:
    query = (
        select(DunningCaseItem)
        .where(DunningCaseItem.case_id == case_id)
        .order_by(DunningCaseItem.created_at, DunningCaseItem.id)
    )
    return list((await session.execute(query)).scalars())


async def amounts_overdue(session: AsyncSession, case_ids: list[UUID]) -> dict[UUID, Decimal]:
    """The sum of open items' amounts due, per case."""
    if not case_ids:
        return {}
    query = (
        select(DunningCaseItem.case_id, func.sum(DunningCaseItem.amount_due))
        .where(DunningCaseItem.case_id.in_(case_ids), DunningCaseItem.status == "open")
        .group_by(DunningCaseItem.case_id)
    )
    return {case_id: total for case_id, total in (await session.execute(query)).all()}


async def list_cases(
    session: AsyncSession, page: PageParams, *, customer_id: UUID | None, status: str | None
) -> list[DunningCase]:
    query = select(DunningCase).order_by(DunningCase.id.desc()).limit(page.limit + 1)
    if page.starting_after:
        query = query.where(DunningCase.id < page.starting_after)
    if customer_id:
        query = query.where(DunningCase.customer_id == customer_id)
    if status:
        query = query.where(DunningCase.status == status)
    return list((await session.execute(query)).scalars())


# --- closed invoices ------------------------------------------------------------------


async def remember_closed_invoice(
    session: AsyncSession, *, invoice_id: UUID, customer_id: UUID, closure: str, closed_at: datetime
) -> None:
    await session.execute(
        pg_insert(ClosedInvoice)
        .values(invoice_id=invoice_id, customer_id=customer_id, closure=closure, closed_at=closed_at)
        .on_conflict_do_nothing()
    )


async def is_invoice_closed(session: AsyncSession, invoice_id: UUID) -> bool:
    return await session.get(ClosedInvoice, invoice_id) is not None


# --- the action log ----------------------------------------------------------------


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
    query = select(DunningAction).order_by(DunningAction.id.desc()).limit(page.limit + 1)
    if page.starting_after:
        query = query.where(DunningAction.id < page.starting_after)
    if customer_id:
        query = query.where(DunningAction.customer_id == customer_id)
    if case_id:
        query = query.where(DunningAction.case_id == case_id)
    if status:
        query = query.where(DunningAction.status == status)
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
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def claim_due_email(session: AsyncSession, now: datetime) -> DunningAction | None:
    """Lock the next email due for delivery; rows another replica holds are skipped, not waited for."""
    query = (
        select(DunningAction)
        .where(
            DunningAction.status == "pending",
            DunningAction.channel == "email",
            DunningAction.recipient.is_not(None),
            DunningAction.next_attempt_at <= now,
        )
        .order_by(DunningAction.next_attempt_at, DunningAction.id)
        .limit(1)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )
    return (await session.execute(query)).scalar_one_or_none()
