"""The matching engine: which customer and which open items a payment is for, and how sure we are.

Pure: no I/O, no clock. The caller builds a `MatchIndex` of the open-item
projection once (per import, per webhook), asks `match` for a decision per
payment, and `commit`s each accepted decision so later payments of the same
batch see what is left.

Evidence, each with a strength in [0, 1] and a human-readable reason:

- an invoice number or payment reference found in the remittance text, after
  full-width → half-width, case and separator normalisation (n-grams of the
  text's tokens are looked up, so `INV 2026 000123`, `inv-2026-000123` and
  `ＩＮＶ－２０２６－０００１２３` all find INV-2026-000123); a near miss of one
  of the identified customer's numbers counts less;
- the payer's account, learned from earlier confirmed matches;
- the payer's name against customers' names after stripping company-form
  suffixes (有限公司, Co., Ltd. …) and region prefixes (杭州, 上海市 …),
  exact or by rapidfuzz similarity;
- the amount: equal (within tolerance) to one open item, to the referenced
  items, or to a bounded subset of the customer's items.

Strengths combine as a noisy-OR, 1 − Π(1 − pᵢ): independent pieces of
evidence each remove part of the doubt. At or above the threshold the
decision is applied automatically; below it goes to the review queue with the
ranked suggestions.

Allocations never exceed the payment nor an item's available balance.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal
from uuid import UUID

from rapidfuzz.distance import OSA
from stdnum import iso11649

from reconciliation.keys import NAME_FUZZY_CUTOFF, account_key, outermost_keys, reference_key, text_keys
from reconciliation.matching import reasons as why
from reconciliation.matching.index import _ZERO, Allocation, Item, MatchIndex, _oldest_due_first
from reconciliation.matching.reasons import Evidence

Shape = Literal["one_to_one", "one_to_many", "partial", "overpayment", "underpayment", "on_account", "unmatched"]

# Strengths of each kind of evidence (documented in the README).
REFERENCE_EXACT = 0.85
REFERENCE_NEAR = 0.5
ACCOUNT_LEARNED = 0.75
NAME_EXACT = 0.7
NAME_FUZZY_MAX = 0.6
AMOUNT_UNIQUE = 0.7
AMOUNT_AMBIGUOUS = 0.35
AMOUNT_ONLY = 0.4


@dataclass(frozen=True, slots=True)
class MatchSettings:
    threshold: float = 0.9
    tolerance_absolute: Decimal = Decimal("0.00")
    tolerance_percent: Decimal = Decimal("0")
    max_candidates: int = 25
    max_combination: int = 5
    # The subset search stops after this many steps (a deterministic time cap).
    max_search_steps: int = 200_000

    def tolerance(self, amount: Decimal) -> Decimal:
        if not self.tolerance_percent:
            return self.tolerance_absolute
        return max(self.tolerance_absolute, (amount * self.tolerance_percent / 100).quantize(Decimal("0.01")))


# The values made per payment (the payment, allocations, suggestions, the decision) are not `frozen`:
# a frozen dataclass sets each field through object.__setattr__, about 1.5 us more per object (several
# per line, more than the rest of a referenced line's decision). They are hashed by value as before
# (unsafe_hash) and, as before, nothing changes one once made.
@dataclass(slots=True, unsafe_hash=True)
class Incoming:
    amount: Decimal
    currency: str
    remittance: str | None = None
    payer_name: str | None = None
    payer_account: str | None = None
    # The invoice number a gateway order the payment names was made for (a payment attempt), and that order's
    # id: an exact reference, whatever the remittance text says.
    ordered: str | None = None
    order_id: str | None = None
    # What that order asked: a part payment the creditor allowed on the hosted page is paid in full at it.
    order_amount: Decimal | None = None


@dataclass(slots=True, unsafe_hash=True)
class Suggestion:
    customer_id: UUID
    allocations: tuple[Allocation, ...]
    confidence: float
    evidence: tuple[Evidence, ...]
    shape: Shape

    @property
    def reasons(self) -> tuple[str, ...]:
        """Why, in English (`why.said(suggestion.evidence, "zh")` in Chinese)."""
        return why.said(self.evidence)


@dataclass(slots=True, unsafe_hash=True)
class Decision:
    """The best suggestion (if any), whether it is applied automatically, and the runners-up."""

    best: Suggestion | None
    automatic: bool
    suggestions: tuple[Suggestion, ...] = ()

    @property
    def customer_id(self) -> UUID | None:
        return self.best.customer_id if self.best else None


# A remittance number counts as a misspelling of an invoice number at this many edits (OSA) or fewer.
MAX_TYPOS = 1


def noisy_or(strengths: Iterable[float]) -> float:
    doubt = 1.0
    for strength in strengths:
        doubt *= 1.0 - strength
    return round(1.0 - doubt, 4)


class _Candidate:
    """A customer the payment may be for: the evidence so far and the items its text names."""

    __slots__ = ("customer_id", "evidence", "referenced")

    def __init__(self, customer_id: UUID) -> None:
        self.customer_id = customer_id
        self.evidence: list[Evidence] = []
        self.referenced: list[Item] = []


def _greedy(amount: Decimal, items: Sequence[Item]) -> list[Allocation]:
    remaining, allocations = amount, []
    for item in items:
        if remaining <= _ZERO:
            break
        portion = min(item.available, remaining)
        if portion > _ZERO:
            allocations.append(Allocation(item.invoice_id, item.invoice_number, portion))
            remaining -= portion
    return allocations


def subset_sums(
    amount: Decimal, items: Sequence[Item], tolerance: Decimal, *, max_size: int, max_steps: int, limit: int = 2
) -> list[list[Item]]:
    """Up to `limit` sets of 2..max_size items whose balances add up to `amount` (within tolerance).

    Bounded depth-first search in minor units over items sorted largest first,
    pruned when the rest cannot reach the amount; stops after `max_steps`.
    """
    cents = [int(i.available * 100) for i in items]
    order = sorted(range(len(items)), key=lambda n: -cents[n])
    target, slack = int(amount * 100), int(tolerance * 100)
    suffix = [0] * (len(order) + 1)
    for pos in range(len(order) - 1, -1, -1):
        suffix[pos] = suffix[pos + 1] + cents[order[pos]]
    found: list[list[int]] = []
    # (a module-level search with its state passed in: a nested recursive function is a reference
    # cycle, garbage only the cycle collector frees, made for every payment that looks for a sum)
    _subset_search(order, cents, suffix, target - slack, target + slack, max_size, limit, [max_steps], found, [], 0, 0)
    return [[items[n] for n in chosen] for chosen in found]


def _subset_search(
    order: list[int],
    cents: list[int],
    suffix: list[int],
    low: int,
    high: int,
    max_size: int,
    limit: int,
    steps_left: list[int],
    found: list[list[int]],
    chosen: list[int],
    start: int,
    total: int,
) -> None:
    """subset_sums' depth-first step: sets (sorted positions) of items from `start` on adding up to low..high."""
    if len(found) >= limit or steps_left[0] <= 0:
        return
    for pos in range(start, len(order)):
        steps_left[0] -= 1
        if steps_left[0] <= 0:
            return
        value = total + cents[order[pos]]
        if value > high:
            continue
        if total + suffix[pos] < low:
            return  # even every remaining item together falls short
        chosen.append(order[pos])
        if value >= low and len(chosen) >= 2:
            found.append(sorted(chosen))
            if len(found) >= limit:
                chosen.pop()
                return
        elif len(chosen) < max_size:
            _subset_search(order, cents, suffix, low, high, max_size, limit, steps_left, found, chosen, pos + 1, value)
        chosen.pop()


