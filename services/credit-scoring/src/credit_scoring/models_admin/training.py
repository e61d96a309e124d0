"""Training samples built point in time from payment experiences (pure: no I/O, no clock).

Every feature of a sample comes from `build_credit_file(as_of=<the sample's date>)`,
so a fact dated later can never leak into it; the labels look only forward.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from credit_scoring.domain import PaymentExperience, Portfolio, build_credit_file
from credit_scoring.scoring import characteristics, late_payment_features


def crossed_late_on(e: PaymentExperience, days_late: int) -> date | None:
    """The day an invoice became more than `days_late` days late, if it ever did (or will, unpaid)."""
    if e.due_date is None:
        return None
    crossed = e.due_date + timedelta(days=days_late + 1)
    if e.voided_on is not None and e.voided_on < crossed:
        return None
    if e.paid_as_of(crossed - timedelta(days=1)):  # paid in time, and not reopened by a reversal by then
        return None
    return crossed


def scorecard_samples(
    portfolios: Iterable[Portfolio],
    snapshots: Sequence[date],
    *,
    horizon_days: int = 180,
    days_late: int = 30,
    end: date,
) -> tuple[list[dict[str, float | None]], list[int], list[date]]:
    """(characteristics, bad, snapshot date): bad = some invoice goes more than `days_late` late in the horizon."""
    rows, labels, dates = [], [], []
    for portfolio in portfolios:
        crossings = sorted(
            d for e in portfolio.experiences if (d := crossed_late_on(e, days_late)) is not None and d <= end
        )
        for as_of in snapshots:
            if as_of + timedelta(days=horizon_days) > end:
                continue
            file = build_credit_file(
                portfolio.experiences, as_of=as_of, first_seen_on=portfolio.first_seen_on, history=portfolio.history
            )
            if file.invoices_issued == 0:
                continue
            bad = any(as_of < d <= as_of + timedelta(days=horizon_days) for d in crossings)
            rows.append(characteristics(file))
            labels.append(int(bad))
            dates.append(as_of)
    return rows, labels, dates


@dataclass(frozen=True)
class InvoiceSample:
    features: dict[str, float]
    late: int
    issued_on: date
    prior_late_ratio: float


def late_payment_samples(
    portfolios: Iterable[Portfolio], *, days_late: int = 30, end: date, default_net_days: int = 30
) -> list[InvoiceSample]:
    """One sample per invoice whose outcome is known by `end`: features as of its issue date."""
    samples = []
    for portfolio in portfolios:
        terms = portfolio.terms or {}
        for e in portfolio.experiences:
            issued_on = e.known_on
            if issued_on is None or e.total is None or e.due_date is None or e.currency is None:
                continue
            if e.voided_on is not None:
                continue
            crossed = crossed_late_on(e, days_late)
            if crossed is not None and crossed <= end:
                late = 1
            elif e.paid_as_of(end):
                late = 0
            else:
                continue  # still open and not yet that late: the outcome is unknown
            file = build_credit_file(
                portfolio.experiences, as_of=issued_on, first_seen_on=portfolio.first_seen_on, history=portfolio.history
            )
            net_days = terms.get(e.invoice_id) or (
                (e.due_date - e.invoice_date).days if e.invoice_date else default_net_days
            )
            features = late_payment_features(
                file, amount=e.total, currency=e.currency, net_days=net_days, due_date=e.due_date
            )
            samples.append(
                InvoiceSample(
                    features=features,
                    late=late,
                    issued_on=issued_on,
                    prior_late_ratio=float(file.ratio_late_by_count or 0),
                )
            )
    return samples
