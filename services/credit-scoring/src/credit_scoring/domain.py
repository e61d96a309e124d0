"""Pure credit rules: a customer's credit file (信用档案) built from payment experiences.

No I/O and no clock reads here: callers pass the experiences, the as-of date and
the customer's first-seen date in, the credit file comes out.

Point in time: a credit file "as of" a date uses only what was known on that
date. An invoice counts once it was issued (its local issue date; the invoice
date when the InvoiceIssued fact has not arrived yet) on or before the as-of
date; a payment, a void or a write-off dated after it has not happened yet.
So the file as of a past date can be rebuilt exactly, whatever arrived since.

Rounding (explicit, half-up as everywhere in arflow): ratios to 4 decimals,
day averages to 2 decimals. Amount measures are kept per currency: amounts in
different currencies are never added (no exchange rates in this service yet).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal
from uuid import UUID

ExperienceStatus = Literal["open", "paid", "void", "written_off"]

RATIO_QUANTUM = Decimal("0.0001")
DAYS_QUANTUM = Decimal("0.01")


@dataclass(frozen=True)
class Application:
    """Part of a payment applied to the invoice on a date."""

    applied_on: date
    amount: Decimal


@dataclass(frozen=True)
class PaymentExperience:
    """What is known of one invoice, from whichever facts have arrived (any may be missing)."""

    invoice_id: UUID
    invoice_number: str | None
    currency: str | None
    total: Decimal | None
    invoice_date: date | None
    due_date: date | None
    issued_on: date | None
    paid_on: date | None = None
    voided_on: date | None = None
    written_off_on: date | None = None
    max_days_overdue: int | None = None
    overdue_noted_on: date | None = None
    applications: tuple[Application, ...] = ()

    @property
    def known_on(self) -> date | None:
        """The date from which the invoice counts: its issue date, else its invoice date."""
        return self.issued_on or self.invoice_date


@dataclass(frozen=True)
class ExperienceAsOf:
    """One payment experience as it stood on the as-of date."""

    invoice_id: UUID
    invoice_number: str | None
    currency: str
    total: Decimal
    invoice_date: date | None
    due_date: date
    status: ExperienceStatus
    paid_on: date | None
    days_beyond_terms: int | None
    amount_paid: Decimal
    amount_outstanding: Decimal
    days_past_due: int | None
    max_days_overdue_noticed: int | None


@dataclass(frozen=True)
class CurrencyMeasures:
    """The amount-based measures of one currency."""

    currency: str
    paid_amount: Decimal
    paid_late_amount: Decimal
    ratio_late_by_amount: Decimal | None
    amount_weighted_dbt: Decimal | None
    outstanding: Decimal
    overdue: Decimal


@dataclass(frozen=True)
class CreditFile:
    """A customer's payment record as of a date: the measures and the experiences behind them."""

    as_of: date
    tenure_days: int
    invoices_issued: int
    invoices_open: int
    invoices_paid: int
    invoices_paid_on_time: int
    invoices_paid_late: int
    invoices_written_off: int
    ratio_late_by_count: Decimal | None
    average_dbt: Decimal | None
    max_dbt_12m: int | None
    max_days_past_due: int | None
    by_currency: tuple[CurrencyMeasures, ...]
    experiences: tuple[ExperienceAsOf, ...]


def days_beyond_terms(due_date: date, paid_on: date) -> int:
    """DBT of a paid invoice: max(0, paid_on − due_date) in days (early payment counts as 0)."""
    return max(0, (paid_on - due_date).days)


def twelve_months_before(as_of: date) -> date:
    """The same calendar day one year earlier (28 February for a 29 February)."""
    try:
        return as_of.replace(year=as_of.year - 1)
    except ValueError:
        return as_of.replace(year=as_of.year - 1, day=28)


def ratio(part: Decimal | int, whole: Decimal | int) -> Decimal | None:
    """part / whole rounded half-up to 4 decimals; None when the whole is zero."""
    if whole == 0:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(RATIO_QUANTUM, rounding=ROUND_HALF_UP)


def _days(value: Decimal) -> Decimal:
    return value.quantize(DAYS_QUANTUM, rounding=ROUND_HALF_UP)


def status_as_of(experience: PaymentExperience, as_of: date) -> ExperienceStatus | None:
    """The invoice's status on `as_of`, or None when it was not known (or not complete) yet.

    A void wins over everything (the invoice should never have been); a payment
    wins over a write-off (money recovered after writing off); else it is open.
    """
    known_on = experience.known_on
    if known_on is None or known_on > as_of:
        return None
    if experience.total is None or experience.currency is None or experience.due_date is None:
        return None
    if experience.voided_on is not None and experience.voided_on <= as_of:
        return "void"
    if experience.paid_on is not None and experience.paid_on <= as_of:
        return "paid"
    if experience.written_off_on is not None and experience.written_off_on <= as_of:
        return "written_off"
    return "open"


