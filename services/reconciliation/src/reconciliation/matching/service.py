"""Matching's use cases: the engine's settings and index read from the projection, and the learned payer mappings."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from uuid import UUID

import structlog
from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.auth import Principal
from arflow.clock import Clock
from arflow.ids import uuid7
from reconciliation import domain
from reconciliation.config import ReconciliationSettings
from reconciliation.keys import (
    account_key,
    name_bigrams,
    normalise_name,
    rarest_bigrams,
    reference_key,
    similar_names,
    text_keys,
)
from reconciliation.matching import reasons as why
from reconciliation.matching import repository
from reconciliation.matching.engine import Incoming, MatchSettings, Suggestion
from reconciliation.matching.errors import PayerAccountInvalid, PayerMappingNotFound
from reconciliation.matching.index import Customer, Item, MatchIndex
from reconciliation.matching.schemas import PayerMappingIn
from reconciliation.models import OpenItem, PayerMapping, StoredSuggestion
from reconciliation.open_items.service import invoice_state, require_customer

log = structlog.get_logger("reconciliation")


def match_settings(settings: ReconciliationSettings) -> MatchSettings:
    """The engine's settings from the service's."""
    return MatchSettings(
        threshold=settings.match_threshold,
        tolerance_absolute=settings.match_tolerance_absolute,
        tolerance_percent=settings.match_tolerance_percent,
        max_candidates=settings.match_max_candidates,
        max_combination=settings.match_max_combination,
        max_search_steps=settings.match_max_search_steps,
    )


def _match_item(item: OpenItem, pending: Decimal) -> Item:
    return Item(
        invoice_id=item.invoice_id,
        customer_id=item.customer_id,
        invoice_number=item.invoice_number,
        currency=item.currency,
        due_date=item.due_date,
        available=domain.available_balance(invoice_state(item), pending),
        payment_reference=item.payment_reference,
    )


async def load_match_index(session: AsyncSession) -> MatchIndex:
    """The whole open-item projection, with pending allocations deducted, arranged for matching (big batches)."""
    customers = [Customer(row.id, row.legal_name, row.short_name) for row in await repository.all_customers(session)]
    items = [_match_item(item, pending) for item, pending in await repository.all_allocatable_items(session)]
    settled = [(row.invoice_number, row.payment_reference) for row in await repository.settled_documents(session)]
    return MatchIndex.build(customers, items, await repository.payer_mappings(session), settled)


async def match_index_for(session: AsyncSession, payment: Incoming) -> MatchIndex:
    """Just the part of the projection one payment's match can consult, found by indexed lookups.

    The items its text names (invoice number / payment reference / out_trade_no
    keys), the customer its account was learned for, the customers its payer
    name is (or, when no name is equal, resembles: looked up by the rarest of
    its bigrams, `customer_name_bigram`), all open items of those
    customers (for the subset search), the documents its text names that owe
    nothing any more (paid, void, written off), and — when nobody is
    identified — the items owing exactly its amount. `match` decides on this index as
    it would on the whole projection.
    """
    rows: dict[UUID, tuple[OpenItem, Decimal]] = {}
    named_keys = set(text_keys(payment.remittance))
    if payment.ordered:
        named_keys.add(reference_key(payment.ordered))  # the invoice a gateway order was made for
    settled: list[tuple[str, str | None]] = []
    for item, pending in await repository.documents_by_reference_keys(session, sorted(named_keys)):
        if item.status != "open":
            settled.append((item.invoice_number, item.payment_reference))
        elif item.issued_at is not None:
            rows[item.invoice_id] = (item, pending)
    customer_ids = {item.customer_id for item, _ in rows.values()}
    accounts: dict[str, UUID] = {}
    if payment.payer_account:
        key = account_key(payment.payer_account)
        mapped = await repository.payer_mapping_of(session, key) if key else None
        if mapped is not None:
            accounts[key] = mapped
            customer_ids.add(mapped)
    known: dict[UUID, Customer] = {}
    name = normalise_name(payment.payer_name)
    if name:
        for row in await _customers_named(session, name):
            known[row.id] = Customer(row.id, row.legal_name, row.short_name)
        customer_ids.update(known)
    for item, pending in await repository.allocatable_items_of(session, sorted(customer_ids)):
        rows[item.invoice_id] = (item, pending)
    if not customer_ids:
        for item, pending in await repository.items_owing(session, payment.currency, payment.amount):
            rows[item.invoice_id] = (item, pending)
    unknown = sorted(customer_ids - known.keys())
    customers = list(known.values()) + [
        Customer(row.id, row.legal_name, row.short_name) for row in await repository.customers_by_ids(session, unknown)
    ]
    items = [_match_item(item, pending) for item, pending in rows.values()]
    return MatchIndex.build(customers, items, accounts, settled)


async def _customers_named(session: AsyncSession, name_key: str) -> Sequence[Row[UUID, str, str | None]]:
    """Customers whose name key is `name_key`, or when none is, those whose name keys are similar to it."""
    exact = await repository.customers_by_name_keys(session, [name_key])
    if exact:
        return exact
    return await repository.customers_by_name_keys(session, await _similar_name_keys(session, name_key))


async def _similar_name_keys(session: AsyncSession, name_key: str) -> list[str]:
    """The customers' name keys within the fuzzy cutoff of `name_key`, found through its rarest bigrams."""
    frequencies = await repository.name_bigram_frequencies(session, sorted(name_bigrams(name_key)))
    grams = rarest_bigrams(name_key, lambda gram: frequencies.get(gram, 0))
    if not any(gram in frequencies for gram in grams):
        return []  # (a person's name usually shares no bigram with any company's)
    names = await repository.names_with_bigrams(session, sorted(grams))
    return similar_names(name_key, names)


