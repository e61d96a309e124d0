"""Pure reconciliation rules: the open-item projection and how a payment is allocated.

No I/O and no clock reads here: callers pass state in, decisions come out.

The projection of an invoice is a join of facts: each invoicing event says
something about the invoice (its total, its balance, a later status), and
`merge` keeps the most advanced of each. The merge is commutative, associative
and idempotent, so the projection ends the same whatever order the events
arrive in, and however often.

The balance is the one of the highest invoice ledger version seen: invoicing
counts every change to an invoice's balance, so a balance that goes up again
(a payment application reversed, an invoice reopened) is followed, and an
older or repeated fact changes nothing. Facts without a version (an invoice's
issue, a paid / void / written-off status, events from before versions existed)
only lower a balance no versioned fact has set yet.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Literal, TypeVar
from uuid import UUID

from arflow.money import to_minor_units

# The largest amount a payment or statement line holds (NUMERIC(19, 4): 15 digits before the point). A file
# or notice with more is refused as malformed rather than overflowing the column (a 500, or a failed import).
LARGEST_AMOUNT = Decimal("999999999999999.99")

# Money is dated by the day it was received: a business date, never the wall clock's. It may be this many days
# after today where it is dated (the customer's time zone; Asia/Shanghai for a bank statement or a gateway):
# a bank or a person in a zone ahead of ours can already be on tomorrow, never further. Every entry point
# (POST /payments, a statement import, a gateway's payment time) keeps this one rule.
FUTURE_DAYS_ALLOWED = 1


def latest_business_date(today: date) -> date:
    """The latest date money received can carry when it is `today` where it is dated."""
    return today + timedelta(days=FUTURE_DAYS_ALLOWED)


def future_date_detail(field: str, value: date, today: date, field_zh: str | None = None) -> tuple[str, str]:
    """What is wrong with a business date after `latest_business_date(today)`, in English and Chinese."""
    latest = latest_business_date(today)
    return (
        f"{field} {value} is in the future: money can be dated at most {FUTURE_DAYS_ALLOWED} day after today "
        f"({today}), i.e. {latest} at the latest.",
        f"{field_zh or field} {value} 是未来日期：收款日期最晚只能比今天（{today}）晚 {FUTURE_DAYS_ALLOWED} 天，"
        f"即不晚于 {latest}。",
    )


ItemStatus = Literal["open", "written_off", "paid", "void"]
# A status only ever advances (a written-off invoice can still be paid, a voided
# one is gone for good), except that once ledger versions are known the status
# follows the balance: zero is paid, above zero is open again (or written off
# again, if it ever was).
STATUS_RANK: dict[str, int] = {"open": 0, "written_off": 1, "paid": 2, "void": 3}

T = TypeVar("T")


def _first_known(a: T | None, b: T | None) -> T | None:
    return a if a is not None else b


@dataclass(frozen=True)
class InvoiceState:
    """What is known about one invoice; also what one event says about it."""

    customer_id: UUID
    invoice_number: str
    currency: str
    balance: Decimal
    status: ItemStatus = "open"
    total: Decimal | None = None
    invoice_date: date | None = None
    due_date: date | None = None
    payment_reference: str | None = None
    issued_at: datetime | None = None
    # Invoicing's count of changes to the invoice's balance; None when the fact carries none.
    ledger_version: int | None = None
    # Ever written off: what a reopened invoice goes back to.
    written_off: bool = False

    @property
    def issued(self) -> bool:
        return self.issued_at is not None


def _merged_balance(current: InvoiceState, fact: InvoiceState) -> tuple[Decimal, int | None]:
    """The balance of the highest ledger version; without any version, the lowest balance seen."""
    if fact.ledger_version is not None:
        if current.ledger_version is None or fact.ledger_version > current.ledger_version:
            return fact.balance, fact.ledger_version
        return current.balance, current.ledger_version  # older, or the same version again
    if current.ledger_version is not None:
        return current.balance, current.ledger_version  # a versioned balance outranks any unversioned one
    return min(current.balance, fact.balance), None


def _ever_written_off(state: InvoiceState) -> bool:
    return state.written_off or state.status == "written_off"


def _settled(state: InvoiceState) -> InvoiceState:
    """The status a versioned balance implies: zero is paid, above zero open (or written off); void stays."""
    written_off = _ever_written_off(state)
    if state.ledger_version is None or state.status == "void":
        return replace(state, written_off=written_off)
    status: ItemStatus = "paid" if state.balance == 0 else "written_off" if written_off else "open"
    return replace(state, status=status, written_off=written_off)


def merge(current: InvoiceState | None, fact: InvoiceState) -> InvoiceState:
    """Fold one fact into an invoice's state: newest balance, most advanced status, known fields kept."""
    if current is None:
        return _settled(fact)
    status = max(current.status, fact.status, key=STATUS_RANK.__getitem__)
    balance, version = _merged_balance(current, fact)
    return _settled(
        replace(
            current,
            invoice_number=current.invoice_number or fact.invoice_number,
            balance=balance,
            ledger_version=version,
            written_off=_ever_written_off(current) or _ever_written_off(fact),
            status=status,
            total=_first_known(current.total, fact.total),
            invoice_date=_first_known(current.invoice_date, fact.invoice_date),
            due_date=_first_known(current.due_date, fact.due_date),
            payment_reference=_first_known(current.payment_reference, fact.payment_reference),
            issued_at=_first_known(current.issued_at, fact.issued_at),
        )
    )


