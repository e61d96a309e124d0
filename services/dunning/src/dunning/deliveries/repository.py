"""SQL of the deliveries of issued documents."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Table, cast, exists, func, literal, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.pagination import PageParams, paginate
from dunning.models import ClosedInvoice, CustomerDelivery

TABLE: Table = CustomerDelivery.__table__  # type: ignore[assignment]


def _typed(name: str, value: Any) -> Any:
    """A value as its column's type (PostgreSQL types no parameter of an INSERT ... SELECT by itself)."""
    kind = TABLE.c[name].type
    return cast(literal(value, kind), kind).label(name)


async def queue_delivery(session: AsyncSession, values: dict[str, Any]) -> bool:
    """Insert a delivery unless its document already has one (on any channel); True when inserted.

    One statement: a replayed event, or the same document on another channel after the contacts
    changed, inserts nothing, so a customer is never sent one document twice.
    """
    columns = list(values)
    source = select(*(_typed(name, values[name]) for name in columns)).where(
        ~exists().where(
            TABLE.c.kind == values["kind"], TABLE.c.document_id == values["document_id"], TABLE.c.purpose == "issue"
        )
    )
    statement = pg_insert(TABLE).from_select(columns, source).on_conflict_do_nothing().returning(TABLE.c.id)
    return (await session.execute(statement)).first() is not None


async def queue_renewal(session: AsyncSession, values: dict[str, Any]) -> bool:
    """Insert the email of a renewed link unless its request already has one (its id); True when inserted."""
    statement = pg_insert(TABLE).values(**values).on_conflict_do_nothing(index_elements=[TABLE.c.id])
    return bool((await session.execute(statement.returning(TABLE.c.id))).first())


async def wake_waiting(session: AsyncSession, customer_id: UUID, now: datetime) -> set[str]:
    """Make due now the queued deliveries of a customer that waited to be addressed; the channels woken."""
    statement = (
        update(CustomerDelivery)
        .where(
            CustomerDelivery.customer_id == customer_id,
            CustomerDelivery.status == "queued",
            CustomerDelivery.recipient.is_(None),
            CustomerDelivery.next_attempt_at > now,
        )
        .values(next_attempt_at=now, updated_at=now)
        .returning(CustomerDelivery.channel)
        .execution_options(synchronize_session=False)
    )
    return set((await session.execute(statement)).scalars())


async def follow_statement_link(session: AsyncSession, statement_id: UUID, url: str | None, now: datetime) -> None:
    """Point the statement's deliveries on issue at its link in force (a rotation's; none once revoked)."""
    await session.execute(
        update(CustomerDelivery)
        .where(
            CustomerDelivery.kind == "statement",
            CustomerDelivery.document_id == statement_id,
            CustomerDelivery.purpose == "issue",
        )
        .values(details=CustomerDelivery.details.op("||")(func.jsonb_build_object("hosted_url", url)), updated_at=now)
        .execution_options(synchronize_session=False)
    )


async def claim_due(session: AsyncSession, now: datetime, channel: str) -> CustomerDelivery | None:
    """Lock the next queued delivery of `channel` that is due; rows another replica holds are skipped."""
    query = (
        select(CustomerDelivery)
        .where(
            CustomerDelivery.status == "queued",
            CustomerDelivery.channel == channel,
            CustomerDelivery.next_attempt_at <= now,
        )
        .order_by(CustomerDelivery.next_attempt_at, CustomerDelivery.id)
        .limit(1)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )
    return (await session.execute(query)).scalar_one_or_none()


async def get_delivery(
    session: AsyncSession, delivery_id: UUID, *, kind: str, for_update: bool = False
) -> CustomerDelivery | None:
    query = select(CustomerDelivery).where(CustomerDelivery.id == delivery_id, CustomerDelivery.kind == kind)
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    return (await session.execute(query)).scalar_one_or_none()


async def list_deliveries(
    session: AsyncSession,
    page: PageParams,
    *,
    kind: str,
    document_id: UUID | None,
    customer_id: UUID | None,
    status: str | None,
    purpose: str | None = None,
) -> list[CustomerDelivery]:
    query = paginate(
        select(CustomerDelivery),
        CustomerDelivery.id,
        page,
        kind=kind,
        document_id=document_id,
        customer_id=customer_id,
        status=status,
        purpose=purpose,
    )
    return list((await session.execute(query)).scalars())


async def closure_of(session: AsyncSession, invoice_id: UUID) -> str | None:
    """How an invoice was settled (paid, voided, written_off), if dunning has heard it was."""
    closure: str | None = await session.scalar(
        select(ClosedInvoice.closure).where(ClosedInvoice.invoice_id == invoice_id)
    )
    return closure
