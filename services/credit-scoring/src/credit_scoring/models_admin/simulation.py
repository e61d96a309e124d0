"""A seeded simulator of a bookkeeping firm's portfolio, for fitting the shipped models and the bench.

Each client is billed monthly (代理记账 fees, lognormal around ¥900, a few large
clients) on net 15/30/45/60 terms and pays with a latent habit: most pay around the
due date, some a couple of weeks late, a few a month or more late. Around Chinese
New Year (invoices due in January and February) everyone strains a little. About
one client in ten deteriorates from a random month: each month later than the one
before, until it stops paying and is written off. Late invoices climb the dunning
ladder (follow-up at 15 days, letter at 30, phone at 60, legal at 90), letters bring
promises to pay that are kept or broken, a few invoices are disputed.

It yields what the platform's events would have projected: payment experiences and
customer histories with their dates, so the service's own point-in-time code builds
every feature (nothing here knows the as-of date of a feature).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
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


@dataclass(frozen=True)
class SimulatedClient:
    customer_id: uuid.UUID
    first_seen_on: date
    habit: str
    deteriorates_from: int | None
    net_days: int
    monthly_billing: Decimal
    experiences: tuple[PaymentExperience, ...]
    history: CustomerHistory
    # invoice id → net days (the InvoiceIssued fact carries them)
    terms: dict[uuid.UUID, int]


def month_start(month: int) -> date:
    year, index = divmod(START.month - 1 + month, 12)
    return date(START.year + year, index + 1, 1)


def _uuid(rng: np.random.Generator) -> uuid.UUID:
    return uuid.UUID(bytes=rng.bytes(16), version=4)


def simulate(clients: int = 2000, months: int = 24, *, seed: int = 20260601) -> list[SimulatedClient]:
    """The portfolio: `clients` clients billed monthly for `months` months from January 2024."""
    rng = np.random.default_rng(seed)
    end = month_start(months)
    out = []
    for _ in range(clients):
        out.append(_client(rng, months, end))
    return out


def _client(rng: np.random.Generator, months: int, end: date) -> SimulatedClient:
    customer_id = _uuid(rng)
    habit = str(rng.choice(["good", "fair", "slow", "poor"], p=[0.55, 0.25, 0.13, 0.07]))
    mean_delay = {"good": -2.0, "fair": 6.0, "slow": 18.0, "poor": 38.0}[habit]
    spread = {"good": 4.0, "fair": 6.0, "slow": 9.0, "poor": 14.0}[habit]
    joined = int(rng.integers(0, 6))
    deteriorates_from = int(rng.integers(joined + 6, months - 2)) if rng.random() < 0.1 else None
    net_days = int(rng.choice([15, 30, 30, 30, 45, 60]))
    monthly = Decimal(str(round(float(rng.lognormal(6.8, 0.6)), 0)))
    experiences, terms = [], {}
    dunning: list[DunningFact] = []
    disputes: list[DisputeFact] = []
    promises: list[PromiseFact] = []
    defaulted = False
    for month in range(joined, months):
        if defaulted:
            break
        invoice_date = month_start(month)
        due = invoice_date + timedelta(days=net_days)
        amount = (monthly * Decimal(str(round(float(rng.uniform(0.9, 1.1)), 2)))).quantize(Decimal("0.01"))
        delay = float(rng.normal(mean_delay, spread))
        if due.month in (1, 2):
            delay += 4.0 if habit == "good" else 10.0  # Chinese New Year strain
        if deteriorates_from is not None and month >= deteriorates_from:
            delay += 9.0 * (month - deteriorates_from + 1)
        disputed = rng.random() < 0.03
        if disputed:
            delay += 10.0
        never = deteriorates_from is not None and delay > 100
        invoice_id = _uuid(rng)
        terms[invoice_id] = net_days
        days = max(round(delay), -net_days + 1)
        paid_on = None if never else due + timedelta(days=days)
        if paid_on is not None and paid_on >= end:
            paid_on = None
        written_off = None
        if never:
            written_off = due + timedelta(days=150)
            written_off = written_off if written_off < end else None
            defaulted = True
        applications = (Application(applied_on=paid_on, amount=amount),) if paid_on else ()
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
        settled = paid_on or written_off or end
        case_id = _uuid(rng)
        for level, after, channel in ((2, 15, "email"), (3, 30, "letter"), (4, 60, "phone_task")):
            on = due + timedelta(days=after)
            if on < settled and on < end:
                dunning.append(DunningFact(case_id=case_id, level=level, channel=channel, on=on))
                if level == 3:
                    promised = on + timedelta(days=10)
                    if promised < end:
                        kept = paid_on is not None and paid_on <= promised
                        promises.append(
                            PromiseFact(
                                promise_id=_uuid(rng),
                                kept=kept,
                                on=min(paid_on, promised) if kept and paid_on else promised,
                            )
                        )
        legal = due + timedelta(days=90)
        if legal < settled and legal < end:
            dunning.append(
                DunningFact(case_id=case_id, level=6, channel="legal_handover", on=legal, legal_handover=True)
            )
        if disputed:
            opened = due - timedelta(days=3)
            resolved = due + timedelta(days=10)
            disputes.append(
                DisputeFact(
                    dispute_id=_uuid(rng),
                    invoice_id=invoice_id,
                    opened_on=opened if opened < end else None,
                    resolved_on=resolved if resolved < end else None,
                    resolution="customer_wrong",
                )
            )
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
    )
