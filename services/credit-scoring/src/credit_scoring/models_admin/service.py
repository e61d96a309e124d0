"""The scorecard lifecycle: refit both models on the service's own history, list the active ones. Never commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.auth import Principal
from arflow.clock import DEFAULT_TIME_ZONE, Clock, local_date
from credit_scoring import config, scoring
from credit_scoring.files import repository as files_repository
from credit_scoring.files.service import load_portfolios
from credit_scoring.models_admin import defaults, modelling, repository, training

log = structlog.get_logger("credit-scoring")


async def retrain_models(session: AsyncSession, *, clock: Clock, as_of: datetime, actor: Principal) -> dict[str, Any]:
    """Refit both models on this service's own history (point in time); keep them if there is enough data."""
    customers = await files_repository.all_customers(session)
    loaded = await load_portfolios(session, customers)
    end = local_date(as_of, DEFAULT_TIME_ZONE)
    portfolios = list(loaded.values())
    stamp = as_of.strftime("%Y%m%dT%H%M%S")
    result: dict[str, Any] = {}
    days_late = config.POLICY.late_payment_days
    samples = training.late_payment_samples(portfolios, days_late=days_late, end=end)
    late = [s.late for s in samples]
    if len(samples) >= config.POLICY.retrain_min_samples and 0 < sum(late) < len(late):
        model = modelling.fit_late_payment(
            [s.features for s in samples],
            late,
            version=f"late-payment-{stamp}",
            features=scoring.LATE_FEATURES,
            days_late=days_late,
        )
        await _store_model(session, clock=clock, model=model)
        result["late_payment"] = model["version"]
    else:
        result["late_payment"] = f"skipped: {len(samples)} samples, {sum(late)} late"
    snapshots = [end - timedelta(days=30 * k) for k in range(6, 25)]
    rows, bad, _ = training.scorecard_samples(portfolios, snapshots, end=end, days_late=days_late)
    if len(rows) >= config.POLICY.retrain_min_samples and 0 < sum(bad) < len(bad):
        scorecard = modelling.fit_scorecard(
            rows,
            bad,
            version=f"scorecard-{stamp}",
            names=list(scoring.CHARACTERISTICS),
            pdo=config.POLICY.pdo,
            base_score=config.POLICY.base_score,
            base_odds=config.POLICY.base_odds,
            tiers=defaults.tier_cutoffs(
                pdo=config.POLICY.pdo, base_score=config.POLICY.base_score, base_odds=config.POLICY.base_odds
            ),
        )
        await _store_model(session, clock=clock, model=scorecard)
        result["scorecard"] = scorecard["version"]
    else:
        result["scorecard"] = f"skipped: {len(rows)} samples, {sum(bad)} bad"
    log.info("model.retrained", **result)
    return result


async def _store_model(session: AsyncSession, *, clock: Clock, model: dict[str, Any]) -> None:
    await repository.add_model(
        session,
        {
            "version": model["version"],
            "kind": model["kind"],
            "parameters": model,
            "metrics": {**model.get("metrics", {}), "trained_on": model["trained_on"]},
            "trained_at": clock.now(),
        },
    )


@dataclass(frozen=True)
class ModelInfo:
    kind: str
    version: str
    source: str
    trained_on: dict[str, Any]
    metrics: dict[str, Any]
    details: dict[str, Any]


async def model_info(session: AsyncSession) -> list[ModelInfo]:
    """The active model of each kind, with what it was trained on and how it is scaled."""
    out = []
    for kind in ("scorecard", "late_payment"):
        stored = await repository.latest_model(session, kind)
        model = stored.parameters if stored is not None else defaults.default_model(kind)
        if kind == "scorecard":
            details = {
                "scaling": model["scaling"],
                "tiers": model["tiers"],
                "characteristics": [{k: c[k] for k in ("name", "iv", "bins")} for c in model["characteristics"]],
            }
        else:
            details = {
                "days_late": model["days_late"],
                "features": dict(zip(model["features"], model["coefficients"], strict=True)),
            }
        out.append(
            ModelInfo(
                kind=kind,
                version=model["version"],
                source="retrained" if stored is not None else "shipped_default",
                trained_on=model.get("trained_on", {}),
                metrics=model.get("metrics", {}),
                details=details,
            )
        )
    return out
