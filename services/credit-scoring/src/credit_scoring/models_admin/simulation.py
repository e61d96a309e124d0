"""A seeded simulator of a bookkeeping firm's portfolio, for fitting the shipped models and the bench.

Each client is billed monthly (代理记账 fees, lognormal around ¥900) on net 15/30/45/60 terms
and pays by a documented habit, its payer type (`PAYER_TYPES`, drawn with `TYPE_SHARES`).
"Days late" is the payment date minus the due date of the money that settles the invoice.

prompt          pays by the due date or at most 3 days after it (a bank holiday, a slow
                approval), 春节 included: never more than 3 days late.
fair            about a week late (normal 6 ± 6 days), a little more around 春节.
slow            two to three weeks late (18 ± 9), more around 春节.
poor            a month or more late (38 ± 14), more around 春节.
seasonal        prompt (at most 5 days late) except for invoices due in the 春节 window (from
                14 days before the festival to 14 days after it): those are paid 20–40 days
                after the festival, when the office reopens and the boss signs.
deteriorating   pays like a fair client until a month at least six months after joining
                (`deteriorates_from`), then each month 9 days later than the month before,
                until an invoice would be more than 100 days late: that one is never paid and
                is written off 150 days after its due date, and the client is billed no more.
partial         pays 40–80% of each invoice around the due date (at most 7 days late) and the
                rest 25–60 days after the due date: two applications, fully paid on the second.
promise_breaker lets every invoice run to the letter (30 days late), promises at the letter to
                pay within 10 days and breaks it, promises again at 50 days and pays 50–75 days
                late (keeping the second promise only when paid by then).
disputer        pays promptly, but disputes about one invoice in three shortly before its due
                date; the dispute is resolved 10–40 days after the due date and the invoice paid
                0–5 days after the resolution. Dunning waits for the resolution.
new             joins in the last three months (one to three invoices) and pays promptly.
large_one_slow  billed ten to twenty times the usual fee and pays promptly, except for one
                invoice (after six months with the firm) paid 35–60 days late, as promised at
                the letter.

Late invoices climb the dunning ladder (follow-up at 15 days, letter at 30, phone at 60, legal
at 90) unless paid first; a letter brings a promise to pay in 10 days, kept when paid by then.

It yields what the platform's events would have projected: payment experiences and customer
histories with their dates, so the service's own point-in-time code builds every feature
(nothing here knows the as-of date of a feature). Deterministic: the same seed gives the same
portfolio, and client i depends only on (seed, i), so adding clients never changes earlier ones.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

import numpy as np

from credit_scoring.domain import (
    Application,
    CustomerHistory,
    DisputeFact,
    DunningFact,
    PaymentExperience,
    PromiseFact,
)

START = date(2024, 1, 1)
# 春节 (the first day of the lunar year) of the simulated years.
SPRING_FESTIVAL: tuple[date, ...] = (
    date(2023, 1, 22),
    date(2024, 2, 10),
    date(2025, 1, 29),
    date(2026, 2, 17),
    date(2027, 2, 6),
    date(2028, 1, 26),
)
FESTIVAL_WINDOW_DAYS = 14
PAYER_TYPES: tuple[str, ...] = (
    "prompt",
    "fair",
    "slow",
    "poor",
    "seasonal",
    "deteriorating",
    "partial",
    "promise_breaker",
    "disputer",
    "new",
    "large_one_slow",
)
TYPE_SHARES: dict[str, float] = {
    "prompt": 0.40,
    "fair": 0.15,
    "slow": 0.07,
    "poor": 0.04,
    "seasonal": 0.07,
    "deteriorating": 0.08,
    "partial": 0.05,
    "promise_breaker": 0.04,
    "disputer": 0.04,
    "new": 0.03,
    "large_one_slow": 0.03,
}
# Clients that pay on time: never to be held or alerted.
PAYS_ON_TIME = frozenset({"prompt", "new"})
PROMPT_MAX_DAYS_LATE = 3


@dataclass(frozen=True)
class SimulatedClient:
    customer_id: uuid.UUID
    first_seen_on: date
    habit: str  # the payer type, one of PAYER_TYPES
    deteriorates_from: int | None  # the month a deteriorating client starts to slip
    net_days: int
    monthly_billing: Decimal
    experiences: tuple[PaymentExperience, ...]
    history: CustomerHistory
    # invoice id → net days (the InvoiceIssued fact carries them)
    terms: dict[uuid.UUID, int]
    # the invoice of a large_one_slow client that is paid late
    slow_invoice: uuid.UUID | None = None
    disputed: frozenset[uuid.UUID] = field(default_factory=frozenset)


def month_start(month: int) -> date:
    year, index = divmod(START.month - 1 + month, 12)
    return date(START.year + year, index + 1, 1)


def festival_near(due: date) -> date | None:
    """The 春节 whose window (14 days either side) holds `due`, if any."""
    for festival in SPRING_FESTIVAL:
        if abs((due - festival).days) <= FESTIVAL_WINDOW_DAYS:
            return festival
    return None


def _uuid(rng: np.random.Generator) -> uuid.UUID:
    return uuid.UUID(bytes=rng.bytes(16), version=4)


def simulate(clients: int = 2000, months: int = 24, *, seed: int = 20260601) -> list[SimulatedClient]:
    """The portfolio: `clients` clients billed monthly for `months` months from January 2024."""
    end = month_start(months)
    types = list(TYPE_SHARES)
    shares = np.array([TYPE_SHARES[t] for t in types])
    out = []
    for i in range(clients):
        rng = np.random.default_rng([seed, i])
        habit = str(rng.choice(types, p=shares / shares.sum()))
        out.append(_client(rng, habit, months, end))
    return out


@dataclass
class _Invoice:
    """One invoice's fate, decided before its facts are written."""

    paid_on: date | None
    applications: list[tuple[date, Decimal]]
    written_off_on: date | None = None
    promises: list[tuple[date, date]] = field(default_factory=list)  # (made on, promised for)
    dispute: tuple[date, date] | None = None  # (opened on, resolved on)