# The statuses that take money: open, and written off (a recovery of the bad debt, up to its balance).
ALLOCATABLE_STATUSES = ("open", "written_off")


def available_balance(state: InvoiceState, pending: Decimal) -> Decimal:
    """What a new payment may still be allocated to an invoice: its balance less pending allocations.

    Only issued invoices that are open or written off take allocations (money on a written-off invoice is a
    recovery, 坏账收回: invoicing still holds its balance, which is at most what was written off); pending
    allocations are those of earlier payments that invoicing has not applied yet.
    """
    return available_of(state.status, state.issued, state.balance, pending)


def available_of(status: str, issued: bool, balance: Decimal, pending: Decimal) -> Decimal:
    """`available_balance` of an item read as columns (the matching lookup reads no whole row)."""
    if status not in ALLOCATABLE_STATUSES or not issued:
        return Decimal(0)
    return max(balance - pending, Decimal(0))


# --- allocation ------------------------------------------------------------------

Basis = Literal["given", "reference", "oldest_due"]


@dataclass(frozen=True)
class OpenItem:
    """An invoice a payment may be allocated to, with what it can still take."""

    invoice_id: UUID
    invoice_number: str
    currency: str
    due_date: date | None
    available: Decimal
    payment_reference: str | None = None
    # Written off as a bad debt: money on it is a recovery, only where the payment names it or a person says so.
    written_off: bool = False


@dataclass(frozen=True)
class ProposedAllocation:
    invoice_id: UUID
    invoice_number: str
    amount: Decimal
    basis: Basis


