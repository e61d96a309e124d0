"""Response models of the portfolio."""

from __future__ import annotations

from pydantic import BaseModel, Field

from arflow.money import DecimalString
from credit_scoring.scoring import Tier


class TierOut(BaseModel):
    tier: Tier
    clients: int
    on_hold: int
    exposure: dict[str, DecimalString] = Field(description="Outstanding per currency.")
    limits: dict[str, DecimalString] = Field(description="Sum of effective limits per currency.")


class PortfolioOut(BaseModel):
    scored_clients: int
    tiers: list[TierOut]
    score_bands: list[float] = Field(description="Share of clients per band: <500, 500–529, …, ≥620.")
    expected_score_bands: list[float] = Field(description="The same shares in the model's training data.")
    psi: float = Field(description="Population stability index Σ (a − e) ln(a / e).")
    psi_alert: bool
    model_version: str