def _days(value: float, net_days: int) -> int:
    return max(round(value), -net_days + 1)  # never paid before it was issued


def _client(rng: np.random.Generator, habit: str, months: int, end: date) -> SimulatedClient:
    customer_id = _uuid(rng)
    net_days = int(rng.choice([15, 30, 30, 30, 45, 60]))
    monthly = Decimal(str(round(float(rng.lognormal(6.8, 0.6)), 0)))
    if habit == "large_one_slow":
        monthly = (monthly * Decimal(int(rng.integers(10, 21)))).quantize(Decimal(1))
    joined = months - int(rng.integers(1, 4)) if habit == "new" else int(rng.integers(0, 6))
    deteriorates_from = None
    if habit == "deteriorating":
        deteriorates_from = int(rng.integers(joined + 6, max(joined + 7, months - 2)))
    slow_month = int(rng.integers(joined + 6, months)) if habit == "large_one_slow" else None
    experiences, terms = [], {}
    dunning: list[DunningFact] = []
    disputes: list[DisputeFact] = []
    promises: list[PromiseFact] = []
    slow_invoice: uuid.UUID | None = None
    disputed: set[uuid.UUID] = set()
    for month in range(joined, months):
        invoice_date = month_start(month)
        due = invoice_date + timedelta(days=net_days)
        amount = (monthly * Decimal(str(round(float(rng.uniform(0.9, 1.1)), 2)))).quantize(Decimal("0.01"))
        invoice_id = _uuid(rng)
        terms[invoice_id] = net_days
        fate = _fate(rng, habit, due, amount, net_days, month, deteriorates_from, slow_month)
        if habit == "large_one_slow" and month == slow_month:
            slow_invoice = invoice_id
        for made_on, promised in fate.promises:
            if made_on < end:
                kept = fate.paid_on is not None and fate.paid_on <= promised
                on = fate.paid_on if kept and fate.paid_on is not None else promised
                if on < end:
                    promises.append(PromiseFact(promise_id=_uuid(rng), kept=kept, on=on))
        paid_on = fate.paid_on if fate.paid_on is not None and fate.paid_on < end else None
        applications = tuple(Application(applied_on=d, amount=a) for d, a in fate.applications if d < end)
        written_off = fate.written_off_on if fate.written_off_on is not None and fate.written_off_on < end else None
        experiences.append(
            PaymentExperience(
                invoice_id=invoice_id,
                invoice_number=None,
                currency="CNY",
                total=amount,
                invoice_date=invoice_date,
                due_date=due,
                issued_on=invoice_date,
                paid_on=paid_on,
                written_off_on=written_off,
                applications=applications,
            )
        )
        settled = fate.paid_on or fate.written_off_on or end
        # Dunning counts from the due date, or from the resolution of a dispute (it waits meanwhile).
        ladder_from = fate.dispute[1] if fate.dispute else due
        case_id = _uuid(rng)
        for level, after, channel in ((2, 15, "email"), (3, 30, "letter"), (4, 60, "phone_task")):
            on = ladder_from + timedelta(days=after)
            if on < settled and on < end:
                dunning.append(DunningFact(case_id=case_id, level=level, channel=channel, on=on))
        legal = ladder_from + timedelta(days=90)
        if legal < settled and legal < end:
            dunning.append(
                DunningFact(case_id=case_id, level=6, channel="legal_handover", on=legal, legal_handover=True)
            )
        if fate.dispute is not None:
            disputed.add(invoice_id)
            opened, resolved = fate.dispute
            disputes.append(
                DisputeFact(
                    dispute_id=_uuid(rng),
                    invoice_id=invoice_id,
                    opened_on=opened if opened < end else None,
                    resolved_on=resolved if resolved < end else None,
                    resolution="customer_wrong" if resolved < end else None,
                )
            )
        if fate.written_off_on is not None:
            break  # a client that stopped paying is billed no more
    return SimulatedClient(
        customer_id=customer_id,
        first_seen_on=month_start(joined) - timedelta(days=5),
        habit=habit,
        deteriorates_from=deteriorates_from,
        net_days=net_days,
        monthly_billing=monthly,
        experiences=tuple(experiences),
        history=CustomerHistory(dunning=tuple(dunning), disputes=tuple(disputes), promises=tuple(promises)),
        terms=terms,
        slow_invoice=slow_invoice,
        disputed=frozenset(disputed),
    )


