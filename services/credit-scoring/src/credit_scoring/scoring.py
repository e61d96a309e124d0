"""Pure scoring rules: the payment index, the scorecard with reason codes, late-payment risk, tiers.

No I/O, no clock reads. Models are plain data (dicts loaded from JSON): a
scorecard is a table of bins and integer points per characteristic; the
late-payment model is a logistic regression on standardised features.

Payment index (PAYDEX-style, 1–100)
    d = Σ amount_i × days_i / Σ amount_i over the payment experiences of the
    last 24 months, where days_i = paid_on − due_date for a paid invoice
    (negative when paid early, floored at −30) and as_of − due_date for an
    open invoice already past due (weighted by what is still outstanding).
    The index is d mapped piecewise linearly through the D&B key points
    (−30 → 100 anticipates, −20 → 90 discounts, 0 → 80 prompt, 15 → 70,
    22 → 60, 30 → 50, 60 → 40, 90 → 30, 120 → 20, then 3 days a point down
    to 1 at 177), rounded half-up. None with fewer than 3 experiences.

Scorecard points
    Factor = PDO / ln 2; Offset = base_score − Factor × ln(base_odds);
    score = Offset + Factor × ln(good:bad odds) = Σ points of the bins the
    customer falls in (each bin's points are integers, so the sum is exact).
    A reason code's points_lost = best bin's points − the customer's bin's
    points: moving that characteristic to its best bin raises the score by
    exactly that many points.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal
from uuid import UUID

from arflow.events.catalog import CreditScoreChanged
from arflow.events.catalog import ReasonCode as PublishedReason
from credit_scoring.domain import CreditFile, ExperienceAsOf

Tier = Literal["A", "B", "C", "D"]

# (signed days relative to the due date, index): the published PAYDEX key points plus the early end.
PAYDEX_KEY_POINTS: tuple[tuple[int, int], ...] = (
    (-30, 100),
    (-20, 90),
    (0, 80),
    (15, 70),
    (22, 60),
    (30, 50),
    (60, 40),
    (90, 30),
    (120, 20),
    (177, 1),
)
MIN_EXPERIENCES = 3
INDEX_WINDOW_DAYS = 730


def index_for_days(days: Decimal | float) -> int:
    """The 1–100 index of an amount-weighted days-beyond-terms figure (piecewise linear, monotone)."""
    value = Decimal(str(days))
    first_days, first_index = PAYDEX_KEY_POINTS[0]
    if value <= first_days:
        return first_index
    for (d0, i0), (d1, i1) in itertools.pairwise(PAYDEX_KEY_POINTS):
        if value <= d1:
            exact = Decimal(i0) + (Decimal(i1) - Decimal(i0)) * (value - d0) / (d1 - d0)
            return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return 1


def index_days(experiences: Sequence[ExperienceAsOf], as_of: date) -> tuple[Decimal | None, int]:
    """The amount-weighted signed days of the index and how many experiences it rests on."""
    start = as_of - timedelta(days=INDEX_WINDOW_DAYS)
    weighted, weights, count = Decimal(0), Decimal(0), 0
    for e in experiences:
        if e.status == "paid" and e.paid_on is not None and e.paid_on > start:
            days, weight = max(-30, (e.paid_on - e.due_date).days), e.total
        elif e.status == "open" and e.due_date < as_of and e.amount_outstanding > 0:
            days, weight = (as_of - e.due_date).days, e.amount_outstanding
        elif e.status == "written_off":
            days, weight = max(180, (as_of - e.due_date).days), e.total
        else:
            continue
        weighted += weight * days
        weights += weight
        count += 1
    if count == 0 or weights == 0:
        return None, count
    return weighted / weights, count


def payment_index(file: CreditFile) -> int | None:
    """The PAYDEX-style payment index of a credit file; None with fewer than 3 experiences."""
    days, count = index_days(file.experiences, file.as_of)
    if days is None or count < MIN_EXPERIENCES:
        return None
    return index_for_days(days)


# --- characteristics ------------------------------------------------------------------

# name: (zh-CN label, en label)
CHARACTERISTICS: dict[str, tuple[str, str]] = {
    "payment_index": ("付款指数", "Payment index"),
    "ratio_late_by_count": ("逾期付款占比", "Share of invoices paid late"),
    "max_dbt_12m": ("近12个月最长逾期天数", "Longest days beyond terms in 12 months"),
    "dbt_trend": ("逾期天数趋势", "Trend of days beyond terms"),
    "max_days_past_due": ("当前最长逾期天数", "Days past due of the oldest open invoice"),
    "invoices_open_late": ("逾期未付账单数", "Open invoices past due"),
    "max_dunning_level": ("最高催收级别", "Highest dunning level reached"),
    "promises_broken": ("未兑现付款承诺", "Broken promises to pay"),
}
# Tenure stays in the credit file but out of the scorecard: on a young book it learns the wrong way round
# (clients who go bad have been with the firm long enough to do so), which a person could not defend.


def characteristics(file: CreditFile) -> dict[str, float | None]:
    """The scorecard's characteristics of a credit file (None = unknown, scored in its own bin)."""

    def num(value: Decimal | int | None) -> float | None:
        return None if value is None else float(value)

    return {
        "payment_index": num(payment_index(file)),
        "ratio_late_by_count": num(file.ratio_late_by_count),
        "max_dbt_12m": num(file.max_dbt_12m),
        "dbt_trend": num(file.dbt_trend),
        "max_days_past_due": float(file.max_days_past_due or 0),
        "invoices_open_late": float(file.invoices_open_late),
        "max_dunning_level": float(file.max_dunning_level),
        "promises_broken": float(file.promises_broken),
    }


