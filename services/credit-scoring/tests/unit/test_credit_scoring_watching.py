"""The warnings see one observation a day, however often or rarely the customer is rescored."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from credit_scoring.policy import Observation
from credit_scoring.watching import observe_through

START = date(2026, 1, 1)


def customer(day: date) -> Observation:
    """A client in tier A until 2026-01-10, then in C (open items only): a drop pending 21 days."""
    late = day >= date(2026, 1, 10)
    return Observation(
        day=day,
        score=500 if late else 560,
        tier="C" if late else "A",
        settled_score=560,
        settled_tier="A",
        utilisation=Decimal("0.50"),
        past_due_days=(day - date(2026, 1, 10)).days + 1 if late else 0,  # a punctual payer's first late invoice
    )


def rescored_on(days: list[date]) -> tuple[list[tuple[date, str]], dict[str, Any]]:
    stored: dict[str, Any] | None = None
    raised: list[tuple[date, str]] = []
    for day in days:
        found, stored, _ = observe_through(stored, day, customer, customer_key="c")
        raised.extend((d, w.kind) for d, w in found)
    assert stored is not None
    return raised, stored


def test_rescored_daily_or_twice_the_warnings_are_the_same_and_dated_alike() -> None:
    daily, daily_state = rescored_on([START + timedelta(days=n) for n in range(60)])
    sparse, sparse_state = rescored_on([START, START + timedelta(days=59)])
    # Pending from 01-10 (open items only), both held 21 days.
    assert daily == sparse == [(date(2026, 1, 31), "tier_drop"), (date(2026, 1, 31), "score_drop")]
    assert daily_state == sparse_state


def test_observing_the_same_day_again_starts_from_the_day_before() -> None:
    _, stored = rescored_on([START, date(2026, 1, 31)])
    again, stored_again, _ = observe_through(stored, date(2026, 1, 31), customer, customer_key="c")
    assert [w.kind for _, w in again] == ["tier_drop", "score_drop"]  # the same, same dedupe keys: recorded once
    assert again[0][1].dedupe_key == "tier_drop:c:2026-01-31:2"
    assert stored_again == stored
