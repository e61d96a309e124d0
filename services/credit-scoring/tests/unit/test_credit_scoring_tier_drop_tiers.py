"""A tier drop warns only into C or D (policy.TIER_DROP_WARNS): a drop into B is confirmed silently."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from credit_scoring.policy import Observation, WatchState, watch

START = date(2026, 3, 1)


def seen(day: int, tier: str) -> Observation:
    # Payment behaviour itself (the settled tier) falls with the tier: the drop is confirmed at once.
    return Observation(
        day=START + timedelta(days=day),
        score=0,
        tier=tier,
        settled_score=0,
        settled_tier=tier,
        utilisation=Decimal("0.30"),
    )


def tier_drops(*tiers: str) -> tuple[list[str], WatchState]:
    state = WatchState()
    raised: list[str] = []
    for day, tier in enumerate(tiers):
        warnings, state = watch(state, seen(2 * day, tier), customer_key="c")
        raised.extend(f"{w.details['from']}>{w.details['to']}" for w in warnings if w.kind == "tier_drop")
    return raised, state


def test_a_drop_from_a_into_b_raises_nothing_and_b_becomes_the_confirmed_tier() -> None:
    raised, state = tier_drops("A", "B")
    assert raised == []
    assert state.tier == "B" and state.pending_tier is None


def test_a_drop_from_b_into_c_warns_from_b() -> None:
    raised, _ = tier_drops("A", "B", "C")
    assert raised == ["B>C"]


def test_a_drop_from_a_into_c_or_d_warns() -> None:
    assert tier_drops("A", "C")[0] == ["A>C"]
    assert tier_drops("A", "D")[0] == ["A>D"]