def experience_as_of(experience: PaymentExperience, as_of: date) -> ExperienceAsOf | None:
    """The experience as it stood on `as_of` (None when it was not known then).

    amount_paid = Σ applications dated on or before as_of (money actually applied);
    amount_outstanding = max(0, total − amount_paid) while open, else 0;
    days_past_due = max(0, as_of − due_date) while open, else None.
    """
    status = status_as_of(experience, as_of)
    if status is None:
        return None
    # status_as_of has checked these are known
    assert experience.total is not None and experience.currency is not None and experience.due_date is not None
    total, due_date = experience.total, experience.due_date
    applied = sum((a.amount for a in experience.applications if a.applied_on <= as_of), Decimal(0))
    paid_on = experience.paid_on if status == "paid" else None
    noticed = experience.max_days_overdue
    if experience.overdue_noted_on is None or experience.overdue_noted_on > as_of:
        noticed = None
    return ExperienceAsOf(
        invoice_id=experience.invoice_id,
        invoice_number=experience.invoice_number,
        currency=experience.currency,
        total=total,
        invoice_date=experience.invoice_date,
        due_date=due_date,
        status=status,
        paid_on=paid_on,
        days_beyond_terms=days_beyond_terms(due_date, paid_on) if paid_on else None,
        amount_paid=applied,
        amount_outstanding=max(Decimal(0), total - applied) if status == "open" else Decimal(0),
        days_past_due=max(0, (as_of - due_date).days) if status == "open" else None,
        max_days_overdue_noticed=noticed,
    )


def currency_measures(currency: str, experiences: Iterable[ExperienceAsOf], as_of: date) -> CurrencyMeasures:
    """Amount measures of one currency (amount = the invoice total).

    ratio_late_by_amount = Σ total of invoices paid late / Σ total of invoices paid;
    amount_weighted_dbt = Σ (total × DBT) / Σ total, over paid invoices;
    outstanding = Σ amount_outstanding of open invoices;
    overdue = the part of outstanding whose due date is before as_of.
    """
    mine = [e for e in experiences if e.currency == currency]
    paid = [e for e in mine if e.status == "paid" and e.days_beyond_terms is not None]
    paid_amount = sum((e.total for e in paid), Decimal(0))
    late_amount = sum((e.total for e in paid if e.days_beyond_terms), Decimal(0))
    weighted = sum((e.total * (e.days_beyond_terms or 0) for e in paid), Decimal(0))
    open_ = [e for e in mine if e.status == "open"]
    return CurrencyMeasures(
        currency=currency,
        paid_amount=paid_amount,
        paid_late_amount=late_amount,
        ratio_late_by_amount=ratio(late_amount, paid_amount),
        amount_weighted_dbt=_days(weighted / paid_amount) if paid_amount else None,
        outstanding=sum((e.amount_outstanding for e in open_), Decimal(0)),
        overdue=sum((e.amount_outstanding for e in open_ if e.due_date < as_of), Decimal(0)),
    )


def build_credit_file(
    experiences: Sequence[PaymentExperience], *, as_of: date, first_seen_on: date | None
) -> CreditFile:
    """The credit file as of a date. Void invoices are listed but never measured.

    invoices_issued = invoices known as of the date, not void;
    invoices_paid_on_time = paid with DBT = 0; invoices_paid_late = paid with DBT > 0;
    ratio_late_by_count = paid late / paid;
    average_dbt = Σ DBT / number paid;
    max_dbt_12m = the largest DBT of invoices paid in (as_of − 12 months, as_of];
    max_days_past_due = the largest as_of − due_date among open invoices (0 when none is late);
    tenure_days = as_of − first_seen_on (0 before the customer was first seen).
    """
    known = [e for e in (experience_as_of(x, as_of) for x in experiences) if e is not None]
    known.sort(key=lambda e: (e.due_date, e.invoice_number or "", e.invoice_id))
    measured = [e for e in known if e.status != "void"]
    paid = [e for e in measured if e.status == "paid"]
    dbts = [e.days_beyond_terms or 0 for e in paid]
    late = sum(1 for dbt in dbts if dbt > 0)
    window_start = twelve_months_before(as_of)
    recent = [e.days_beyond_terms or 0 for e in paid if e.paid_on is not None and e.paid_on > window_start]
    open_ = [e for e in measured if e.status == "open"]
    currencies = sorted({e.currency for e in measured})
    return CreditFile(
        as_of=as_of,
        tenure_days=max(0, (as_of - first_seen_on).days) if first_seen_on else 0,
        invoices_issued=len(measured),
        invoices_open=len(open_),
        invoices_paid=len(paid),
        invoices_paid_on_time=len(paid) - late,
        invoices_paid_late=late,
        invoices_written_off=sum(1 for e in measured if e.status == "written_off"),
        ratio_late_by_count=ratio(late, len(paid)),
        average_dbt=_days(Decimal(sum(dbts)) / len(dbts)) if dbts else None,
        max_dbt_12m=max(recent) if recent else None,
        max_days_past_due=max(e.days_past_due or 0 for e in open_) if open_ else None,
        by_currency=tuple(currency_measures(c, measured, as_of) for c in currencies),
        experiences=tuple(known),
    )