def suggestion_json(suggestion: Suggestion) -> StoredSuggestion:
    """A suggestion as the payment stores it, its reasons written in English and Chinese."""
    return {
        "customer_id": str(suggestion.customer_id),
        "confidence": suggestion.confidence,
        "shape": suggestion.shape,
        "reasons": list(suggestion.reasons),
        "reasons_zh": list(why.said(suggestion.evidence, "zh")),
        "allocations": [
            {"invoice_id": str(a.invoice_id), "invoice_number": a.invoice_number, "amount": str(a.amount)}
            for a in suggestion.allocations
        ],
    }


async def learn_payer(
    session: AsyncSession,
    *,
    clock: Clock,
    key: str,
    customer_id: UUID,
    payer_name: str | None,
    learned_from_payment_id: UUID | None,
) -> None:
    """Map a payer account key to a customer; a later mapping to another customer moves it."""
    now = clock.now()
    await repository.learn_payer_mapping(
        session,
        {
            "id": uuid7(),
            "account_key": key,
            "customer_id": customer_id,
            "payer_name": payer_name,
            "learned_from_payment_id": learned_from_payment_id,
            "created_at": now,
            "updated_at": now,
        },
    )


async def create_payer_mapping(
    session: AsyncSession, *, clock: Clock, data: PayerMappingIn, actor: Principal
) -> PayerMapping:
    """A person maps a payer account to a customer: the next payment from it is recognised."""
    await require_customer(session, data.customer_id)
    key = account_key(data.payer_account)
    if not key:
        raise PayerAccountInvalid(
            "payer_account has no letters or digits.",
            detail_zh="付款人账号 payer_account 中没有任何字母或数字。",
        )
    await learn_payer(
        session,
        clock=clock,
        key=key,
        customer_id=data.customer_id,
        payer_name=data.payer_name,
        learned_from_payment_id=None,
    )
    mapping = await repository.payer_mapping(session, key)
    assert mapping is not None
    return mapping


async def delete_payer_mapping(session: AsyncSession, *, account: str, actor: Principal) -> None:
    """Forget whose a payer account was learned to be."""
    if not await repository.delete_payer_mapping(session, account_key(account)):
        raise PayerMappingNotFound(
            f"There is no mapping for payer account {account}.",
            detail_zh=f"付款人账号 {account} 没有对应的付款方映射。",
        )