def _amount_fit(
    payment: Incoming, items: list[Item], settings: MatchSettings, *, combinations: bool = True
) -> tuple[list[Allocation], Evidence, Shape] | None:
    """How the amount alone fits a customer's open items: exactly one, a subset, or within tolerance.

    `combinations=False` looks for one item only (no subset search).
    """
    tolerance = settings.tolerance(payment.amount)
    amount = payment.amount
    exact = [i for i in items if abs(i.available - amount) <= tolerance]
    if exact:
        item = exact[0]
        strength = AMOUNT_UNIQUE if len(exact) == 1 else AMOUNT_AMBIGUOUS
        portion = min(item.available, amount)
        evidence: Evidence
        if portion < item.available:
            shape: Shape = "underpayment"
            evidence = (strength, why.AMOUNT_WITHIN_TOLERANCE, (amount, item.invoice_number, item.available))
        elif len(exact) == 1:
            shape, evidence = "one_to_one", (strength, why.AMOUNT_EQUALS_BALANCE, (amount, item.invoice_number))
        else:
            shape = "one_to_one"
            evidence = (strength, why.AMOUNT_EQUALS_ONE_OF, (amount, item.invoice_number, len(exact)))
        return [Allocation(item.invoice_id, item.invoice_number, portion)], evidence, shape
    if not combinations:
        return None
    candidates = items[: settings.max_candidates]
    combos = subset_sums(
        amount,
        candidates,
        tolerance,
        max_size=settings.max_combination,
        max_steps=settings.max_search_steps,
    )
    if combos:
        combo = combos[0]
        summands = why.Summands(tuple([(i.invoice_number, i.available) for i in combo]))
        strength = AMOUNT_UNIQUE if len(combos) == 1 else AMOUNT_AMBIGUOUS
        return _greedy(amount, combo), (strength, why.AMOUNT_IS_SUM, (amount, summands)), "one_to_many"
    return None


