"""The payment index, the scorecard and its reason codes, the late-payment model, on hand-made files."""

from __future__ import annotations

import math
import uuid
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from credit_scoring.domain import (
    CreditFile,
    CustomerHistory,
    DunningFact,
    PaymentExperience,
    Reversal,
    build_credit_file,
)
from credit_scoring.models_admin import defaults, modelling
from credit_scoring.models_admin.training import crossed_late_on
from credit_scoring.scoring import (
    LATE_FEATURES,
    PAYDEX_KEY_POINTS,
    apply_scorecard,
    bin_of,
    index_for_days,
    late_payment_features,
    late_payment_probability,
    payment_index,
    probability_of_score,
    tier_of,
    with_characteristic_at_best,
)

AS_OF = date(2026, 6, 30)


def paid(total: str, due: date, days: int) -> PaymentExperience:
    return PaymentExperience(
        invoice_id=uuid.uuid4(),
        invoice_number=None,
        currency="CNY",
        total=Decimal(total),
        invoice_date=due - timedelta(days=30),
        due_date=due,
        issued_on=due - timedelta(days=30),
        paid_on=due + timedelta(days=days),
    )


def test_index_is_exact_at_every_published_key_point() -> None:
    assert [index_for_days(d) for d, _ in PAYDEX_KEY_POINTS] == [i for _, i in PAYDEX_KEY_POINTS]
    assert (index_for_days(0), index_for_days(15), index_for_days(22), index_for_days(30)) == (80, 70, 60, 50)
    assert (index_for_days(60), index_for_days(90), index_for_days(120)) == (40, 30, 20)


def test_index_is_linear_between_key_points() -> None:
    # halfway between 30 days (50) and 60 days (40): 45; 3 days a point below 50.
    assert index_for_days(45) == 45
    assert index_for_days(33) == 49
    assert index_for_days(Decimal("7.5")) == 75


@given(st.decimals(min_value=-100, max_value=400, places=2), st.decimals(min_value=-100, max_value=400, places=2))
def test_index_is_monotone_and_bounded(a: Decimal, b: Decimal) -> None:
    low, high = sorted((a, b))
    assert 1 <= index_for_days(high) <= index_for_days(low) <= 100


def test_index_weights_days_by_amount_and_needs_three_experiences() -> None:
    due = date(2026, 3, 1)
    # (1000·0 + 1000·0 + 2000·30) / 4000 = 15 days → 70.
    file = build_credit_file(
        [paid("1000", due, 0), paid("1000", due, 0), paid("2000", due, 30)], as_of=AS_OF, first_seen_on=None
    )
    assert payment_index(file) == 70
    two = build_credit_file([paid("1000", due, 0), paid("2000", due, 30)], as_of=AS_OF, first_seen_on=None)
    assert payment_index(two) is None


def test_early_payment_anticipates_up_to_100() -> None:
    due = date(2026, 3, 1)
    file = build_credit_file([paid("100", due, -45) for _ in range(3)], as_of=AS_OF, first_seen_on=None)
    assert payment_index(file) == 100


# --- the scorecard ---------------------------------------------------------------------

SCORECARD = defaults.default_model("scorecard")


def portfolio_file(dbts: list[int], *, dunning_level: int = 0, open_late: int = 0) -> CreditFile:
    due = date(2026, 1, 1)
    experiences = [paid("1000", due + timedelta(days=30 * i), d) for i, d in enumerate(dbts)]
    for i in range(open_late):
        experiences.append(
            PaymentExperience(
                invoice_id=uuid.uuid4(),
                invoice_number=None,
                currency="CNY",
                total=Decimal("1000"),
                invoice_date=date(2026, 4, 1) + timedelta(days=i),
                due_date=date(2026, 5, 1) + timedelta(days=i),
                issued_on=date(2026, 4, 1) + timedelta(days=i),
            )
        )
    history = CustomerHistory(
        dunning=tuple(
            DunningFact(case_id=uuid.uuid4(), level=level, channel="letter", on=date(2026, 5, 20))
            for level in range(2, dunning_level + 1)
        )
    )
    return build_credit_file(experiences, as_of=AS_OF, first_seen_on=date(2025, 1, 1), history=history)


def test_points_of_the_bins_add_up_to_the_score() -> None:
    scored = apply_scorecard(SCORECARD, portfolio_file([0, 5, 40, 12]))
    assert scored.score == sum(scored.points.values())
    assert scored.model_version == defaults.SCORECARD_VERSION


