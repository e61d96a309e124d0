"""The shipped default models, fitted on the seeded simulator and stored as JSON in the package.

Regenerate them with `python -m credit_scoring.models_admin.defaults` (deterministic: same seed, same JSON).
A model fitted by the retrain job on the service's own data supersedes them once stored.
"""

from __future__ import annotations

import json
from datetime import timedelta
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from credit_scoring.domain import Portfolio
from credit_scoring.models_admin import modelling
from credit_scoring.models_admin.simulation import month_start, simulate
from credit_scoring.models_admin.training import late_payment_samples, scorecard_samples
from credit_scoring.scoring import CHARACTERISTICS, LATE_FEATURES

SCORECARD_VERSION = "scorecard-sim-2026.1"
LATE_PAYMENT_VERSION = "late-payment-sim-2026.1"
SIMULATED_CLIENTS, SIMULATED_MONTHS, SEED = 2000, 18, 20260601
DEFAULT_TIERS = {"A": 600, "B": 570, "C": 530}


@cache
def default_model(kind: str) -> dict[str, Any]:
    """The shipped model of a kind: 'scorecard' or 'late_payment'."""
    text = resources.files("credit_scoring.models_admin").joinpath(f"fitted/{kind}.json").read_text(encoding="utf-8")
    model: dict[str, Any] = json.loads(text)
    return model


def fit_on_simulator(clients: int = SIMULATED_CLIENTS, *, seed: int = SEED) -> dict[str, dict[str, Any]]:
    """Fit both models on the first 18 simulated months (the bench tests on later months)."""
    portfolio = simulate(clients, 24, seed=seed)
    portfolios = [Portfolio(c.experiences, c.history, c.first_seen_on, c.terms) for c in portfolio]
    end = month_start(SIMULATED_MONTHS)
    snapshots = [month_start(m) + timedelta(days=14) for m in range(3, SIMULATED_MONTHS)]
    rows, bad, _ = scorecard_samples(portfolios, snapshots, end=end)
    scorecard = modelling.fit_scorecard(
        rows, bad, version=SCORECARD_VERSION, names=list(CHARACTERISTICS), tiers=DEFAULT_TIERS
    )
    samples = late_payment_samples(portfolios, end=end)
    late = modelling.fit_late_payment(
        [s.features for s in samples],
        [s.late for s in samples],
        version=LATE_PAYMENT_VERSION,
        features=LATE_FEATURES,
        days_late=30,
    )
    return {"scorecard": scorecard, "late_payment": late}


if __name__ == "__main__":
    folder = Path(__file__).parent / "fitted"
    for kind, model in fit_on_simulator().items():
        (folder / f"{kind}.json").write_text(json.dumps(model, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(kind, model["version"], model["trained_on"])
