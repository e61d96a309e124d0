"""Credit-scoring settings (ARFLOW_* environment variables) and the scoring knobs taken from them."""

from dataclasses import dataclass, field
from decimal import Decimal

from pydantic import Field

from arflow.settings import ServiceSettings
from credit_scoring import policy


class CreditScoringSettings(ServiceSettings):
    late_payment_days: int = Field(default=30, ge=1, le=365, description="N of 'paid more than N days late'.")
    score_pdo: float = Field(default=20.0, gt=0, description="Points to double the odds (retrained scorecards).")
    score_base: float = Field(default=600.0, description="Score at the base odds (retrained scorecards).")
    score_base_odds: float = Field(default=50.0, gt=0, description="Good:bad odds at the base score.")
    retrain_min_samples: int = Field(default=300, ge=10, description="Fewest samples the retrain job fits a model on.")
    limit_cap_a: Decimal = Field(
        default=Decimal(500_000), description="Largest recommended limit of a tier A customer."
    )
    limit_cap_b: Decimal = Field(default=Decimal(200_000), description="… of tier B.")
    limit_cap_c: Decimal = Field(default=Decimal(100_000), description="… of tier C.")
    limit_cap_d: Decimal = Field(default=Decimal(20_000), description="… of tier D.")
    psi_alert_threshold: float = Field(
        default=0.25, description="PSI of the score distribution above which drift alerts."
    )

    def limit_caps(self) -> dict[str, Decimal]:
        return {"A": self.limit_cap_a, "B": self.limit_cap_b, "C": self.limit_cap_c, "D": self.limit_cap_d}


@dataclass
class Policy:
    """The knobs of scoring taken from settings once, at start-up (handlers have no request)."""

    late_payment_days: int = 30
    limit_caps: dict[str, Decimal] = field(default_factory=lambda: dict(policy.LIMIT_CAPS))
    pdo: float = 20.0
    base_score: float = 600.0
    base_odds: float = 50.0
    retrain_min_samples: int = 300
    psi_alert_threshold: float = 0.25


# Rebound by configure(): read it as `config.POLICY`, never import the name itself.
POLICY = Policy()


def configure(settings: CreditScoringSettings) -> None:
    """Take the scoring knobs from the service's settings."""
    global POLICY
    POLICY = Policy(
        late_payment_days=settings.late_payment_days,
        limit_caps=settings.limit_caps(),
        pdo=settings.score_pdo,
        base_score=settings.score_base,
        base_odds=settings.score_base_odds,
        retrain_min_samples=settings.retrain_min_samples,
        psi_alert_threshold=settings.psi_alert_threshold,
    )
