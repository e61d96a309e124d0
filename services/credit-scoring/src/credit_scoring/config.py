"""Credit-scoring settings (ARFLOW_* environment variables)."""

from decimal import Decimal

from pydantic import Field

from arflow.settings import ServiceSettings


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
