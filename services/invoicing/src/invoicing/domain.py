"""Pure invoicing rules: amounts, dates, references, aging and payment allocation.

No I/O and no clock reads here: callers pass dates and state in, decisions come out.

Rounding rule (documented for auditors): each line's net amount is
quantity × unit price rounded half-up to the currency's minor unit; the line's
tax is net × rate rounded half-up; the invoice totals are the exact sums of the
rounded line amounts. Totals therefore always equal the sum of what is printed.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal, TypedDict
from uuid import UUID

from stdnum import iso11649
from stdnum.cn import uscc as stdnum_uscc
from stdnum.exceptions import InvalidChecksum, InvalidFormat, InvalidLength
from stdnum.iso7064 import mod_97_10

from arflow.money import minor_unit_exponent


@dataclass(frozen=True)
class LineAmounts:
    net: Decimal
    tax: Decimal

    @property
    def gross(self) -> Decimal:
        return self.net + self.tax


def line_amounts(quantity: Decimal, unit_price: Decimal, tax_rate: Decimal, currency: str) -> LineAmounts:
    """Net and tax of one line, each rounded half-up to the minor unit."""
    quantum = minor_unit_exponent(currency)
    net = (quantity * unit_price).quantize(quantum, rounding=ROUND_HALF_UP)
    tax = (net * tax_rate).quantize(quantum, rounding=ROUND_HALF_UP)
    return LineAmounts(net=net, tax=tax)


@dataclass(frozen=True)
class Terms:
    """Payment terms as applied to one invoice (a copy, never a live template)."""

    net_days: int = 30
    basis: str = "invoice_date"  # or "end_of_month" (月结: counted from the invoice month's last day)
    grace_days: int = 0
    code: str | None = None
    interest_kind: str = "none"  # "daily" (rate per day) or "annual" (rate per year, /365)
    interest_rate: Decimal = Decimal(0)
    interest_cap_ratio: Decimal | None = None
    late_fee: Decimal | None = None
    discount_rate: Decimal | None = None
    discount_days: int | None = None


DEFAULT_TERMS = Terms()


class TermsOverrides(TypedDict, total=False):
    """Terms sent on the invoice itself; None means not sent."""

    net_days: int | None
    basis: str | None
    grace_days: int | None


def resolve_terms(template: Terms | None, overrides: TermsOverrides) -> Terms:
    """The terms of one invoice: explicit fields win over the template, the template over net 30."""
    base = template or DEFAULT_TERMS
    net_days = overrides.get("net_days")
    basis = overrides.get("basis")
    grace_days = overrides.get("grace_days")
    return replace(
        base,
        net_days=base.net_days if net_days is None else net_days,
        basis=base.basis if basis is None else basis,
        grace_days=base.grace_days if grace_days is None else grace_days,
    )


def due_date(invoice_date: date, terms: Terms) -> date:
    """The local due date: N days after the invoice date or after the end of its month."""
    start = invoice_date
    if terms.basis == "end_of_month":
        start = invoice_date.replace(day=calendar.monthrange(invoice_date.year, invoice_date.month)[1])
    return start + timedelta(days=terms.net_days)


def early_payment_discount(
    total: Decimal, invoice_date: date, rate: Decimal | None, days: int | None, currency: str
) -> tuple[Decimal, date] | None:
    """The discount for paying early and the last day it holds: total × rate, half-up, until invoice date + days."""
    if rate is None or days is None:
        return None
    amount = (total * rate).quantize(minor_unit_exponent(currency), rounding=ROUND_HALF_UP)
    return amount, invoice_date + timedelta(days=days)


def early_payment_discount_due(
    *,
    total: Decimal,
    balance: Decimal,
    invoice_date: date,
    paid_on: date,
    rate: Decimal | None,
    days: int | None,
    currency: str,
) -> Decimal | None:
    """The credit that grants the early-payment discount, or None.

    Granted when a payment applied on or before the discount's last day leaves
    open exactly the discount or less, give or take one minor unit (a payer who
    rounded the other way): the credit is then what is left, so the invoice is paid.
    """
    offer = early_payment_discount(total, invoice_date, rate, days, currency)
    if offer is None or balance <= 0:
        return None
    discount, last_day = offer
    if paid_on > last_day or discount <= 0 or balance > discount + minor_unit_exponent(currency):
        return None
    return balance


def daily_interest_rate(kind: str, rate: Decimal) -> Decimal:
    """The simple daily rate: as given, or an annual rate over a 365-day year (ERPNext, CN courts)."""
    if kind == "daily":
        return rate
    if kind == "annual":
        return rate / 365
    return Decimal(0)


def interest_days(due: date, as_of: date, grace_days: int) -> int:
    """Days of late interest as of a date: none within grace, else every day after the due date."""
    days = (as_of - due).days
    return days if days > grace_days else 0


def late_interest(
    entries: Sequence[tuple[date, Decimal]],
    due: date,
    as_of: date,
    *,
    kind: str,
    rate: Decimal,
    grace_days: int,
    cap_ratio: Decimal | None,
    currency: str,
    since: date | None = None,
    charged: Decimal = Decimal(0),
) -> Decimal:
    """Simple daily interest on each day's outstanding balance, from the day after due (or after `since`) to `as_of`.

    `entries` are the invoice's ledger entries as (day, signed amount): the invoice
    (+total), payments applied (−), their reversals (+) and credit notes (−). A day's
    balance is the sum of the entries dated on or before it, so money applied on a
    day stops interest from that day on:

        interest = Σ over the days d in (max(due, since), as_of] of max(balance(d), 0) × daily rate

    computed piecewise between the days the balance changes, rounded half-up to the
    minor unit at the end. The cap holds for all the interest ever charged on the
    invoice, not for each charge: at most cap_ratio × the highest balance interest
    ran on since the due date, less `charged` (the interest already charged as
    fees). None while as_of is within due + grace; once past it, every day after
    the due date counts. `since` is the last day already charged as a fee.
    """
    if kind == "none" or not interest_days(due, as_of, grace_days):
        return Decimal(0)
    daily = daily_interest_rate(kind, rate)
    counted_to = max(due, since) if since is not None else due  # interest is owed for the days after this one
    total, highest = _accrue(entries, counted_to, as_of, daily)
    if cap_ratio is not None:
        if counted_to > due:  # the cap is on the highest balance of the whole time interest ran
            highest = max(highest, _accrue(entries, due, as_of, daily)[1])
        total = min(total, max(highest * cap_ratio - charged, Decimal(0)))
    return total.quantize(minor_unit_exponent(currency), rounding=ROUND_HALF_UP)


def _accrue(
    entries: Sequence[tuple[date, Decimal]], counted_to: date, as_of: date, daily: Decimal
) -> tuple[Decimal, Decimal]:
    """Σ max(balance(d), 0) × daily over the days d in (counted_to, as_of], and the highest balance it ran on."""
    balance = sum((amount for day, amount in entries if day <= counted_to), Decimal(0))
    total, highest = Decimal(0), Decimal(0)

    def accrue(days: int) -> None:
        nonlocal total, highest
        if days > 0 and balance > 0:
            total += balance * daily * days
            highest = max(highest, balance)

    for day, amount in sorted(e for e in entries if counted_to < e[0] <= as_of):
        accrue((day - counted_to).days - 1)  # the days before this change, at the balance before it
        balance += amount
        counted_to = max(counted_to, day - timedelta(days=1))
    accrue((as_of - counted_to).days)
    return total, highest


def format_invoice_number(series: str, year: int, value: int) -> str:
    return f"{series}-{year}-{value:06d}"


def rf_creditor_reference(body: str) -> str:
    """An ISO 11649 structured creditor reference ("RF" + 2 check digits + body)."""
    cleaned = "".join(ch for ch in body.upper() if ch.isalnum())
    if not 1 <= len(cleaned) <= 21:
        raise ValueError("an RF reference body has 1 to 21 alphanumeric characters")
    # ISO 7064 MOD 97-10 over body + "RF": the same digits invoices/repository.py computes in SQL
    return f"RF{mod_97_10.calc_check_digits(cleaned + 'RF')}{cleaned}"


def is_valid_rf_reference(reference: str) -> bool:
    """True when `reference` (spaces allowed) carries correct ISO 11649 check digits."""
    return iso11649.is_valid(reference)


# Aging thresholds: the first notice when an invoice is past due + grace, then
# one each time it enters a later bucket (days counted from the due date).
OVERDUE = "overdue"
DUE_SOON = "due-soon"  # the notice a few days before due (InvoiceDueSoon), not an overdue threshold
THRESHOLDS: tuple[tuple[str, int], ...] = (("31-60", 31), ("61-90", 61), ("90+", 91))


def aging_bucket(days_overdue: int) -> str:
    if days_overdue <= 0:
        return "current"
    if days_overdue <= 30:
        return "1-30"
    if days_overdue <= 60:
        return "31-60"
    if days_overdue <= 90:
        return "61-90"
    return "90+"


def thresholds_reached(days_overdue: int, grace_days: int) -> list[str]:
    """Every overdue threshold an invoice has reached at `days_overdue` days past due."""
    if days_overdue <= grace_days:
        return []
    return [OVERDUE] + [name for name, start in THRESHOLDS if days_overdue >= start]


@dataclass(frozen=True)
class OpenItem:
    invoice_id: UUID
    due_date: date
    balance: Decimal
    # Written off (uncollectible): money reaches it only where the payment names it (坏账收回), never by age.
    written_off: bool = False


@dataclass(frozen=True)
class Application:
    invoice_id: UUID
    amount: Decimal


def allocate(
    amount: Decimal,
    proposed: list[Application],
    open_items: list[OpenItem],
) -> tuple[list[Application], Decimal]:
    """Apply a payment: proposals first (capped by balances), else oldest due first.

    Returns the applications and what is left over (the unapplied credit).
    A proposal naming an invoice that is no longer open simply does not apply. A written-off invoice takes
    only what a proposal names: money nobody allocated to it stays unapplied credit, for a person to decide.
    """
    balances = {item.invoice_id: item.balance for item in open_items}
    remaining = amount
    applied: dict[UUID, Decimal] = {}

    def take(invoice_id: UUID, wanted: Decimal) -> None:
        nonlocal remaining
        room = balances.get(invoice_id, Decimal(0)) - applied.get(invoice_id, Decimal(0))
        portion = min(wanted, room, remaining)
        if portion > 0:
            applied[invoice_id] = applied.get(invoice_id, Decimal(0)) + portion
            remaining -= portion

    if proposed:
        for proposal in proposed:
            take(proposal.invoice_id, proposal.amount)
    else:
        for item in sorted(open_items, key=lambda i: (i.due_date, str(i.invoice_id))):
            if not item.written_off:
                take(item.invoice_id, remaining)
    return [Application(invoice_id, value) for invoice_id, value in applied.items()], remaining


# GB 32100-2015 unified social credit code (统一社会信用代码), checked by python-stdnum:
# 18 characters, positions 1-8 digits (authority, kind, GB/T 2260 region), 9-17 the
# organisation code (no I, O, S, V, Z), 18 the check character. stdnum knows only digits
# in position 1, yet three registration authorities issue codes that start with a letter:
# A 中央军委改革和编制办公室, N 农业 (village collectives: N2…), Y 其他. Those are checked
# the same way, with the check character over the real code.
USCC_LETTER_AUTHORITIES = frozenset("ANY")
UsccFault = Literal["length", "format", "checksum"]


def uscc_fault(code: str) -> UsccFault | None:
    """What is wrong with a unified social credit code (`code` compacted as stdnum does), or None when valid."""
    compact = stdnum_uscc.compact(code)
    letter_authority = compact[:1] in USCC_LETTER_AUTHORITIES
    try:
        stdnum_uscc.validate("9" + compact[1:] if letter_authority else compact)
    except InvalidLength:
        return "length"
    except InvalidFormat:
        return "format"
    except InvalidChecksum:
        if not letter_authority:
            return "checksum"
    if letter_authority and stdnum_uscc.calc_check_digit(compact[:17]) != compact[17]:
        return "checksum"
    return None


def is_valid_uscc(code: str) -> bool:
    """True when `code` is a unified social credit code with the right GB 32100 check character."""
    return uscc_fault(code) is None


# --- KPIs ------------------------------------------------------------------------
#
# For a period of D days (both ends included), per currency, with
#   AR₀  receivables at the start (before its first day), AR₁ at its last day,
#   AR₁ᶜ the part of AR₁ not yet past due, S credit sales (invoices dated in the
#   period, net of voids), C collections (payments applied, net of reversals),
#   W write-offs in the period:
#
#   DSO                 = AR₁ / S × D
#   best-possible DSO   = AR₁ᶜ / S × D
#   ADD (avg days delinquent) = DSO − best-possible DSO
#   CEI (%)             = (AR₀ + S − AR₁) / (AR₀ + S − AR₁ᶜ) × 100
#   bad-debt rate (%)   = W / S × 100
#   collection rate (%) = C / (AR₀ + S) × 100
#
# Each is rounded half-up to 2 decimals; a ratio whose denominator is zero is None.


@dataclass(frozen=True)
class KpiInputs:
    days: int
    opening: Decimal
    closing: Decimal
    closing_current: Decimal
    sales: Decimal
    collected: Decimal
    written_off: Decimal


def _ratio(numerator: Decimal, denominator: Decimal, scale: Decimal | int = 1) -> Decimal | None:
    if denominator == 0:
        return None
    return (numerator / denominator * scale).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def kpis(figures: KpiInputs) -> dict[str, Decimal | None]:
    """DSO, best-possible DSO, ADD, CEI, bad-debt rate and collection rate (formulas above)."""
    dso = _ratio(figures.closing, figures.sales, figures.days)
    best = _ratio(figures.closing_current, figures.sales, figures.days)
    return {
        "dso": dso,
        "best_possible_dso": best,
        "average_days_delinquent": None if dso is None or best is None else dso - best,
        "cei": _ratio(
            figures.opening + figures.sales - figures.closing,
            figures.opening + figures.sales - figures.closing_current,
            100,
        ),
        "bad_debt_rate": _ratio(figures.written_off, figures.sales, 100),
        "collection_rate": _ratio(figures.collected, figures.opening + figures.sales, 100),
    }


AGING_BUCKETS = ("current", "1-30", "31-60", "61-90", "90+")


# --- recurring billing -------------------------------------------------------------
#
# Contract periods follow the calendar: a month, a quarter (Jan/Apr/Jul/Oct) or a
# year. A contract starting mid-period is billed for the days it covers in its
# first period, and one ending (or cancelled) mid-period for the days up to its
# end: quantity × days covered / days in the period (proration by days).

CYCLE_MONTHS = {"monthly": 1, "quarterly": 3, "annual": 12}


def _period_start(day: date, cycle: str) -> date:
    months = CYCLE_MONTHS[cycle]
    return date(day.year, ((day.month - 1) // months) * months + 1, 1)


def _add_months(day: date, months: int) -> date:
    index = day.month - 1 + months
    return date(day.year + index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class BillingPeriod:
    start: date  # first day billed
    end: date  # last day billed (inclusive)
    period_start: date  # the calendar period's first day (the key of "once per period")
    factor: Decimal  # share of the period billed: days covered / days in the period


def billing_periods(cycle: str, start: date, end: date | None, bill_from: date, until: date) -> list[BillingPeriod]:
    """The periods due to be billed up to `until` (each billed in advance, on its first day)."""
    periods = []
    period_start = _period_start(max(start, bill_from), cycle)
    while period_start <= until:
        next_start = _add_months(period_start, CYCLE_MONTHS[cycle])
        period_end = next_start - timedelta(days=1)
        first, last = max(period_start, start), min(period_end, end) if end else period_end
        if end is not None and first > end:
            break
        if first >= bill_from and first <= until:
            days = (period_end - period_start).days + 1
            covered = (last - first).days + 1
            factor = Decimal(1) if covered == days else (Decimal(covered) / Decimal(days)).quantize(Decimal("0.000001"))
            periods.append(BillingPeriod(first, last, period_start, factor))
        period_start = next_start
    return periods


@dataclass(frozen=True)
class UnusedDays:
    first: date  # the first day paid for in advance and no longer served
    last: date
    factor: Decimal  # their share of the calendar period, as a partial period is billed


def unused_days(cycle: str, period_start: date, billed_last: date, cancelled_on: date) -> UnusedDays | None:
    """The days of an already-billed period after a cancellation's last day of service, prorated by days.

    The same rule as a partial first or last period: days / days in the calendar
    period, to six decimals. None when the cancellation leaves nothing unused.
    """
    first = max(cancelled_on + timedelta(days=1), period_start)
    if first > billed_last:
        return None
    period_days = (_add_months(period_start, CYCLE_MONTHS[cycle]) - period_start).days
    days = (billed_last - first).days + 1
    factor = Decimal(1) if days == period_days else (Decimal(days) / Decimal(period_days)).quantize(Decimal("0.000001"))
    return UnusedDays(first, billed_last, factor)


def prorated_gross(lines: Sequence[tuple[Decimal, Decimal, Decimal]], factor: Decimal, currency: str) -> Decimal:
    """What (quantity × factor, unit price, tax rate) lines come to with tax, priced as an invoice prices them."""
    return sum(
        (line_amounts(quantity * factor, price, rate, currency).gross for quantity, price, rate in lines), Decimal(0)
    )
