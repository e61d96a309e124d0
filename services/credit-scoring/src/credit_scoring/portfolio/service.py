"""The portfolio: clients and exposure by tier, and the drift (PSI) of the score distribution. Never commits."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from arflow.auth import Principal
from arflow.clock import DEFAULT_TIME_ZONE, Clock, local_date
from arflow.metrics import ServiceMetrics
from arflow.money import to_minor_units
from credit_scoring import config, policy, scoring
from credit_scoring.alerts.service import raise_alert
from credit_scoring.experience.repository import touch_customer
from credit_scoring.models import PORTFOLIO_SUBJECT
from credit_scoring.models_admin import modelling
from credit_scoring.portfolio import repository
from credit_scoring.scores.service import active_model


@dataclass
class PortfolioGauges:
    """Gauges the portfolio-drift job keeps current (Prometheus, with the house prefix)."""

    clients: Any
    exposure: Any
    psi: Any


# Per database, i.e. per app: a process may run several (a test with platforms of its own), and each
# app's job must set its own app's gauges, not those of the last app created.
_GAUGES: dict[int, PortfolioGauges] = {}


def register_gauges(metrics: ServiceMetrics, db: object) -> None:
    """Register the portfolio gauges the portfolio-drift job of the app with this database keeps current."""
    _GAUGES[id(db)] = PortfolioGauges(
        clients=metrics.gauge("clients", "Scored clients by tier", ["tier"]),
        exposure=metrics.gauge("exposure", "Outstanding of scored clients by tier and currency", ["tier", "currency"]),
        psi=metrics.gauge("score_psi", "Population stability index of the score distribution"),
    )


@dataclass(frozen=True)
class TierSummary:
    tier: str
    clients: int
    on_hold: int
    exposure: dict[str, Decimal]
    limits: dict[str, Decimal]


@dataclass(frozen=True)
class PortfolioView:
    scored_clients: int
    tiers: list[TierSummary]
    score_bands: list[float]
    expected_score_bands: list[float]
    psi: float
    psi_alert: bool
    model_version: str


async def portfolio(session: AsyncSession) -> PortfolioView:
    """Clients and exposure by tier from the latest scores; PSI of today's scores against the model's training.

    The database counts and sums (repository.tier_band_totals: one statement, a few dozen rows back);
    here they are only added up by tier and by band.
    """
    totals = await repository.tier_band_totals(session)
    model = await active_model(session, "scorecard")
    tiers = []
    for tier in policy.TIERS:
        mine = [t for t in totals if t.tier == tier]
        exposure: dict[str, Decimal] = defaultdict(Decimal)
        total_limits: dict[str, Decimal] = defaultdict(Decimal)
        for t in mine:
            if t.currency is not None:  # the sums are of amounts already rounded: this only sets the exponent
                exposure[t.currency] += to_minor_units(t.exposure or Decimal(0), t.currency)  # (0 comes back as 0)
                total_limits[t.currency] += to_minor_units(t.limits or Decimal(0), t.currency)
        tiers.append(
            TierSummary(
                tier=tier,
                clients=sum(t.clients for t in mine),
                on_hold=sum(t.on_hold for t in mine),
                exposure=dict(exposure),
                limits=dict(total_limits),
            )
        )
    scored = sum(t.clients for t in totals)
    counts = [0] * (len(scoring.SCORE_BANDS) + 1)
    for t in totals:
        counts[t.band] += t.clients
    actual = [c / max(1, scored) for c in counts]  # scoring.band_shares of the latest scores
    expected = list(model.get("score_distribution") or actual)
    drift = modelling.psi(expected, actual) if scored else 0.0
    return PortfolioView(
        scored_clients=scored,
        tiers=tiers,
        score_bands=[round(x, 4) for x in actual],
        expected_score_bands=[round(x, 4) for x in expected],
        psi=round(drift, 4),
        psi_alert=drift > config.POLICY.psi_alert_threshold,
        model_version=model["version"],
    )


async def check_drift(
    session: AsyncSession, *, clock: Clock, as_of: datetime, actor: Principal, db: object = None
) -> dict[str, Any]:
    """Raise a psi_drift alert (once a day at most) when the score distribution has drifted past the threshold."""
    view = await portfolio(session)
    gauges = _GAUGES.get(id(db))
    if gauges is not None:
        for tier in view.tiers:
            gauges.clients.labels(tier.tier).set(tier.clients)
            for currency, amount in tier.exposure.items():
                gauges.exposure.labels(tier.tier, currency).set(float(amount))
        gauges.psi.set(view.psi)
    if view.psi_alert:
        await touch_customer(session, PORTFOLIO_SUBJECT, seen_at=as_of, now=clock.now())
        await raise_alert(
            session,
            clock=clock,
            customer_id=PORTFOLIO_SUBJECT,
            warning=policy.Warning(
                "psi_drift",
                "warning",
                f"psi_drift:{as_of.date().isoformat()}",
                f"评分分布漂移：PSI {view.psi:.3f} 超过 {config.POLICY.psi_alert_threshold}",
                f"Score distribution drift: PSI {view.psi:.3f} above {config.POLICY.psi_alert_threshold}",
                {"psi": view.psi, "model_version": view.model_version, "scored_clients": view.scored_clients},
            ),
            raised_on=local_date(as_of, DEFAULT_TIME_ZONE),
            actor=actor,
        )
    return {"psi": view.psi, "alert": view.psi_alert, "scored_clients": view.scored_clients}
