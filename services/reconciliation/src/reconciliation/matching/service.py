"""Matching's use cases: the engine's settings and index read from the projection, and the learned payer mappings."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any
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
from reconciliation.matching.engine import Incoming, MatchSettings, Suggestion, names_open_item
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
        written_off=item.status == "written_off",
    )


async def load_match_index(session: AsyncSession) -> MatchIndex:
    """The whole open-item projection, with pending allocations deducted, arranged for matching (big batches)."""
    customers = [Customer(row.id, row.legal_name, row.short_name) for row in await repository.all_customers(session)]
    items = [_match_item(item, pending) for item, pending in await repository.all_allocatable_items(session)]
    settled = [(row.invoice_number, row.payment_reference) for row in await repository.settled_documents(session)]
    return MatchIndex.build(customers, items, await repository.payer_mappings(session), settled)


class _Found:
    """What the lookups of one payment found, gathered into a MatchIndex."""

    def __init__(self) -> None:
        self.items: dict[UUID, Item] = {}
        self.settled: list[tuple[str, str | None]] = []
        self.customers: dict[UUID, Customer] = {}
        self.accounts: dict[str, UUID] = {}
        self.parties: set[UUID] = set()  # whose open items were read (named, mapped or called)
        self.called = False  # a customer's name key is the payer's

    def add(self, rows: Sequence[Row[Any]], account: str = "") -> None:
        for row in rows:
            if row.kind == "item":
                if row.named and row.status not in domain.ALLOCATABLE_STATUSES:
                    self.settled.append((row.invoice_number, row.payment_reference))
                elif row.status in domain.ALLOCATABLE_STATUSES and row.issued:
                    if row.named:
                        self.parties.add(row.customer_id)
                    self.items[row.invoice_id] = Item(
                        invoice_id=row.invoice_id,
                        customer_id=row.customer_id,
                        invoice_number=row.invoice_number,
                        currency=row.currency,
                        due_date=row.due_date,
                        available=domain.available_of(row.status, row.issued, row.balance, row.pending),
                        payment_reference=row.payment_reference,
                        written_off=row.status == "written_off",
                    )
            elif row.kind == "customer":
                self.customers[row.customer_id] = Customer(row.customer_id, row.legal_name, row.short_name)
            elif row.kind == "mapped":
                self.accounts[account] = row.customer_id
                self.parties.add(row.customer_id)
            elif row.kind == "called":
                self.called = True
                self.parties.add(row.customer_id)

    def index(self) -> MatchIndex:
        return MatchIndex.build(self.customers.values(), self.items.values(), self.accounts, self.settled)


async def match_index_for(session: AsyncSession, payment: Incoming) -> MatchIndex:
    """Just the part of the projection one payment's match can consult, found by indexed lookups.

    In one statement (repository.lookup): the items its text names (invoice number / payment reference /
    out_trade_no keys), the customer its account was learned for, the customers its payer name is, and all
    open items of those customers (for the subset search), the documents its text names that owe nothing any
    more (paid, void, written off). Only when no name is equal and the text names no open item exactly (which
    would make the name count for that item's customer alone: engine.names_open_item), the customers whose
    names resemble the payer's (looked up by the rarest of its bigrams, `customer_name_bigram`); and when
    nobody is identified, the items owing exactly its amount. `match` decides on this index as it would on
    the whole projection.
    """
    named_keys = set(text_keys(payment.remittance))
    if payment.ordered:
        named_keys.add(reference_key(payment.ordered))  # the invoice a gateway order was made for
    account = account_key(payment.payer_account) if payment.payer_account else ""
    name = normalise_name(payment.payer_name)
    found = _Found()
    found.add(
        await repository.lookup(
            session, keys=sorted(named_keys), account_key=account or None, name_keys=[name] if name else []
        ),
        account,
    )
    index = found.index()
    if name and not found.called and not names_open_item(payment, index):
        similar = await _similar_name_keys(session, name)
        if similar:
            found.add(await repository.lookup(session, keys=[], account_key=None, name_keys=similar))
            index = found.index()
    if not found.parties:
        found.add(await repository.owing(session, payment.currency, payment.amount))
        index = found.index()
    return index


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
