"""Pure credit rules: a customer's credit file (信用档案) built from payment experiences.

No I/O and no clock reads here: callers pass the experiences, the as-of date and
the customer's first-seen date in, the credit file comes out.

Point in time: a credit file "as of" a date uses only the facts whose business
date is on or before it. An invoice counts from its invoice date (the local day
it was issued at only when no fact has told its invoice date yet), never from
when its event happened to reach us: a firm loading last year's invoices today
gets the files it would have had living through them. A payment, a void or a
write-off dated after the as-of date has not happened yet, and days past due are
measured at the as-of date. So the file as of a past date can be rebuilt
exactly, whatever arrived since and whenever it arrived.

Rounding (explicit, half-up as everywhere in arflow): ratios to 4 decimals,
day averages to 2 decimals. Amount measures are kept per currency: amounts in
different currencies are never added (no exchange rates in this service yet).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
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
class Reversal:
    """A payment application undone on a date; `invoice_reopened` when it made the paid invoice open again."""

    reversed_on: date
    amount: Decimal
    invoice_reopened: bool = False


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
    # Credit notes against the invoice (they reduce what is owed, they are not payments).
    credits: tuple[Application, ...] = ()
    # Applications undone later (refund, chargeback, bounce): money no longer paid from their date.
    reversals: tuple[Reversal, ...] = ()

    @property
    def known_on(self) -> date | None:
        """The date from which the invoice counts: its invoice date (a business date), else its local issue day.

        The issue instant is when invoicing recorded it, which for a back-dated invoice is long after
        its business date; it only stands in while no fact has carried the invoice date.
        """
        return self.invoice_date or self.issued_on

    def paid_as_of(self, as_of: date) -> bool:
        """Paid on or before `as_of` and not reopened by a reversal since (up to `as_of`)."""
        if self.paid_on is None or self.paid_on > as_of:
            return False
        paid_on = self.paid_on
        return not any(r.invoice_reopened and paid_on <= r.reversed_on <= as_of for r in self.reversals)


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
    amount_credited: Decimal = Decimal(0)
    disputed: bool = False


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
    credit_sales_90d: Decimal = Decimal(0)
    dso: Decimal | None = None
    best_possible_dso: Decimal | None = None
    average_days_delinquent: Decimal | None = None


@dataclass(frozen=True)
class DunningFact:
    """A dunning escalation (or a legal handover) of one of the customer's cases, on a local date."""

    case_id: UUID
    level: int
    channel: str
    on: date
    legal_handover: bool = False


@dataclass(frozen=True)
class DisputeFact:
    """A dispute over one invoice; either date may be unknown while its facts are still arriving."""

    dispute_id: UUID
    invoice_id: UUID | None
    opened_on: date | None
    resolved_on: date | None = None
    resolution: str | None = None


@dataclass(frozen=True)
class PromiseFact:
    """The outcome of a promise to pay (承诺付款): kept or broken, on a date."""

    promise_id: UUID
    kept: bool
    on: date


@dataclass(frozen=True)
class CustomerHistory:
    """What is known of the customer besides its invoices: dunning, disputes, promises."""

    dunning: tuple[DunningFact, ...] = ()
    disputes: tuple[DisputeFact, ...] = ()
    promises: tuple[PromiseFact, ...] = ()


NO_HISTORY = CustomerHistory()


@dataclass(frozen=True)
class Portfolio:
    """One customer's known facts, as the projection holds them."""

    experiences: Sequence[PaymentExperience]
    history: CustomerHistory
    first_seen_on: date | None
    terms: dict[UUID, int] | None = None  # invoice id → net days, when known


