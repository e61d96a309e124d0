"""SQL of matching: the projection read for the engine (whole, or by indexed key), and the learned payer mappings."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import Row, Select, delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.pagination import PageParams, paginate
from reconciliation.models import Allocation, Customer, CustomerNameBigram, OpenItem, PayerMapping
from reconciliation.open_items.repository import with_pending


async def all_customers(session: AsyncSession) -> Sequence[Row[UUID, str, str | None]]:
    query = select(Customer.id, Customer.legal_name, Customer.short_name).where(Customer.archived.is_(False))
    return (await session.execute(query)).all()


async def all_allocatable_items(session: AsyncSession) -> Sequence[Row[OpenItem, Decimal]]:
    """Every issued open item with its pending allocations (the whole projection, for one batch)."""
    query = with_pending().where(OpenItem.status == "open", OpenItem.issued_at.is_not(None))
    return (await session.execute(query)).all()


def _allocatable() -> Select[OpenItem, Decimal]:
    return with_pending().where(OpenItem.status == "open", OpenItem.issued_at.is_not(None))


async def documents_by_reference_keys(session: AsyncSession, keys: Sequence[str]) -> Sequence[Row[OpenItem, Decimal]]:
    """The items, of any status, whose invoice number or payment reference key is one of `keys` (indexed), each
    with its pending allocations: what `items_by_reference_keys` and `settled_documents` find, in one query."""
    if not keys:
        return []
    keys = list(keys)
    query = with_pending().where(OpenItem.number_key.in_(keys) | OpenItem.reference_key.in_(keys))
    return (await session.execute(query)).all()


async def settled_documents(session: AsyncSession) -> Sequence[Row[str, str | None]]:
    """(invoice number, payment reference) of every item that is not open (paid, void, written off)."""
    query = select(OpenItem.invoice_number, OpenItem.payment_reference).where(OpenItem.status != "open")
    return (await session.execute(query)).all()


async def items_owing(session: AsyncSession, currency: str, amount: Decimal) -> Sequence[Row[OpenItem, Decimal]]:
    """Issued open items whose balance is `amount` (indexed), or that pending allocations may bring down to it."""
    pending_items = select(Allocation.invoice_id).where(
        Allocation.applied_at.is_(None), Allocation.released_at.is_(None)
    )
    query = _allocatable().where(
        OpenItem.currency == currency,
        (OpenItem.balance == amount) | (OpenItem.invoice_id.in_(pending_items) & (OpenItem.balance > amount)),
    )
    return (await session.execute(query)).all()


async def allocatable_items_of(session: AsyncSession, customer_ids: Sequence[UUID]) -> Sequence[Row[OpenItem, Decimal]]:
    """The issued open items of some customers, each with its pending allocations."""
    if not customer_ids:
        return []
    query = _allocatable().where(OpenItem.customer_id.in_(list(customer_ids)))
    return (await session.execute(query)).all()


async def customers_by_name_keys(session: AsyncSession, keys: Sequence[str]) -> Sequence[Row[UUID, str, str | None]]:
    """Customers (id, legal name, short name) whose normalised legal or short name is one of `keys` (indexed)."""
    if not keys:
        return []
    keys = list(keys)
    query = select(Customer.id, Customer.legal_name, Customer.short_name).where(
        Customer.name_key.in_(keys) | Customer.short_name_key.in_(keys), Customer.archived.is_(False)
    )
    return (await session.execute(query)).all()


async def name_bigram_frequencies(session: AsyncSession, grams: Sequence[str]) -> dict[str, int]:
    """How often each of `grams` occurs in the customers' name keys (one that never does is left out; indexed)."""
    if not grams:
        return {}
    query = (
        select(CustomerNameBigram.gram, func.count())
        .where(CustomerNameBigram.gram.in_(list(grams)))
        .group_by(CustomerNameBigram.gram)
    )
    return {gram: count for gram, count in (await session.execute(query)).all()}


async def names_with_bigrams(session: AsyncSession, grams: Sequence[str]) -> list[str]:
    """The distinct customer name keys having any of `grams` (indexed), in order."""
    if not grams:
        return []
    query = (
        select(CustomerNameBigram.name_key)
        .where(CustomerNameBigram.gram.in_(list(grams)))
        .distinct()
        .order_by(CustomerNameBigram.name_key)
    )
    return list((await session.execute(query)).scalars())


async def customers_by_ids(session: AsyncSession, customer_ids: Sequence[UUID]) -> Sequence[Row[UUID, str, str | None]]:
    if not customer_ids:
        return []
    query = select(Customer.id, Customer.legal_name, Customer.short_name).where(
        Customer.id.in_(list(customer_ids)), Customer.archived.is_(False)
    )
    return (await session.execute(query)).all()


async def payer_mapping_of(session: AsyncSession, account_key: str) -> UUID | None:
    return await session.scalar(select(PayerMapping.customer_id).where(PayerMapping.account_key == account_key))


async def payer_mappings(session: AsyncSession) -> dict[str, UUID]:
    rows = (await session.execute(select(PayerMapping.account_key, PayerMapping.customer_id))).all()
    return {row.account_key: row.customer_id for row in rows}


async def learn_payer_mapping(session: AsyncSession, values: dict[str, Any]) -> None:
    """Map a payer account to a customer; a later confirmation for another customer moves it."""
    statement = pg_insert(PayerMapping).values(**values)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[PayerMapping.account_key],
            set_={
                "customer_id": statement.excluded.customer_id,
                "payer_name": statement.excluded.payer_name,
                "learned_from_payment_id": statement.excluded.learned_from_payment_id,
                "updated_at": statement.excluded.updated_at,
                "confirmations": PayerMapping.confirmations + 1,
            },
        )
    )


async def list_payer_mappings(session: AsyncSession, page: PageParams, customer_id: UUID | None) -> list[PayerMapping]:
    """One page of the mappings, newest first (one more than the page: whether there is more)."""
    query = paginate(select(PayerMapping), PayerMapping.id, page, customer_id=customer_id)
    return list((await session.execute(query)).scalars())


async def payer_mapping(session: AsyncSession, account_key: str) -> PayerMapping | None:
    query = select(PayerMapping).where(PayerMapping.account_key == account_key)
    return await session.scalar(query.execution_options(populate_existing=True))


async def delete_payer_mapping(session: AsyncSession, account_key: str) -> bool:
    result = await session.execute(
        delete(PayerMapping).where(PayerMapping.account_key == account_key).returning(PayerMapping.account_key)
    )
    return result.first() is not None
