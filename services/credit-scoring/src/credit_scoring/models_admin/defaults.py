"""The shipped default models, fitted on the seeded simulator and stored as JSON in the package.

Regenerate them with `python -m credit_scoring.models_admin.defaults` (deterministic: same seed, same JSON).
A model fitted by the retrain job on the service's own data supersedes them once stored.
"""

from __future__ import annotations

import json
import math
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
# The highest probability of going bad (an invoice more than 30 days late within 180 days) of each
# tier, turned into score cut-offs by the scaling (A 542, B 528, C 488 at 600 / 50:1 / PDO 20). D (and
# so a hold) is "more likely than not to go bad". A client with no payment history yet scores near the
# portfolio's average risk and lands in C, even a day past due on its first invoice: an unknown is not
# a bad payer. A punctual client who once pays two weeks late (the 14-25 days bin of max_dbt_12m)
# stays in A. The fixed 600 / 570 / 530 left A empty: no client of the simulator scores above 572.
TIER_BAD_RATES = {"A": 0.13, "B": 0.20, "C": 0.50}


def tier_cutoffs(
    *, pdo: float = 20.0, base_score: float = 600.0, base_odds: float = 50.0, bad_rates: dict[str, float] | None = None
) -> dict[str, int]:
    """The lowest score of each tier: the score whose implied P(bad) is the tier's highest bad rate.

    score = base_score + pdo × log2(((1 − p) / p) / base_odds), rounded up (scoring.probability_of_score's inverse).
    """
    rates = bad_rates or TIER_BAD_RATES
    return {
        tier: math.ceil(base_score + pdo * math.log2(((1 - p) / p) / base_odds) - 1e-9) for tier, p in rates.items()
    }


DEFAULT_TIERS = tier_cutoffs()


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
    # Weekly snapshots fall on every day of the month in turn, as rescores do: a snapshot on the 15th
    # alone never sees an invoice a day or two past due that is then paid (most due dates fall at the
    # turn of the month), so the scorecard learnt that any open past-due invoice meant bad (85%) and
    # took a prompt payer two days late from A to C, below the limit its next invoice needed.
    start = month_start(3)
    snapshots = [start + timedelta(days=7 * k) for k in range((end - start).days // 7)]
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