# --- the scorecard --------------------------------------------------------------------


@dataclass(frozen=True)
class ReasonCode:
    code: str
    characteristic: str
    points_lost: int
    text_zh: str
    text_en: str


@dataclass(frozen=True)
class Score:
    score: int
    tier: Tier
    probability_bad: float
    payment_index: int | None
    reasons: tuple[ReasonCode, ...]
    points: dict[str, int]
    model_version: str


def score_published(
    scored: Score,
    *,
    score_id: UUID,
    customer_id: UUID,
    credit_hold: bool,
    previous: Mapping[str, Any] | None,
    as_of: date,
    trigger: str,
    now: datetime,
) -> tuple[dict[str, Any], CreditScoreChanged]:
    """The credit_score row of a score that changed, and the CreditScoreChanged that tells others."""
    reasons = [asdict(r) for r in scored.reasons]
    score_row = {
        "id": score_id,
        "customer_id": customer_id,
        "score": scored.score,
        "tier": scored.tier,
        "payment_index": scored.payment_index,
        "probability_bad": scored.probability_bad,
        "reasons": reasons,
        "points": scored.points,
        "credit_hold": credit_hold,
        "model_version": scored.model_version,
        "as_of": as_of,
        "trigger": trigger,
        "scored_at": now,
    }
    event = CreditScoreChanged(
        customer_id=customer_id,
        score=scored.score,
        payment_index=scored.payment_index,
        tier=scored.tier,
        previous_score=previous["score"] if previous else None,
        previous_tier=previous["tier"] if previous else None,
        reasons=[PublishedReason(**r) for r in reasons],
        credit_hold=credit_hold,
        model_version=scored.model_version,
        scored_at=now,
    )
    return score_row, event


def bin_of(spec: Mapping[str, Any], value: float | None) -> int:
    """Index of the bin a value falls in: bins are [lower, upper) with None for open ends or missing."""
    for i, b in enumerate(spec["bins"]):
        if value is None:
            if b.get("missing"):
                return i
            continue
        if b.get("missing"):
            continue
        lower, upper = b.get("lower"), b.get("upper")
        if (lower is None or value >= lower) and (upper is None or value < upper):
            return i
    # A missing value with no missing bin takes the worst bin (never the best by accident).
    return min(range(len(spec["bins"])), key=lambda i: spec["bins"][i]["points"])


def bin_label(b: Mapping[str, Any]) -> str:
    if b.get("missing"):
        return "n/a"
    lower, upper = b.get("lower"), b.get("upper")
    if lower is None:
        return f"< {upper:g}"
    if upper is None:
        return f"≥ {lower:g}"
    return f"{lower:g}–{upper:g}"


def tier_of(score: int, cutoffs: Mapping[str, int]) -> Tier:
    """A if score ≥ cutoffs['A'], else B if ≥ cutoffs['B'], else C if ≥ cutoffs['C'], else D."""
    for tier in ("A", "B", "C"):
        if score >= cutoffs[tier]:
            return tier
    return "D"


def probability_of_score(score: float, scaling: Mapping[str, float]) -> float:
    """P(bad) implied by a score under PDO scaling: odds = base_odds × 2^((score − base_score)/pdo)."""
    log_odds = math.log(scaling["base_odds"]) + (score - scaling["base_score"]) * math.log(2) / scaling["pdo"]
    return 1.0 / (1.0 + math.exp(log_odds))


# Score bands of the population-stability index (PSI) of the score distribution.
SCORE_BANDS: tuple[int, ...] = (500, 530, 560, 590, 620)


def band_of(score: int) -> int:
    """Index of the PSI band of a score: < 500, 500–529, 530–559, 560–589, 590–619, ≥ 620."""
    return sum(1 for edge in SCORE_BANDS if score >= edge)


def band_shares(scores: Sequence[int]) -> list[float]:
    counts = [0] * (len(SCORE_BANDS) + 1)
    for s in scores:
        counts[band_of(s)] += 1
    total = max(1, len(scores))
    return [c / total for c in counts]


def score_of_values(model: Mapping[str, Any], values: Mapping[str, float | None]) -> int:
    """The score of a set of characteristic values (the sum of their bins' points)."""
    return sum(int(spec["bins"][bin_of(spec, values.get(spec["name"]))]["points"]) for spec in model["characteristics"])