def _capped(
    customer_id: UUID,
    allocations: Sequence[Allocation],
    evidence: list[Evidence],
    shape: Shape,
    settings: MatchSettings,
) -> Suggestion:
    """A suggestion with a contradiction in it: never above the threshold, whatever else agrees."""
    confidence = min(noisy_or(e[0] for e in evidence), max(settings.threshold - 0.01, 0.0))
    return Suggestion(customer_id, tuple(allocations), confidence, tuple(evidence), shape)


def _suggest(
    candidate: _Candidate,
    payment: Incoming,
    index: MatchIndex,
    settings: MatchSettings,
    named: tuple[str, ...] = (),
    settled: tuple[str, ...] = (),
) -> Suggestion:
    """One candidate's suggestion. `named`: the open invoices of other customers the text names exactly;
    `settled`: the documents owing nothing it names (MatchIndex.settled)."""
    # The customer's open items, only on the branches that look at them (an exact reference does not).
    items: list[Item] | None = None
    evidence = list(candidate.evidence)
    tolerance = settings.tolerance(payment.amount)
    if candidate.referenced:
        # (each item is named once: match() skips an item already seen)
        referenced = [i for i in candidate.referenced if i.available > _ZERO]
        if len(referenced) > 1:
            referenced.sort(key=_oldest_due_first)
        owed = sum((i.available for i in referenced), Decimal(0))
        allocations = _greedy(payment.amount, referenced)
        if not referenced:
            shape: Shape = "overpayment"  # the named items owe nothing any more
        elif abs(owed - payment.amount) <= tolerance:
            shape = "one_to_one" if len(referenced) == 1 else "one_to_many"
            if owed != payment.amount:
                shape = "underpayment"
            evidence.append((AMOUNT_UNIQUE, why.AMOUNT_OWED_BY_NAMED, (payment.amount,)))
        elif payment.amount < owed and _pays_its_order(payment, referenced):
            # The customer asked for this part on the hosted page and the gateway took exactly it.
            shape = "partial"
            evidence.append((AMOUNT_UNIQUE, why.AMOUNT_OF_ORDER, (payment.amount, payment.order_id)))
        elif payment.amount < owed:
            shape = "partial"
        else:
            shape = "overpayment"
        if shape == "overpayment":
            extra = payment.amount - owed
            evidence.append((0.0, why.OVERPAID, (extra,)))
        if shape == "partial":
            evidence.append((0.0, why.PARTIAL, (payment.amount, owed)))
        if shape in ("partial", "overpayment") and not _pays_its_order(payment, referenced):
            # The amount does not fit what the text names. If it fits another item of the customer
            # exactly, a person should look.
            # (by identity: the index holds one object per item, and UUIDs hash in Python)
            listed = {id(r) for r in referenced}
            items = index.open_items(candidate.customer_id, payment.currency)
            others = [i for i in items if id(i) not in listed]
            # (only one item would be a typo: no subset search)
            fit = _amount_fit(payment, others, settings, combinations=False)
            if fit is not None:
                # Never moved onto the other item, however alike the numbers: the text names this one
                # exactly, and an exact reference is never beaten by a resemblance. A person decides.
                evidence.append((0.0, why.AMOUNT_FITS_OTHER, (fit[0][0].invoice_number,)))
                return _capped(candidate.customer_id, allocations, evidence, shape, settings)
            if not referenced:
                evidence.append((0.0, why.NAMED_OWE_NOTHING, ()))
                return _capped(candidate.customer_id, allocations, evidence, "on_account", settings)
    else:
        items = index.open_items(candidate.customer_id, payment.currency)
        fit = _amount_fit(payment, items, settings)
        if fit is not None:
            allocations, fitted_evidence, shape = fit
            evidence.append(fitted_evidence)
        else:
            allocations = _greedy(payment.amount, items)
            shape = "on_account" if not allocations else "partial"
            if allocations:
                total = sum((a.amount for a in allocations), Decimal(0))
                shape = "overpayment" if total < payment.amount else "partial"
            evidence.append((0.0, why.NO_AMOUNT_FIT, ()))
        if named:
            # The text names another customer's open invoice exactly: that is the payment's invoice, and
            # nothing of this customer's resembling it, nor the name and amount, may outvote it.
            evidence.append((0.0, why.NAMES_UNKNOWN_DOCUMENT, (named,)))
            return _capped(candidate.customer_id, allocations, evidence, shape, settings)
        if settled:
            evidence.append((0.0, why.NAMES_SETTLED_DOCUMENT, (settled,)))
            return _capped(candidate.customer_id, allocations, evidence, shape, settings)
        # A near miss of one of this customer's invoice numbers (a typo) backs the rest up.
        near = _near_reference(payment.remittance, items)
        # (only when the money goes to that item alone: a reason about another invoice would mislead, and a
        # typo of one number says nothing for the other items an oldest-first allocation would pay)
        if near is not None and [a.invoice_id for a in allocations] == [near[0].invoice_id]:
            evidence.append((REFERENCE_NEAR, why.REFERENCE_RESEMBLES, (near[1], near[0].invoice_number)))
        else:
            unknown = _unknown_document(payment.remittance, items)
            if unknown is not None:
                # The text names a document of ours that is not this customer's open item (paid, of
                # another customer, or not yet projected here): the name and amount must not outvote it.
                evidence.append((0.0, why.NAMES_UNKNOWN_DOCUMENT, (unknown,)))
                return _capped(candidate.customer_id, allocations, evidence, shape, settings)
    if settled:
        # The text names a document that owes nothing besides the open ones: perhaps paid twice.
        evidence.append((0.0, why.NAMES_SETTLED_DOCUMENT, (settled,)))
        return _capped(candidate.customer_id, allocations, evidence, shape, settings)
    doubt = 1.0  # noisy_or, inline: this runs for every candidate of every payment
    for strength, _, _ in evidence:
        doubt *= 1.0 - strength
    return Suggestion(candidate.customer_id, tuple(allocations), round(1.0 - doubt, 4), tuple(evidence), shape)


