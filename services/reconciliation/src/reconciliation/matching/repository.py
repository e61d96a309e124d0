"""SQL of matching: the projection read for the engine (whole, or by indexed key), and the learned payer mappings."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import Row, Select, Uuid, delete, func, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.pagination import PageParams, paginate
from reconciliation.domain import ALLOCATABLE_STATUSES
from reconciliation.models import Customer, CustomerNameBigram, OpenItem, PayerMapping
from reconciliation.open_items.repository import with_pending

# Everything a payment's match can consult, found by its keys, in one statement (matching.service.match_index_for):
# the documents (any status) whose invoice number or payment reference key the text names, the customer a payer
# account was learned for, the customers whose name key is the payer's, and the issued open items and the
# customer rows of them all ("parties": owners of the named open items, the mapped and the named customers),
# each item with what pending allocations hold of it (summed per item by index, not over every allocation).
# Written-off items are read like open ones (money on one is a recovery): the index lets only an exact reference
# reach them, and keeps them aside for the review's note (matching.recovery).
# Rows of several kinds in one result: `kind` says which columns a row fills.
_LOOKUP = text(
    """
    WITH named AS MATERIALIZED (
        SELECT o.invoice_id, o.customer_id, o.status, o.issued_at FROM open_item o
        WHERE o.number_key = ANY(CAST(:keys AS text[])) OR o.reference_key = ANY(CAST(:keys AS text[]))
    ), mapped AS (
        SELECT m.customer_id FROM payer_mapping m WHERE m.account_key = CAST(:account_key AS text)
    ), called AS (
        SELECT c.id FROM customer c
        WHERE (c.name_key = ANY(CAST(:name_keys AS text[])) OR c.short_name_key = ANY(CAST(:name_keys AS text[])))
          AND NOT c.archived
    ), party AS (
        SELECT n.customer_id FROM named n WHERE n.status IN ('open', 'written_off') AND n.issued_at IS NOT NULL
        UNION SELECT customer_id FROM mapped
        UNION SELECT id FROM called
    ), item AS (
        SELECT n.invoice_id, true AS named FROM named n
        UNION ALL
        SELECT o.invoice_id, false FROM open_item o
        WHERE o.customer_id IN (SELECT customer_id FROM party) AND o.status IN ('open', 'written_off')
          AND o.issued_at IS NOT NULL
          AND o.invoice_id NOT IN (SELECT invoice_id FROM named)
    )
    SELECT 'item' AS kind, o.invoice_id, o.customer_id, o.invoice_number, o.currency, o.status, o.balance,
           coalesce(p.pending, 0) AS pending, o.due_date, o.payment_reference, o.issued_at IS NOT NULL AS issued,
           i.named, NULL AS legal_name, NULL AS short_name
    FROM item i JOIN open_item o ON o.invoice_id = i.invoice_id
    LEFT JOIN LATERAL (
        SELECT sum(a.amount) AS pending FROM allocation a
        WHERE a.invoice_id = o.invoice_id AND a.applied_at IS NULL AND a.released_at IS NULL
    ) p ON true
    UNION ALL
    SELECT 'customer', NULL, c.id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, c.legal_name, c.short_name
    FROM customer c WHERE c.id IN (SELECT customer_id FROM party) AND NOT c.archived
    UNION ALL
    SELECT 'mapped', NULL, m.customer_id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
    FROM mapped m
    UNION ALL
    SELECT 'called', NULL, c.id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL FROM called c
    """
).columns(invoice_id=Uuid, customer_id=Uuid)

# Issued open items whose balance is `amount` (indexed), or that pending allocations may bring down to it:
# a payment that names nobody is looked up by its amount. The same row shape as _LOOKUP's items.
_OWING = text(
    """
    SELECT 'item' AS kind, o.invoice_id, o.customer_id, o.invoice_number, o.currency, o.status, o.balance,
           coalesce(p.pending, 0) AS pending, o.due_date, o.payment_reference, true AS issued, false AS named,
           NULL AS legal_name, NULL AS short_name
    FROM open_item o
    LEFT JOIN LATERAL (
        SELECT sum(a.amount) AS pending FROM allocation a
        WHERE a.invoice_id = o.invoice_id AND a.applied_at IS NULL AND a.released_at IS NULL
    ) p ON true
    WHERE o.currency = CAST(:currency AS text) AND o.status = 'open' AND o.issued_at IS NOT NULL
      AND (
          o.balance = CAST(:amount AS numeric)
          OR (o.balance > CAST(:amount AS numeric) AND o.invoice_id IN (
              SELECT a.invoice_id FROM allocation a WHERE a.applied_at IS NULL AND a.released_at IS NULL
          ))
      )
    """
).columns(invoice_id=Uuid, customer_id=Uuid)


async def lookup(
    session: AsyncSession, *, keys: Sequence[str], account_key: str | None, name_keys: Sequence[str]
) -> Sequence[Row[Any]]:
    """What a payment's match can consult, by its reference keys, payer account key and payer name keys: rows of
    kind `item`, `customer`, `mapped` (the account's customer) and `called` (a customer named so), one statement."""
    params = {"keys": list(keys), "account_key": account_key, "name_keys": list(name_keys)}
    return (await session.execute(_LOOKUP, params)).all()


async def owing(session: AsyncSession, currency: str, amount: Decimal) -> Sequence[Row[Any]]:
    """Issued open items owing `amount`, or more with pending allocations that may bring them down to it (rows of
    kind `item`)."""
    return (await session.execute(_OWING, {"currency": currency, "amount": amount})).all()


async def all_customers(session: AsyncSession) -> Sequence[Row[UUID, str, str | None]]:
    query = select(Customer.id, Customer.legal_name, Customer.short_name).where(Customer.archived.is_(False))
    return (await session.execute(query)).all()


async def all_allocatable_items(session: AsyncSession) -> Sequence[Row[OpenItem, Decimal]]:
    """Every issued item that takes money (open or written off) with its pending allocations (for one batch)."""
    return (await session.execute(_allocatable())).all()


def _allocatable() -> Select[OpenItem, Decimal]:
    return with_pending().where(OpenItem.status.in_(ALLOCATABLE_STATUSES), OpenItem.issued_at.is_not(None))


async def settled_documents(session: AsyncSession) -> Sequence[Row[str, str | None]]:
    """(invoice number, payment reference) of every item that takes no money (paid, void)."""
    query = select(OpenItem.invoice_number, OpenItem.payment_reference).where(
        OpenItem.status.not_in(ALLOCATABLE_STATUSES)
    )
    return (await session.execute(query)).all()


async def allocatable_items_of(session: AsyncSession, customer_ids: Sequence[UUID]) -> Sequence[Row[OpenItem, Decimal]]:
    """The issued open items of some customers, each with its pending allocations."""
    if not customer_ids:
        return []
    query = _allocatable().where(OpenItem.customer_id.in_(list(customer_ids)))
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