class AllocationRejected(ValueError):
    """Requested allocations break a rule; `code` is the stable problem code, `detail_zh` the rule in Chinese."""

    def __init__(self, detail: str, *, code: str, detail_zh: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.detail_zh = detail_zh
        self.code = code


def _token_pattern(token: str) -> re.Pattern[str] | None:
    compact = "".join(token.split())
    if not compact:
        return None
    # Spaces may appear anywhere (RF references are printed in groups of four);
    # the token must not run on into more letters or digits, so INV-2026-000001
    # is not found inside INV-2026-0000012.
    body = r"\s*".join(re.escape(ch) for ch in compact)
    return re.compile(rf"(?<![0-9A-Za-z]){body}(?![0-9A-Za-z])", re.IGNORECASE)


def mentions(reference: str | None, item: OpenItem) -> bool:
    """True when the remittance text names the item's invoice number or payment reference."""
    if not reference:
        return False
    for token in (item.invoice_number, item.payment_reference):
        pattern = _token_pattern(token) if token else None
        if pattern is not None and pattern.search(reference):
            return True
    return False


def _oldest_due_first(items: Iterable[OpenItem]) -> list[OpenItem]:
    return sorted(items, key=lambda i: (i.due_date or date.max, i.invoice_number, str(i.invoice_id)))


def propose_allocations(
    amount: Decimal, currency: str, reference: str | None, open_items: Sequence[OpenItem]
) -> list[ProposedAllocation]:
    """Propose how a payment is allocated: items its reference names first, then oldest due first.

    Greedy and capped: no item gets more than it can take, the proposals never
    add up to more than the payment, and what no item takes stays unallocated.
    Only items in the payment's currency are considered; a written-off item only when the reference names it
    (a recovery is never guessed by age).
    """
    candidates = _oldest_due_first(i for i in open_items if i.currency == currency and i.available > 0)
    referenced = [i for i in candidates if mentions(reference, i)]
    rest = [i for i in candidates if i not in referenced and not i.written_off]
    groups: tuple[tuple[Basis, list[OpenItem]], ...] = (("reference", referenced), ("oldest_due", rest))
    remaining = amount
    proposals: list[ProposedAllocation] = []
    for basis, group in groups:
        for item in group:
            if remaining <= 0:
                return proposals
            portion = min(item.available, remaining)
            proposals.append(ProposedAllocation(item.invoice_id, item.invoice_number, portion, basis))
            remaining -= portion
    return proposals


def check_allocations(
    amount: Decimal,
    currency: str,
    requested: Sequence[tuple[UUID, Decimal]],
    open_items: Sequence[OpenItem],
) -> list[ProposedAllocation]:
    """Accept allocations a person gave, or raise AllocationRejected naming the first broken rule.

    Each must name a distinct open item of the customer in the payment's
    currency and fit what that item can take; together they must fit the payment.
    """
    items = {item.invoice_id: item for item in open_items}
    seen: set[UUID] = set()
    accepted: list[ProposedAllocation] = []
    for invoice_id, wanted in requested:
        if invoice_id in seen:
            raise AllocationRejected(
                f"Invoice {invoice_id} is named more than once in allocations.",
                code="allocation_duplicate_invoice",
                detail_zh=f"账单 {invoice_id} 在核销明细中出现了不止一次。",
            )
        seen.add(invoice_id)
        item = items.get(invoice_id)
        if item is None:
            raise AllocationRejected(
                f"Invoice {invoice_id} is not an open item of this customer.",
                code="invoice_not_open",
                detail_zh=f"账单 {invoice_id} 不是该客户的未结账单。",
            )
        if item.currency != currency:
            raise AllocationRejected(
                f"Invoice {item.invoice_number} is in {item.currency}, the payment in {currency}.",
                code="allocation_currency_mismatch",
                detail_zh=f"账单 {item.invoice_number} 的币种为 {item.currency}，而该笔收款为 {currency}。",
            )
        if wanted > item.available:
            raise AllocationRejected(
                f"Invoice {item.invoice_number} can take at most {to_minor_units(item.available, currency)} "
                f"{currency}; {wanted} was allocated.",
                code="allocation_exceeds_balance",
                detail_zh=f"账单 {item.invoice_number} 最多可核销 {to_minor_units(item.available, currency)} "
                f"{currency}，本次核销了 {wanted}。",
            )
        accepted.append(ProposedAllocation(invoice_id, item.invoice_number, wanted, "given"))
    allocated = sum((a.amount for a in accepted), Decimal(0))
    if allocated > amount:
        raise AllocationRejected(
            f"Allocations add up to {allocated} {currency}, more than the payment of {amount}.",
            code="allocations_exceed_payment",
            detail_zh=f"核销合计 {allocated} {currency}，超过了收款金额 {amount}。",
        )
    return accepted