def _pays_its_order(payment: Incoming, referenced: Sequence[Item]) -> bool:
    """Whether the payment is exactly what its gateway order asked, for the one invoice that order was made for."""
    return (
        payment.order_amount is not None
        and payment.amount == payment.order_amount
        and len(referenced) == 1
        and payment.ordered is not None
        and referenced[0].invoice_number == payment.ordered
    )


def _near_reference(text: str | None, items: Sequence[Item]) -> tuple[Item, str] | None:
    """The item whose number the text misspells by one typo: one character wrong, missing, extra, or two swapped.

    Only a plausible typo counts. Numbers that differ in two places are two documents
    (INV-2025-000074 is not a typo of INV-2025-000037, though fuzz.ratio scores them 92),
    and a payment must never be moved onto another invoice because its number looks alike.
    A text as near to two items as to one is a typo of neither we can tell: None.
    """
    keys = [k for k in text_keys(text, longest=4) if 8 <= len(k) <= 30]
    if not keys or not items:
        return None
    best: tuple[int, Item, str] | None = None
    tied = False
    for item in items:
        number = item.number_key or reference_key(item.invoice_number)
        for key in keys:
            if abs(len(key) - len(number)) > 1:
                continue
            typos = OSA.distance(number, key, score_cutoff=MAX_TYPOS)
            if typos > MAX_TYPOS:
                continue
            if best is None or typos < best[0]:
                best, tied = (typos, item, key), False
            elif typos == best[0] and item is not best[1]:
                tied = True
    # One typo away from two of the numbers (000075 from 000074 and 000076) says which of them it is not.
    return (best[1], best[2]) if best and not tied else None