def apply_scorecard(model: Mapping[str, Any], file: CreditFile, *, max_reasons: int = 4) -> Score:
    """Score a credit file with a scorecard model; 1–4 reason codes, worst first."""
    values = characteristics(file)
    points: dict[str, int] = {}
    lost: list[tuple[int, int, str, Mapping[str, Any]]] = []
    for order, spec in enumerate(model["characteristics"]):
        name = spec["name"]
        chosen = spec["bins"][bin_of(spec, values.get(name))]
        points[name] = int(chosen["points"])
        best = max(int(b["points"]) for b in spec["bins"])
        lost.append((best - points[name], -order, name, chosen))
    total = sum(points.values())
    lost.sort(reverse=True)
    adverse = [item for item in lost if item[0] > 0][:max_reasons] or lost[:1]
    reasons = tuple(
        _reason(i, name, cost, chosen, values.get(name)) for i, (cost, _, name, chosen) in enumerate(adverse)
    )
    return Score(
        score=total,
        tier=tier_of(total, model["tiers"]),
        probability_bad=probability_of_score(total, model["scaling"]),
        payment_index=payment_index(file),
        reasons=reasons,
        points=points,
        model_version=model["version"],
    )


def _reason(rank: int, name: str, cost: int, chosen: Mapping[str, Any], value: float | None) -> ReasonCode:
    zh, en = CHARACTERISTICS.get(name, (name, name))
    shown = "无数据" if value is None else f"{value:g}"
    shown_en = "no data" if value is None else f"{value:g}"
    code = f"{name.upper()}"
    return ReasonCode(
        code=code,
        characteristic=name,
        points_lost=cost,
        text_zh=f"{zh}：{shown}（区间 {bin_label(chosen)}），扣 {cost} 分",
        text_en=f"{en}: {shown_en} (bin {bin_label(chosen)}) cost {cost} points",
    )


def with_characteristic_at_best(model: Mapping[str, Any], points: Mapping[str, int], name: str) -> int:
    """The score the same customer would have with one characteristic in its best bin."""
    spec = next(s for s in model["characteristics"] if s["name"] == name)
    best = max(int(b["points"]) for b in spec["bins"])
    return sum(points.values()) - points[name] + best


# --- late-payment risk ----------------------------------------------------------------

LATE_FEATURES: tuple[str, ...] = (
    "log_amount",
    "net_days",
    "cny_season",
    "no_history",
    "log_paid",
    "log_paid_late",
    "ratio_late_by_count",
    "ratio_late_by_amount",
    "average_dbt",
    "amount_weighted_dbt",
    "max_dbt_12m",
    "average_dbt_90d",
    "dbt_trend",
    "log_open",
    "open_late",
    "ratio_open_late",
    "max_days_past_due",
    "max_dunning_level",
    "promises_broken",
    "disputed",
)


def late_payment_features(
    file: CreditFile, *, amount: Decimal, currency: str, net_days: int, due_date: date, disputed: bool = False
) -> dict[str, float]:
    """The invoice-to-cash features of one invoice, from the credit file as of its issue date."""
    cur = next((m for m in file.by_currency if m.currency == currency), None)
    paid = file.invoices_paid
    opened = file.invoices_open
    capped = min(float(file.max_days_past_due or 0), 120.0)
    return {
        "log_amount": math.log1p(float(amount)),
        "net_days": net_days / 30.0,
        "cny_season": 1.0 if due_date.month in (1, 2) else 0.0,
        "no_history": 1.0 if paid == 0 else 0.0,
        "log_paid": math.log1p(paid),
        "log_paid_late": math.log1p(file.invoices_paid_late),
        "ratio_late_by_count": float(file.ratio_late_by_count or 0),
        "ratio_late_by_amount": float(cur.ratio_late_by_amount or 0) if cur else 0.0,
        "average_dbt": min(float(file.average_dbt or 0), 120.0),
        "amount_weighted_dbt": min(float(cur.amount_weighted_dbt or 0), 120.0) if cur else 0.0,
        "max_dbt_12m": min(float(file.max_dbt_12m or 0), 120.0),
        "average_dbt_90d": min(float(file.average_dbt_90d or file.average_dbt or 0), 120.0),
        "dbt_trend": max(-60.0, min(float(file.dbt_trend or 0), 60.0)),
        "log_open": math.log1p(opened),
        "open_late": float(min(file.invoices_open_late, 10)),
        "ratio_open_late": file.invoices_open_late / opened if opened else 0.0,
        "max_days_past_due": capped,
        "max_dunning_level": float(file.max_dunning_level),
        "promises_broken": float(min(file.promises_broken, 10)),
        "disputed": 1.0 if disputed else 0.0,
    }


def late_payment_probability(model: Mapping[str, Any], features: Mapping[str, float]) -> float:
    """P(paid more than N days late) from a logistic model on standardised features."""
    z = float(model["intercept"])
    for name, weight, mean, scale in zip(
        model["features"], model["coefficients"], model["means"], model["scales"], strict=True
    ):
        z += weight * (features.get(name, 0.0) - mean) / scale
    z = max(-35.0, min(35.0, z))
    return 1.0 / (1.0 + math.exp(-z))
