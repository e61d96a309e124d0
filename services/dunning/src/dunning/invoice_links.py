"""The projection of InvoiceIssued's hosted_invoice_url: each invoice's page, linked in every email about it.

InvoiceHostedLinkChanged follows a rotation (the new link) or a revocation (the row goes).
A table of its own (invoice id -> link), declared here beside its only writer (handlers) and reader
(actions.delivery); a root module, below every noun, like lookups.py. Invoices issued
before invoicing made links, or whose InvoiceIssued carried none, have no row: their emails carry no link.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from uuid import UUID

from sqlalchemy import Column, DateTime, Table, Text, Uuid, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.events.catalog import InvoiceHostedLinkChanged, InvoiceIssued
from dunning.lookups import among
from dunning.models import metadata

invoice_link = Table(
    "invoice_link",
    metadata,
    Column("invoice_id", Uuid, primary_key=True),
    Column("customer_id", Uuid, nullable=False, index=True),
    Column("hosted_invoice_url", Text, nullable=False),
    # When the link kept was made (InvoiceIssued.issued_at, or a rotation's changed_at): a later one wins.
    Column("issued_at", DateTime(timezone=True), nullable=False),
)


async def record_invoice_issued(session: AsyncSession, event: InvoiceIssued) -> None:
    """Keep the invoice's link (a replay or a duplicate changes nothing; a later issue's link wins)."""
    if not event.hosted_invoice_url:
        return
    await _keep(session, event.invoice_id, event.customer_id, event.hosted_invoice_url, event.issued_at)


async def _keep(session: AsyncSession, invoice_id: UUID, customer_id: UUID, url: str, at: datetime) -> None:
    """The link made at `at`, unless one made later is already kept."""
    insert = pg_insert(invoice_link).values(
        invoice_id=invoice_id, customer_id=customer_id, hosted_invoice_url=url, issued_at=at
    )
    await session.execute(
        insert.on_conflict_do_update(
            index_elements=[invoice_link.c.invoice_id],
            set_={"hosted_invoice_url": insert.excluded.hosted_invoice_url, "issued_at": insert.excluded.issued_at},
            where=invoice_link.c.issued_at <= insert.excluded.issued_at,
        )
    )


async def record_link_changed(session: AsyncSession, event: InvoiceHostedLinkChanged) -> None:
    """Follow a rotation (the new link) or a revocation (no link: the emails stop linking a page that is gone)."""
    if event.hosted_invoice_url is None:
        await session.execute(delete(invoice_link).where(invoice_link.c.invoice_id == event.invoice_id))
        return
    await _keep(session, event.invoice_id, event.customer_id, event.hosted_invoice_url, event.changed_at)


async def links_of(session: AsyncSession, invoice_ids: Iterable[UUID | str]) -> dict[str, str]:
    """The hosted page of each invoice that has one, by the invoice id as a message's details write it."""
    ids = [UUID(str(i)) for i in invoice_ids]
    if not ids:
        return {}
    rows = await session.execute(
        select(invoice_link.c.invoice_id, invoice_link.c.hosted_invoice_url).where(
            among(invoice_link.c.invoice_id, ids)
        )
    )
    return {str(invoice_id): url for invoice_id, url in rows.all()}