def test_a_prompt_payer_scores_higher_than_a_late_one() -> None:
    prompt = apply_scorecard(SCORECARD, portfolio_file([0, 0, 0, 0]))
    late = apply_scorecard(SCORECARD, portfolio_file([35, 40, 50, 45], dunning_level=4, open_late=2))
    assert prompt.score > late.score
    assert prompt.tier == "A" and late.tier == "D"


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.integers(min_value=-10, max_value=120), min_size=0, max_size=8),
    st.integers(min_value=0, max_value=6),
    st.integers(min_value=0, max_value=3),
)
def test_every_score_has_one_to_four_reasons_and_each_is_exactly_what_the_best_bin_gives_back(
    dbts: list[int], level: int, open_late: int
) -> None:
    file = portfolio_file(dbts, dunning_level=level, open_late=open_late)
    scored = apply_scorecard(SCORECARD, file)
    assert 1 <= len(scored.reasons) <= 4
    for reason in scored.reasons:
        assert reason.text_zh and reason.text_en and reason.characteristic in scored.points
        raised = with_characteristic_at_best(SCORECARD, scored.points, reason.characteristic)
        assert raised - scored.score == reason.points_lost
    costs = [r.points_lost for r in scored.reasons]
    assert costs == sorted(costs, reverse=True)


def test_the_reason_is_named_in_both_languages() -> None:
    scored = apply_scorecard(SCORECARD, portfolio_file([35, 40, 50, 45], dunning_level=4, open_late=2))
    top = scored.reasons[0]
    assert top.points_lost > 0
    assert f"扣 {top.points_lost} 分" in top.text_zh
    assert f"cost {top.points_lost} points" in top.text_en


def test_tier_cut_offs() -> None:
    cutoffs = {"A": 600, "B": 570, "C": 530}
    assert [tier_of(s, cutoffs) for s in (650, 600, 599, 570, 569, 530, 529)] == ["A", "A", "B", "B", "C", "C", "D"]


def test_pdo_scaling_600_is_50_to_1_and_20_points_double_the_odds() -> None:
    scaling = {"pdo": 20, "base_score": 600, "base_odds": 50}
    assert math.isclose(probability_of_score(600, scaling), 1 / 51)
    assert math.isclose(probability_of_score(620, scaling), 1 / 101)


def test_missing_value_falls_in_the_missing_bin() -> None:
    spec = {
        "bins": [
            {"lower": None, "upper": 5, "points": 10},
            {"lower": 5, "upper": None, "points": 3},
            {"missing": True, "points": 7},
        ]
    }
    assert (bin_of(spec, None), bin_of(spec, 4.9), bin_of(spec, 5)) == (2, 0, 1)


# --- fitting -------------------------------------------------------------------------------


def test_irls_recovers_the_coefficients_of_a_logistic_sample() -> None:
    rng = np.random.default_rng(7)
    x = rng.normal(size=(20_000, 2))
    y = (rng.random(20_000) < 1 / (1 + np.exp(-(-1.0 + 2.0 * x[:, 0] - 0.5 * x[:, 1])))).astype(float)
    beta = modelling.logistic_irls(x, y, l2=0.0)
    assert np.allclose(beta, [-1.0, 2.0, -0.5], atol=0.08)


def test_monotone_bins_have_bad_rates_moving_one_way() -> None:
    rng = np.random.default_rng(3)
    x = rng.uniform(0, 100, 5000)
    y = (rng.random(5000) < x / 120).astype(int)
    bins = [b for b in modelling.monotone_bins(x.tolist(), y.tolist()) if not b.get("missing")]
    rates = [b["bad"] / b["n"] for b in bins]
    assert rates == sorted(rates) and len(bins) >= 2


def test_auc_ks_brier_on_a_known_ranking() -> None:
    assert modelling.auc([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9]) == 1.0
    assert modelling.auc([0, 1, 0, 1], [0.5, 0.5, 0.5, 0.5]) == 0.5
    assert modelling.ks([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9]) == 1.0
    assert modelling.brier([0, 1], [0.0, 0.5]) == 0.125


def test_psi_of_identical_distributions_is_zero() -> None:
    assert modelling.psi([0.25] * 4, [0.25] * 4) == 0.0
    assert modelling.psi([0.4, 0.3, 0.2, 0.1], [0.1, 0.2, 0.3, 0.4]) > 0.25


def test_late_payment_model_ranks_a_habitual_late_payer_above_a_prompt_one() -> None:
    model = defaults.default_model("late_payment")
    assert model["features"] == list(LATE_FEATURES)

    def probability(dbts: list[int], **more: int) -> float:
        file = portfolio_file(dbts, **more)
        features = late_payment_features(
            file, amount=Decimal("1000"), currency="CNY", net_days=30, due_date=date(2026, 7, 30)
        )
        chance: float = late_payment_probability(model, features)
        return chance

    # As in the portfolio: a habitual late payer has last months' invoices still open and being chased.
    assert probability([40, 45, 38, 50], open_late=2, dunning_level=3) > 0.5 > 0.05 > probability([0, 0, 0, 0])
    assert probability([40, 45, 38, 50]) > 10 * probability([0, 0, 0, 0])


def test_a_payment_reversed_before_it_was_30_days_late_still_counts_as_late_for_training() -> None:
    on_time = paid("1000", date(2026, 3, 1), 4)
    assert crossed_late_on(on_time, 30) is None
    bounced = replace(
        on_time, reversals=(Reversal(reversed_on=date(2026, 3, 20), amount=Decimal(1000), invoice_reopened=True),)
    )
    assert crossed_late_on(bounced, 30) == date(2026, 4, 1)
