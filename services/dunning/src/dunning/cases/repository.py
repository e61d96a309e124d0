"""SQL of cases, their items, closed invoices and disputes."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.events.catalog import PaymentApplied
from arflow.pagination import PageParams, paginate
from dunning.models import CasePayment, ClosedInvoice, DunningCase, DunningCaseItem, InvoiceDispute


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


async def add_case_item(session: AsyncSession, item: dict[str, Any]) -> bool:
    """Insert a case item unless the invoice already has one; True when inserted.

    The item is disputed when a dispute of its invoice is open (it may have been opened before the invoice was due).
    """
    values = {**item, "disputed": await is_invoice_disputed(session, item["invoice_id"])}
    inserted = await session.scalar(
        pg_insert(DunningCaseItem).values(**values).on_conflict_do_nothing().returning(DunningCaseItem.id)
    )
    return inserted is not None


async def get_item(session: AsyncSession, invoice_id: UUID, *, for_update: bool = False) -> DunningCaseItem | None:
    query = select(DunningCaseItem).where(DunningCaseItem.invoice_id == invoice_id)
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    return (await session.execute(query)).scalar_one_or_none()


async def item_and_case_for_update(
    session: AsyncSession, invoice_id: UUID
) -> tuple[DunningCaseItem, DunningCase] | None:
    """The invoice's item and its case, both locked, in one round trip (None: the invoice is in no case)."""
    query = (
        select(DunningCaseItem, DunningCase)
        .join(DunningCase, DunningCase.id == DunningCaseItem.case_id)
        .where(DunningCaseItem.invoice_id == invoice_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    row = (await session.execute(query)).one_or_none()
    return None if row is None else (row[0], row[1])


async def closures_of(session: AsyncSession, case_id: UUID) -> list[str | None]:
    """Each item's closure, None while it is open: what the case's resolution is decided on."""
    query = select(DunningCaseItem.status, DunningCaseItem.closure).where(DunningCaseItem.case_id == case_id)
    return [closure if status == "closed" else None for status, closure in (await session.execute(query)).all()]


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
    session: AsyncSession,
    page: PageParams,
    *,
    customer_id: UUID | None,
    status: str | None,
    level: int | None = None,
    collector: str | None = None,
    min_amount: Decimal | None = None,
    unassigned: bool = False,
) -> list[DunningCase]:
    # A free-text filter left empty filters nothing (collector=""), as an absent one.
    query = paginate(
        select(DunningCase),
        DunningCase.id,
        page,
        customer_id=customer_id,
        status=status,
        level=level,
        collector=collector or None,
    )
    if unassigned:
        query = query.where(DunningCase.collector.is_(None))
    if min_amount is not None:
        owed = (
            select(func.coalesce(func.sum(DunningCaseItem.amount_due), 0))
            .where(DunningCaseItem.case_id == DunningCase.id, DunningCaseItem.status == "open")
            .scalar_subquery()
        )
        query = query.where(owed >= min_amount)
    return list((await session.execute(query)).scalars())


async def remember_closed_invoice(
    session: AsyncSession, *, invoice_id: UUID, customer_id: UUID, closure: str, closed_at: datetime
) -> None:
    await session.execute(
        pg_insert(ClosedInvoice)
        .values(invoice_id=invoice_id, customer_id=customer_id, closure=closure, closed_at=closed_at)
        .on_conflict_do_nothing()
    )


async def forget_paid_invoice(session: AsyncSession, invoice_id: UUID) -> None:
    """A paid invoice is open again (its payment was reversed): it may be chased once more."""
    await session.execute(
        delete(ClosedInvoice).where(ClosedInvoice.invoice_id == invoice_id, ClosedInvoice.closure == "paid")
    )


async def is_invoice_closed(session: AsyncSession, invoice_id: UUID) -> bool:
    return await session.get(ClosedInvoice, invoice_id) is not None


async def remember_dispute_opened(
    session: AsyncSession, *, dispute_id: UUID, invoice_id: UUID, opened_at: datetime
) -> None:
    insert = pg_insert(InvoiceDispute).values(dispute_id=dispute_id, invoice_id=invoice_id, opened_at=opened_at)
    await session.execute(
        insert.on_conflict_do_update(index_elements=[InvoiceDispute.dispute_id], set_={"opened_at": opened_at})
    )


async def remember_dispute_resolved(
    session: AsyncSession, *, dispute_id: UUID, invoice_id: UUID, resolved_at: datetime
) -> None:
    insert = pg_insert(InvoiceDispute).values(dispute_id=dispute_id, invoice_id=invoice_id, resolved_at=resolved_at)
    await session.execute(
        insert.on_conflict_do_update(index_elements=[InvoiceDispute.dispute_id], set_={"resolved_at": resolved_at})
    )


async def is_invoice_disputed(session: AsyncSession, invoice_id: UUID) -> bool:
    """True while a dispute of the invoice is open (opened and not resolved)."""
    query = select(InvoiceDispute.dispute_id).where(
        InvoiceDispute.invoice_id == invoice_id, InvoiceDispute.resolved_at.is_(None)
    )
    return await session.scalar(query.limit(1)) is not None


async def record_case_payment(
    session: AsyncSession, *, item: DunningCaseItem, event: PaymentApplied, now: datetime
) -> None:
    """Keep a payment applied to an invoice of a case, with the collector who holds the case now (once)."""
    collector = select(DunningCase.collector).where(DunningCase.id == item.case_id).scalar_subquery()
    await session.execute(
        pg_insert(CasePayment)
        .values(
            application_id=event.application_id,
            case_id=item.case_id,
            invoice_id=item.invoice_id,
            customer_id=event.customer_id,
            collector=collector,
            amount=event.amount.amount,
            currency=event.amount.currency,
            applied_on=event.applied_on,
            recorded_at=now,
        )
        .on_conflict_do_nothing()
    )


async def mark_payment_reversed(session: AsyncSession, application_id: UUID, *, reversed_on: date) -> None:
    await session.execute(
        update(CasePayment)
        .where(CasePayment.application_id == application_id, CasePayment.reversed_on.is_(None))
        .values(reversed_on=reversed_on)
    )