def _unknown_document(text: str | None, items: Sequence[Item]) -> str | None:
    """A key of the text shaped like one of our invoice numbers or references that names none of `items`."""
    keys = [k for k in text_keys(text, longest=4) if 8 <= len(k) <= 30]
    if not keys or not items:
        return None
    known = {item.number_key or reference_key(item.invoice_number) for item in items}
    known |= {reference_key(item.payment_reference) for item in items if item.payment_reference}
    shapes = {(len(k), k[:3]) for k in known}
    series = {_series(k) for k in known} - {None}
    for key in keys:
        if key in known:
            continue
        if (len(key), key[:3]) in shapes and any(c.isdigit() for c in key):
            return key
        # A number of one of our series (INV + digits) with a digit missing or doubled is ours, mistyped.
        if series and _series(key) in series:
            return key
        # An ISO 11649 creditor reference whose check digits hold is a document's, whatever its shape: one
        # typo would have broken them (mod 97 catches every wrong character and every swap of two).
        if key.startswith("RF") and iso11649.is_valid(key):
            return key
    return None


_SERIES = re.compile(r"([A-Z]{2,})[0-9]+")


def _series(key: str) -> str | None:
    """The letters a document number key is its series' digits after (INV of INV2025000074), if it is one."""
    found = _SERIES.fullmatch(key)
    return found.group(1) if found else None


def _named_item_owed(candidate: _Candidate, payment: Incoming, settings: MatchSettings) -> Decision | None:
    """The common case, decided without the general path: the only candidate's remittance names one item,
    which owes the amount (within tolerance). The same decision `_suggest` makes (tests hold them equal)."""
    if len(candidate.referenced) != 1:
        return None
    item = candidate.referenced[0]
    available, amount = item.available, payment.amount
    if available <= _ZERO or abs(available - amount) > settings.tolerance(amount):
        return None
    evidence = candidate.evidence
    evidence.append((AMOUNT_UNIQUE, why.AMOUNT_OWED_BY_NAMED, (amount,)))
    doubt = 1.0
    for strength, _, _ in evidence:
        doubt *= 1.0 - strength
    portion = min(available, amount)
    allocations = (Allocation(item.invoice_id, item.invoice_number, portion),) if amount > _ZERO else ()
    best = Suggestion(
        candidate.customer_id,
        allocations,
        round(1.0 - doubt, 4),
        tuple(evidence),
        "one_to_one" if available == amount else "underpayment",
    )
    return Decision(best, best.confidence >= settings.threshold, (best,))