# The dunning ladder of DESIGN.md: notice 1, follow-up 2, formal letter (催账函) 3, phone 4, visit 5, legal 6.
LETTER_LEVEL = 3
LEGAL_LEVEL = 6
LETTER_OR_BEYOND_CHANNELS = frozenset({"letter", "phone_task", "visit_task", "legal_handover"})
TREND_WINDOW_DAYS = 90
DSO_WINDOW_DAYS = 90


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
    invoices_open_late: int = 0
    average_dbt_90d: Decimal | None = None
    dbt_trend: Decimal | None = None
    max_dunning_level: int = 0
    dunning_escalations: int = 0
    legal_handovers: int = 0
    disputes_opened: int = 0
    disputes_open: int = 0
    promises_kept: int = 0
    promises_broken: int = 0


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
    wins over a write-off (money recovered after writing off); else it is open. A
    reversal that reopened the paid invoice makes it open again from its date.
    """
    known_on = experience.known_on
    if known_on is None or known_on > as_of:
        return None
    if experience.total is None or experience.currency is None or experience.due_date is None:
        return None
    if experience.voided_on is not None and experience.voided_on <= as_of:
        return "void"
    if experience.paid_as_of(as_of):
        return "paid"
    if experience.written_off_on is not None and experience.written_off_on <= as_of:
        return "written_off"
    return "open"


def experience_as_of(experience: PaymentExperience, as_of: date) -> ExperienceAsOf | None:
    """The experience as it stood on `as_of` (None when it was not known then).

    amount_paid = Σ applications − Σ reversals, each dated on or before as_of (money actually kept);
    amount_credited = Σ credit notes issued on or before as_of;
    amount_outstanding = max(0, total − amount_paid − amount_credited) while open, else 0;
    days_past_due = max(0, as_of − due_date) while open, else None.
    """
    status = status_as_of(experience, as_of)
    if status is None:
        return None
    # status_as_of has checked these are known
    assert experience.total is not None and experience.currency is not None and experience.due_date is not None
    total, due_date = experience.total, experience.due_date
    applied = sum((a.amount for a in experience.applications if a.applied_on <= as_of), Decimal(0)) - sum(
        (r.amount for r in experience.reversals if r.reversed_on <= as_of), Decimal(0)
    )
    credited = sum((c.amount for c in experience.credits if c.applied_on <= as_of), Decimal(0))
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
        amount_outstanding=max(Decimal(0), total - applied - credited) if status == "open" else Decimal(0),
        days_past_due=max(0, (as_of - due_date).days) if status == "open" else None,
        max_days_overdue_noticed=noticed,
        amount_credited=credited,
    )


def currency_measures(currency: str, experiences: Iterable[ExperienceAsOf], as_of: date) -> CurrencyMeasures:
    """Amount measures of one currency (amount = the invoice total).

    ratio_late_by_amount = Σ total of invoices paid late / Σ total of invoices paid;
    amount_weighted_dbt = Σ (total × DBT) / Σ total, over paid invoices;
    outstanding = Σ amount_outstanding of open invoices;
    overdue = the part of outstanding whose due date is before as_of;
    current = outstanding − overdue (not yet due);
    credit_sales_90d = Σ total of invoices dated in (as_of − 90 days, as_of];
    dso = outstanding / credit_sales_90d × 90 (days sales outstanding);
    best_possible_dso = current / credit_sales_90d × 90;
    average_days_delinquent = dso − best_possible_dso (ADD).
    """
    mine = [e for e in experiences if e.currency == currency]
    paid = [e for e in mine if e.status == "paid" and e.days_beyond_terms is not None]
    paid_amount = sum((e.total for e in paid), Decimal(0))
    late_amount = sum((e.total for e in paid if e.days_beyond_terms), Decimal(0))
    weighted = sum((e.total * (e.days_beyond_terms or 0) for e in paid), Decimal(0))
    open_ = [e for e in mine if e.status == "open"]
    outstanding = sum((e.amount_outstanding for e in open_), Decimal(0))
    current = sum((e.amount_outstanding for e in open_ if e.due_date >= as_of), Decimal(0))
    window_start = as_of - timedelta(days=DSO_WINDOW_DAYS)
    sales = sum(
        (e.total for e in mine if e.invoice_date is not None and window_start < e.invoice_date <= as_of),
        Decimal(0),
    )
    dso = _days(outstanding / sales * DSO_WINDOW_DAYS) if sales else None
    best = _days(current / sales * DSO_WINDOW_DAYS) if sales else None
    return CurrencyMeasures(
        currency=currency,
        paid_amount=paid_amount,
        paid_late_amount=late_amount,
        ratio_late_by_amount=ratio(late_amount, paid_amount),
        amount_weighted_dbt=_days(weighted / paid_amount) if paid_amount else None,
        outstanding=outstanding,
        overdue=outstanding - current,
        credit_sales_90d=sales,
        dso=dso,
        best_possible_dso=best,
        average_days_delinquent=dso - best if dso is not None and best is not None else None,
    )


def _average_dbt(paid: Iterable[ExperienceAsOf], start: date, end: date) -> Decimal | None:
    """Average DBT of invoices paid in (start, end]."""
    dbts = [e.days_beyond_terms or 0 for e in paid if e.paid_on is not None and start < e.paid_on <= end]
    return _days(Decimal(sum(dbts)) / len(dbts)) if dbts else None


def build_credit_file(
    experiences: Sequence[PaymentExperience],
    *,
    as_of: date,
    first_seen_on: date | None,
    history: CustomerHistory = NO_HISTORY,
) -> CreditFile:
    """The credit file as of a date. Void invoices are listed but never measured.

    invoices_issued = invoices known as of the date, not void;
    invoices_paid_on_time = paid with DBT = 0; invoices_paid_late = paid with DBT > 0;
    ratio_late_by_count = paid late / paid;
    average_dbt = Σ DBT / number paid;
    max_dbt_12m = the largest DBT of invoices paid in (as_of − 12 months, as_of];
    max_days_past_due = the largest as_of − due_date among open invoices (0 when none is late);
    tenure_days = as_of − the earlier of first_seen_on and the first known invoice date
      (0 before the customer was first seen);
    invoices_open_late = open invoices whose due date is before as_of;
    average_dbt_90d = average DBT of invoices paid in (as_of − 90 days, as_of];
    dbt_trend = average_dbt_90d − the average DBT of those paid in (as_of − 180, as_of − 90]
      (positive: paying later than before; None when either window has no payment);
    max_dunning_level = the highest level any dunning case reached by as_of (0: never escalated);
    dunning_escalations, legal_handovers = how many happened by as_of;
    disputes_opened = disputes opened by as_of; disputes_open = of those, not resolved by as_of;
    promises_kept / promises_broken = promise-to-pay outcomes dated by as_of.
    """
    known = [e for e in (experience_as_of(x, as_of) for x in experiences) if e is not None]
    disputed = {
        d.invoice_id
        for d in history.disputes
        if d.opened_on is not None and d.opened_on <= as_of and (d.resolved_on is None or d.resolved_on > as_of)
    }
    known = [replace(e, disputed=True) if e.invoice_id in disputed else e for e in known]
    known.sort(key=lambda e: (e.due_date, e.invoice_number or "", e.invoice_id))
    measured = [e for e in known if e.status != "void"]
    paid = [e for e in measured if e.status == "paid"]
    dbts = [e.days_beyond_terms or 0 for e in paid]
    late = sum(1 for dbt in dbts if dbt > 0)
    window_start = twelve_months_before(as_of)
    recent = [e.days_beyond_terms or 0 for e in paid if e.paid_on is not None and e.paid_on > window_start]
    open_ = [e for e in measured if e.status == "open"]
    currencies = sorted({e.currency for e in measured})
    previous_start = as_of - timedelta(days=2 * TREND_WINDOW_DAYS)
    recent_start = as_of - timedelta(days=TREND_WINDOW_DAYS)
    recent_dbt = _average_dbt(paid, recent_start, as_of)
    earlier_dbt = _average_dbt(paid, previous_start, recent_start)
    dunning = [d for d in history.dunning if d.on <= as_of]
    opened = [d for d in history.disputes if d.opened_on is not None and d.opened_on <= as_of]
    promises = [p for p in history.promises if p.on <= as_of]
    # first_seen_on is when a fact first reached us; a back-dated invoice shows the client was there earlier.
    started = min(
        [d for d in (first_seen_on, *(e.invoice_date for e in measured)) if d is not None and d <= as_of],
        default=None,
    )
    return CreditFile(
        as_of=as_of,
        tenure_days=max(0, (as_of - started).days) if started else 0,
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
        invoices_open_late=sum(1 for e in open_ if e.due_date < as_of),
        average_dbt_90d=recent_dbt,
        dbt_trend=recent_dbt - earlier_dbt if recent_dbt is not None and earlier_dbt is not None else None,
        max_dunning_level=max((d.level for d in dunning), default=0),
        dunning_escalations=sum(1 for d in dunning if not d.legal_handover),
        legal_handovers=sum(1 for d in dunning if d.legal_handover),
        disputes_opened=len(opened),
        disputes_open=sum(1 for d in opened if d.resolved_on is None or d.resolved_on > as_of),
        promises_kept=sum(1 for p in promises if p.kept),
        promises_broken=sum(1 for p in promises if not p.kept),
    )
