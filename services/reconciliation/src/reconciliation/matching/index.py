"""The open-item projection arranged for matching: items by reference, customer and amount; customers by name.

Pure: built once per import or webhook from rows the caller read; `commit`
lowers items' availability as a batch's decisions are taken.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from uuid import UUID

from rapidfuzz import fuzz, process

from reconciliation.keys import (
    NAME_FUZZY_CUTOFF,
    account_key,
    name_bigrams,
    normalise_name,
    rarest_bigrams,
    reference_key,
)

_ZERO = Decimal(0)  # (a Decimal compares faster with a Decimal than with an int)


@dataclass(frozen=True, slots=True)
class Customer:
    customer_id: UUID
    legal_name: str
    short_name: str | None = None


@dataclass(slots=True)
class Item:
    """An open item as the engine sees it; `available` falls as batch decisions are committed."""

    invoice_id: UUID
    customer_id: UUID
    invoice_number: str
    currency: str
    due_date: date | None
    available: Decimal
    payment_reference: str | None = None
    # The invoice number as compared (reference_key), set by MatchIndex.build.
    number_key: str = field(default="", compare=False)
    # Written off as a bad debt: only an exact reference reaches it (MatchIndex.build), never a name or amount.
    written_off: bool = False


@dataclass(slots=True, unsafe_hash=True)
class Allocation:
    invoice_id: UUID
    invoice_number: str
    amount: Decimal


# A customer whose name a payer's equals or resembles: (id, similarity 0-100, "exact" or "similar", legal name).
NameMatch = tuple[UUID, float, str, str]


@dataclass
class MatchIndex:
    """The open-item projection arranged for matching: by reference, customer, account and name."""

    customers: dict[UUID, Customer] = field(default_factory=dict)
    items: dict[UUID, Item] = field(default_factory=dict)
    # The items themselves (not their ids): a lookup is one dict access, no UUID hashing.
    by_reference: dict[str, list[Item]] = field(default_factory=lambda: defaultdict(list))
    by_customer: dict[UUID, list[Item]] = field(default_factory=lambda: defaultdict(list))
    by_account: dict[str, UUID] = field(default_factory=dict)
    by_name: dict[str, list[UUID]] = field(default_factory=lambda: defaultdict(list))
    by_amount: dict[tuple[str, Decimal], list[Item]] = field(default_factory=lambda: defaultdict(list))
    # Normalised names by their character bigrams: fuzzy comparison only against names sharing one.
    by_bigram: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    # Documents of ours that owe nothing (paid, void, written off, or taken by pending allocations), by their
    # invoice number's and payment reference's keys: a text naming one names no open item, and must not be
    # matched to it or to a look-alike on the strength of the payer's name and amount.
    settled: dict[str, str] = field(default_factory=dict)
    # What names_like found per normalised payer name (customers' names do not change within an index).
    _names_found: dict[str, tuple[NameMatch, ...]] = field(default_factory=dict)
    # Each customer's normalised names (legal and short), for comparing a payer's name with one customer's.
    name_keys: dict[UUID, tuple[str, ...]] = field(default_factory=dict)
    # Each customer's written-off items that can still take money, oldest due first: found by their reference
    # only (by_reference), never among the customer's open items or by amount; matching.recovery notes them.
    written_off: dict[UUID, list[Item]] = field(default_factory=lambda: defaultdict(list))

    @classmethod
    def build(
        cls,
        customers: Iterable[Customer],
        items: Iterable[Item],
        accounts: dict[str, UUID] | None = None,
        settled: Iterable[tuple[str, str | None]] = (),
    ) -> MatchIndex:
        """The index of open items; `settled` the (invoice number, payment reference) of documents owing nothing."""
        index = cls()
        for customer in customers:
            index.customers[customer.customer_id] = customer
            keys = tuple(
                name for name in {normalise_name(customer.legal_name), normalise_name(customer.short_name)} if name
            )
            index.name_keys[customer.customer_id] = keys
            for name in keys:
                index.by_name[name].append(customer.customer_id)
        for item in items:
            if item.available <= 0:
                index._settle(item.invoice_number, item.payment_reference)
                continue
            index.items[item.invoice_id] = item
            if item.written_off:
                index.written_off[item.customer_id].append(item)
            else:
                index.by_customer[item.customer_id].append(item)
                index.by_amount[(item.currency, item.available)].append(item)
            item.number_key = reference_key(item.invoice_number)
            for key in {item.number_key, reference_key(item.payment_reference)}:
                if len(key) >= 6:
                    index.by_reference[key].append(item)
        for number, reference in settled:
            index._settle(number, reference)
        for account, customer_id in (accounts or {}).items():
            index.by_account[account_key(account)] = customer_id
        for name in index.by_name:
            for gram in name_bigrams(name):
                index.by_bigram[gram].append(name)
        # Each customer's items oldest due first, once: open_items then only filters.
        for owned in (*index.by_customer.values(), *index.written_off.values()):
            owned.sort(key=_oldest_due_first)
        return index

    def _settle(self, number: str, reference: str | None) -> None:
        for key in {reference_key(number), reference_key(reference)}:
            if len(key) >= 6:
                self.settled[key] = number

    def open_items(self, customer_id: UUID, currency: str) -> list[Item]:
        """The customer's items that can still take money in a currency, oldest due first (kept sorted)."""
        return [i for i in self.by_customer.get(customer_id, ()) if i.currency == currency and i.available > _ZERO]

    def commit(self, allocations: Iterable[Allocation]) -> None:
        """Lower items' availability by what a decision allocated (later payments see the rest)."""
        for allocation in allocations:
            item = self.items.get(allocation.invoice_id)
            if item is not None:
                item.available -= allocation.amount

    def names_like(self, name: str) -> tuple[NameMatch, ...]:
        """Customers whose normalised name equals or resembles `name`: (id, similarity 0-100, how, legal name)."""
        key = normalise_name(name)
        if not key:
            return ()
        found = self._names_found.get(key)
        if found is None:
            found = self._names_found[key] = self._names_like(key)
        return found

    def _names_like(self, key: str) -> tuple[NameMatch, ...]:
        customers = self.customers
        exact = self.by_name.get(key)
        if exact:
            return tuple([(c, 100.0, "exact", customers[c].legal_name) for c in exact])
        if len(key) < _SHORTEST_FUZZY_KEY:
            return ()  # (only an equal name is within the cutoff of so short a one: most persons' names)
        names = self.fuzzy_candidates(key)
        if not names:
            return ()  # (a person's name usually shares no bigram with any company's)
        found = process.extract(key, names, scorer=fuzz.ratio, score_cutoff=NAME_FUZZY_CUTOFF, limit=3)
        return tuple(
            [(c, score, "similar", customers[c].legal_name) for name, score, _ in found for c in self.by_name[name]]
        )

    def name_of(self, customer_id: UUID, name: str) -> NameMatch | None:
        """How a payer's name compares with one customer's own names: equal, resembling (within the cutoff), or
        neither (None). The same scores names_like gives, without looking at any other customer."""
        key = normalise_name(name)
        customer = self.customers.get(customer_id)
        if not key or customer is None:
            return None
        own = self.name_keys.get(customer_id, ())
        if key in own:
            return (customer_id, 100.0, "exact", customer.legal_name)
        if len(key) < _SHORTEST_FUZZY_KEY:
            return None
        score = max((fuzz.ratio(key, known, score_cutoff=NAME_FUZZY_CUTOFF) for known in own), default=0.0)
        return (customer_id, score, "similar", customer.legal_name) if score else None

    def fuzzy_candidates(self, key: str) -> list[str]:
        """Known normalised names that may be within the fuzzy cutoff of `key` (every one that is, and fewer others).

        Only the key's rarest bigrams are looked up: common ones (科技, 贸易 …) are skipped when
        they can be, without losing a candidate.
        """
        by_bigram = self.by_bigram
        grams = rarest_bigrams(key, lambda gram: len(by_bigram.get(gram, ())))
        return list({name for gram in grams for name in by_bigram.get(gram, ())})


# fuzz.ratio of a name of n characters and a different one is at most 100 · (1 − 1 / (2n + 1)) (one character
# inserted), so a name shorter than this is within the cutoff of an equal name only.
_SHORTEST_FUZZY_KEY = next(n for n in range(1, 100) if 100 * (1 - 1 / (2 * n + 1)) >= NAME_FUZZY_CUTOFF)


def _oldest_due_first(item: Item) -> tuple[date, str]:
    return (item.due_date or date.max, item.invoice_number)