def _prompt_days(rng: np.random.Generator, net_days: int, most: int = PROMPT_MAX_DAYS_LATE) -> int:
    return min(most, _days(rng.normal(-3.0, 3.0), net_days))


def _letter_promise(due: date) -> tuple[date, date]:
    letter = due + timedelta(days=30)
    return letter, letter + timedelta(days=10)


def _fate(
    rng: np.random.Generator,
    habit: str,
    due: date,
    amount: Decimal,
    net_days: int,
    month: int,
    deteriorates_from: int | None,
    slow_month: int | None,
) -> _Invoice:
    """When and how one invoice is paid, by the client's habit (the module docstring)."""
    festival = festival_near(due)
    promises: list[tuple[date, date]] = []
    dispute = None
    if habit in ("prompt", "new"):
        days = _prompt_days(rng, net_days)
    elif habit in ("fair", "slow", "poor"):
        mean, spread, strain = {"fair": (6.0, 6.0, 6.0), "slow": (18.0, 9.0, 10.0), "poor": (38.0, 14.0, 10.0)}[habit]
        days = _days(rng.normal(mean, spread) + (strain if festival else 0.0), net_days)
    elif habit == "seasonal":
        if festival is not None:
            paid = festival + timedelta(days=int(rng.integers(20, 41)))
            days = max((paid - due).days, 1)
        else:
            days = _prompt_days(rng, net_days, most=5)
    elif habit == "deteriorating":
        assert deteriorates_from is not None
        delay = float(rng.normal(4.0, 5.0))
        if month >= deteriorates_from:
            delay += 9.0 * (month - deteriorates_from + 1)
        if delay > 100:
            return _Invoice(paid_on=None, applications=[], written_off_on=due + timedelta(days=150))
        days = _days(delay, net_days)
    elif habit == "partial":
        first = due + timedelta(days=min(7, _days(rng.normal(1.0, 4.0), net_days)))
        rest = due + timedelta(days=int(rng.integers(25, 61)))
        part = (amount * Decimal(str(round(float(rng.uniform(0.4, 0.8)), 2)))).quantize(Decimal("0.01"))
        return _Invoice(paid_on=rest, applications=[(first, part), (rest, amount - part)])
    elif habit == "promise_breaker":
        days = int(rng.integers(50, 76))
        promises = [_letter_promise(due), (due + timedelta(days=50), due + timedelta(days=60))]
    elif habit == "disputer":
        if rng.random() < 1 / 3:
            opened = due - timedelta(days=int(rng.integers(2, 11)))
            resolved = due + timedelta(days=int(rng.integers(10, 41)))
            dispute = (opened, resolved)
            days = (resolved - due).days + int(rng.integers(0, 6))
        else:
            days = _prompt_days(rng, net_days)
    elif habit == "large_one_slow":
        if month == slow_month:
            days = int(rng.integers(35, 61))
            letter = due + timedelta(days=30)
            promises = [(letter, due + timedelta(days=days))]
        else:
            days = _prompt_days(rng, net_days)
    else:
        raise ValueError(f"unknown payer type {habit!r}")
    paid_on = due + timedelta(days=days)
    if not promises and days > 30:
        promises = [_letter_promise(due)]
    return _Invoice(paid_on=paid_on, applications=[(paid_on, amount)], promises=promises, dispute=dispute)
