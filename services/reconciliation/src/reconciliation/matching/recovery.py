"""Money for a written-off invoice (坏账收回, a bad-debt recovery): the engine's decision, told what was written off.

Pure, like the engine. A written-off invoice still owes what was written off (invoicing keeps its balance
and takes payments on it), so money for it is applied as a recovery, never beyond that balance. Only an exact
reference reaches it automatically (its number, its RF reference, a gateway order made for it): the index
keeps written-off items out of the customer's open items and out of the amount lookup, so a payer's name and
an amount alone never apply money to one. When a payment reaches a customer who has written-off invoices but
names none of them, the suggestions say so, and a payment that would otherwise go on account waits for a
person with the written-off invoice suggested (capped below the threshold).
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from reconciliation.matching import reasons as why
from reconciliation.matching.engine import Decision, Incoming, MatchSettings, Shape, Suggestion, match
from reconciliation.matching.index import _ZERO, Allocation, Item, MatchIndex


def decide(payment: Incoming, index: MatchIndex, settings: MatchSettings, *, fast: bool = True) -> Decision:
    """`engine.match`, with what the customers' written-off invoices mean for the decision."""
    decision = match(payment, index, settings, fast=fast)
    if not index.written_off or decision.best is None:
        return decision  # (nothing written off in the index: the common case costs one test)
    suggestions = tuple(
        [
            _noted(suggestion, payment, index, settings, automatic=decision.automatic and rank == 0)
            for rank, suggestion in enumerate(decision.suggestions)
        ]
    )
    best = suggestions[0] if suggestions else decision.best
    automatic = decision.automatic and best.confidence >= settings.threshold
    return Decision(best, automatic, suggestions)


def recovered(index: MatchIndex, allocations: tuple[Allocation, ...]) -> tuple[str, ...]:
    """The written-off invoices some allocations put money on, in number order."""
    return tuple(sorted({a.invoice_number for a in allocations if _written_off(index, a)}))


def _written_off(index: MatchIndex, allocation: Allocation) -> bool:
    item = index.items.get(allocation.invoice_id)
    return item is not None and item.written_off


def _noted(
    suggestion: Suggestion, payment: Incoming, index: MatchIndex, settings: MatchSettings, *, automatic: bool
) -> Suggestion:
    numbers = recovered(index, suggestion.allocations)
    if numbers:  # named exactly: a recovery, as sure as the reference
        return replace(suggestion, evidence=(*suggestion.evidence, (0.0, why.RECOVERY, (numbers,))))
    allocated = {a.invoice_id for a in suggestion.allocations}
    written_off = [
        i
        for i in index.written_off.get(suggestion.customer_id, ())
        if i.currency == payment.currency and i.available > _ZERO and i.invoice_id not in allocated
    ]
    if not written_off:
        return suggestion
    owed = sum((i.available for i in written_off), Decimal(0))
    listed = tuple([i.invoice_number for i in written_off])
    if not suggestion.allocations:
        # On account otherwise (nothing open to take it): a person decides whether it is a recovery.
        allocations, shape = _suggested(payment, written_off, settings)
        evidence = (*suggestion.evidence, (0.0, why.WRITTEN_OFF_SUGGESTED, (listed, owed)))
        confidence = min(suggestion.confidence, max(settings.threshold - 0.01, 0.0))
        return Suggestion(suggestion.customer_id, allocations, confidence, evidence, shape)
    left = payment.amount - sum((a.amount for a in suggestion.allocations), Decimal(0))
    if automatic and left <= _ZERO:
        return suggestion  # all of it applied to open invoices: the written-off ones are not this payment's
    return replace(suggestion, evidence=(*suggestion.evidence, (0.0, why.WRITTEN_OFF_ALSO, (listed, owed))))


def _suggested(payment: Incoming, items: list[Item], settings: MatchSettings) -> tuple[tuple[Allocation, ...], Shape]:
    """The written-off items a payment would recover: the one its amount fits, else oldest due first."""
    tolerance = settings.tolerance(payment.amount)
    fits = [i for i in items if abs(i.available - payment.amount) <= tolerance]
    chosen = fits[:1] or items
    remaining, allocations = payment.amount, []
    for item in chosen:
        if remaining <= _ZERO:
            break
        portion = min(item.available, remaining)
        allocations.append(Allocation(item.invoice_id, item.invoice_number, portion))
        remaining -= portion
    owed = sum((i.available for i in chosen), Decimal(0))
    shape: Shape = "partial" if payment.amount < owed else "overpayment" if remaining > _ZERO else "one_to_one"
    if fits and shape == "partial":
        shape = "underpayment"
    return tuple(allocations), shape
