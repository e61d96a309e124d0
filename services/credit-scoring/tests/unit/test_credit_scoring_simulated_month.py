"""One simulated month of a firm's portfolio under the service's own rules (issue 14's credit decisions).

400 clients of the simulator (eleven payer types; a seed the shipped models were not fitted on) are
rescored as of every day of January 2025 - the month of 春节, when even good payers slip - with the
steps of scores.service.rescore: build_credit_file, apply_scorecard with the shipped scorecard,
recommended_limit and credit_hold. A credit manager holds none of the prompt payers (types prompt and
new, never more than 3 days late), and the tiers mean what they say: the bad rate (an invoice more than
30 days late within 180 days) of the clients' files in that month rises strictly from A to D.
The last test shows the first check can fail: a policy holding on any open invoice holds prompt payers.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import pytest

from credit_scoring import policy, scoring
from credit_scoring.domain import CreditFile, Portfolio, build_credit_file
from credit_scoring.models_admin.defaults import default_model
from credit_scoring.models_admin.simulation import PAYS_ON_TIME, SimulatedClient, month_start, simulate
from credit_scoring.models_admin.training import scorecard_samples

SEED = 424242  # the credit bench's: not the shipped models' (defaults.SEED)
CLIENTS = 400
MONTH = 12  # January 2025 (春节 on the 29th)
START, END = month_start(MONTH), month_start(MONTH + 1)
# (file, tier, exposure, limit) -> held
HoldRule = Callable[[CreditFile, str, Decimal, Decimal], bool]


def service_hold(file: CreditFile, tier: str, exposure: Decimal, limit: Decimal) -> bool:
    return policy.credit_hold(tier, exposure, limit, paying_late=policy.paying_late(file), manual=False)


def hold_on_any_open_invoice(file: CreditFile, tier: str, exposure: Decimal, limit: Decimal) -> bool:
    return file.invoices_open > 0


@pytest.fixture(scope="module")
def portfolio() -> list[SimulatedClient]:
    return simulate(CLIENTS, 24, seed=SEED)


@pytest.fixture(scope="module")
def scorecard() -> dict[str, object]:
    return default_model("scorecard")


def held_in_month(client: SimulatedClient, model: dict[str, object], rule: HoldRule) -> bool:
    """Whether the client is on hold as of any day of the month."""
    day = START
    while day < END:
        file = build_credit_file(
            client.experiences, as_of=day, first_seen_on=client.first_seen_on, history=client.history
        )
        if file.invoices_issued:
            scored = scoring.apply_scorecard(model, file)
            limit = policy.recommended_limit(file, scored.tier)
            if rule(file, scored.tier, limit.exposure, limit.limit):
                return True
        day += timedelta(days=1)
    return False


def prompt_payers_held(portfolio: list[SimulatedClient], model: dict[str, object], rule: HoldRule) -> tuple[int, int]:
    prompt = [c for c in portfolio if c.habit in PAYS_ON_TIME]
    return sum(held_in_month(c, model, rule) for c in prompt), len(prompt)


def test_no_prompt_payer_is_held_in_the_month(portfolio: list[SimulatedClient], scorecard: dict[str, object]) -> None:
    held, prompt = prompt_payers_held(portfolio, scorecard, service_hold)
    assert prompt >= 100  # enough of them for the rate to mean something
    assert held == 0, f"{held} of {prompt} prompt payers held"
    others = sum(held_in_month(c, scorecard, service_hold) for c in portfolio if c.habit not in PAYS_ON_TIME)
    assert others > 0  # the rules do hold someone: the late payers


def test_tier_bad_rates_rise_strictly_from_a_to_d(
    portfolio: list[SimulatedClient], scorecard: dict[str, object]
) -> None:
    ports = [Portfolio(c.experiences, c.history, c.first_seen_on, c.terms) for c in portfolio]
    weekly = [START + timedelta(days=7 * k) for k in range(5)]
    rows, bad, _ = scorecard_samples(ports, weekly, end=month_start(24), days_late=30)
    by_tier: dict[str, list[int]] = {t: [] for t in policy.TIERS}
    for values, b in zip(rows, bad, strict=True):
        by_tier[scoring.tier_of(scoring.score_of_values(scorecard, values), scorecard["tiers"])].append(b)  # type: ignore[arg-type]
    assert all(len(v) >= 50 for v in by_tier.values()), {t: len(v) for t, v in by_tier.items()}
    rates = [sum(v) / len(v) for v in by_tier.values()]
    assert rates == sorted(rates) and len(set(rates)) == 4, dict(zip(policy.TIERS, rates, strict=True))


def test_a_policy_holding_on_any_open_invoice_would_fail_the_month(
    portfolio: list[SimulatedClient], scorecard: dict[str, object]
) -> None:
    held, prompt = prompt_payers_held(portfolio, scorecard, hold_on_any_open_invoice)
    assert held > prompt // 2  # every client billed monthly has an invoice open most of the month