def _referenced(payment: Incoming, index: MatchIndex) -> tuple[dict[int, _Candidate], tuple[str, ...]]:
    """Step 1 of `match`: the customers whose documents the text (or the gateway's order) names, each with its
    named items and the reference's evidence; and the documents owing nothing it names."""
    # By the customer id's integer: the same equality, hashed in C (a UUID's __hash__ is Python code).
    candidates: dict[int, _Candidate] = {}
    found: _Candidate | None
    settled: tuple[str, ...] = ()  # documents owing nothing that the text names
    if not (payment.remittance or payment.ordered):
        return candidates, settled
    currency = payment.currency
    seen_items: set[int] = set()
    by_order: set[int] = set()  # the items named only by the gateway order
    by_reference = index.by_reference
    settled_keys = index.settled
    keys = [k for k in text_keys(payment.remittance) if k in by_reference or k in settled_keys]
    if len(keys) > 1:
        # A key inside a longer key that names a document is part of that one's spelling, not a document
        # of its own ("RF97 INV2 0240 0000 1" joins up to INV202400000 on the way to INV2024000001).
        keys = outermost_keys(payment.remittance or "", keys)
    order_key = reference_key(payment.ordered) if payment.ordered else ""
    if order_key and order_key not in keys and (order_key in by_reference or order_key in settled_keys):
        keys.append(order_key)
    for key in keys:
        named = by_reference.get(key)
        if named is None:
            continue
        for item in named:
            if id(item) in seen_items or item.currency != currency:
                continue
            seen_items.add(id(item))
            if key == order_key:
                by_order.add(id(item))
            found = candidates.get(item.customer_id.int)
            if found is None:
                found = candidates[item.customer_id.int] = _Candidate(item.customer_id)
            found.referenced.append(item)
    for found in candidates.values():
        # (in number order: the text's keys come from a set, whose order differs from process to process)
        numbers = tuple(sorted([i.invoice_number for i in found.referenced if id(i) not in by_order]))
        if numbers:
            found.evidence.append((REFERENCE_EXACT, why.REFERENCE_NAMED, (numbers,)))
        ordered = [i.invoice_number for i in found.referenced if id(i) in by_order]
        if ordered:
            found.evidence.append((REFERENCE_EXACT, why.ORDER_MADE_FOR, (payment.order_id, ordered[0])))
    if settled_keys:
        named_settled = {settled_keys[k] for k in keys if k in settled_keys and k not in by_reference}
        settled = tuple(sorted(named_settled))
    return candidates, settled


def _exactly_named(candidates: dict[int, _Candidate]) -> dict[int, _Candidate]:
    """The candidates the text names an open item of exactly (one that can still take money)."""
    return {who: c for who, c in candidates.items() if any(i.available > _ZERO for i in c.referenced)}


def names_open_item(payment: Incoming, index: MatchIndex) -> bool:
    """Whether the payment's text or gateway order names one of the index's open items exactly: then the
    payer's name counts only for the customers so named, and no other customer need be looked up by name."""
    return bool(_exactly_named(_referenced(payment, index)[0]))


def match(payment: Incoming, index: MatchIndex, settings: MatchSettings, *, fast: bool = True) -> Decision:
    """Decide which customer and items a payment is for, with a confidence and reasons.

    `fast=False` decides every payment by the general path (tests hold the two equal).
    """
    found: _Candidate | None
    # 1. References named in the text (and the gateway's order number, passed in the remittance).
    candidates, settled = _referenced(payment, index)
    # The open items the text names exactly, by customer: they win over every other customer's evidence.
    exact = _exactly_named(candidates)
    # 2. The payer's account, learned from confirmed matches (no key to compute when none is learned).
    if payment.payer_account and index.by_account:
        customer_id = index.by_account.get(account_key(payment.payer_account))
        if customer_id is not None:
            found = candidates.get(customer_id.int)
            if found is None:
                found = candidates[customer_id.int] = _Candidate(customer_id)
            found.evidence.append((ACCOUNT_LEARNED, why.ACCOUNT_LEARNED, (payment.payer_account,)))
    # 3. The payer's name. When the text names an open item exactly, only against the customers it names: an
    # exact reference wins over any other customer's name, so nobody else is looked up by it.
    if payment.payer_name:
        if exact:
            named_by = [index.name_of(c.customer_id, payment.payer_name) for c in exact.values()]
            names = tuple([n for n in named_by if n is not None])
        else:
            names = index.names_like(payment.payer_name)
        for customer_id, score, how, name in names:
            evidence: Evidence
            if how == "exact":
                evidence = (NAME_EXACT, why.NAME_IS, (payment.payer_name, name))
            else:
                strength = NAME_FUZZY_MAX * (score - NAME_FUZZY_CUTOFF) / (100 - NAME_FUZZY_CUTOFF)
                evidence = (strength, why.NAME_RESEMBLES, (payment.payer_name, name, score))
            found = candidates.get(customer_id.int)
            if found is None:
                found = candidates[customer_id.int] = _Candidate(customer_id)
            found.evidence.append(evidence)
    # 4. Nobody identified: the amount alone may point at one open item anywhere.
    if not candidates:
        same = index.by_amount.get((payment.currency, payment.amount), [])
        live = [i for i in same if i.available == payment.amount]
        if len(live) == 1:
            item = live[0]
            allocation = Allocation(item.invoice_id, item.invoice_number, payment.amount)
            evidence_only: tuple[Evidence, ...] = (
                (AMOUNT_ONLY, why.AMOUNT_ONLY, (payment.amount, item.invoice_number)),
            )
            if settled:
                evidence_only += ((0.0, why.NAMES_SETTLED_DOCUMENT, (settled,)),)
            suggestion = Suggestion(item.customer_id, (allocation,), AMOUNT_ONLY, evidence_only, "one_to_one")
            return Decision(suggestion, False, (suggestion,))
        return Decision(None, False, ())
    if fast and len(candidates) == 1 and not settled:
        decided = _named_item_owed(next(iter(candidates.values())), payment, settings)
        if decided is not None:
            return decided
    ranked: list[tuple[bool, Suggestion]] = []
    for who, found in candidates.items():
        elsewhere = () if found.referenced else _numbers_named(exact.values())
        suggestion = _suggest(found, payment, index, settings, elsewhere, settled)
        ranked.append((who in exact, suggestion))
    if len(ranked) > 1:
        # An exact reference to an open item ranks first, whatever the others' confidence.
        ranked.sort(key=lambda pair: (not pair[0], -pair[1].confidence))
    suggestions = [suggestion for _, suggestion in ranked]
    best = suggestions[0]
    # Two customers equally likely: a person decides.
    tie = len(suggestions) > 1 and suggestions[1].confidence >= best.confidence - 0.05
    automatic = best.confidence >= settings.threshold and not tie
    return Decision(best, automatic, tuple(suggestions[:5]))


def _numbers_named(candidates: Iterable[_Candidate]) -> tuple[str, ...]:
    """The invoice numbers the text names exactly of these candidates' open items, in order."""
    return tuple(sorted({i.invoice_number for c in candidates for i in c.referenced if i.available > _ZERO}))


def check_decision(payment: Incoming, suggestion: Suggestion, available: dict[UUID, Decimal]) -> None:
    """Assert the invariants every decision keeps (used by property tests)."""
    total = sum((a.amount for a in suggestion.allocations), Decimal(0))
    assert total <= payment.amount, (total, payment.amount)
    for allocation in suggestion.allocations:
        assert 0 < allocation.amount <= available[allocation.invoice_id], allocation
