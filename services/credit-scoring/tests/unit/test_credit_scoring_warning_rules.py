"""Early warnings: hysteresis of tier drops and score falls, cooling-off, re-arming of utilisation."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from credit_scoring import policy
from credit_scoring.policy import Observation, WatchState, watch

START = date(2026, 3, 1)
TIERS = {"A": 600, "B": 570, "C": 530}


def tier(score: int) -> str:
    return next((t for t, cut in TIERS.items() if score >= cut), "D")


def seen(
    day: int, score: int, settled: int | None = None, used: str | None = "0.30", late: int = 1, worst: int = 0
) -> Observation:
    """A client that has paid every invoice on time (`worst` 0) with one `late` days past due."""
    settled = score if settled is None else settled
    return Observation(
        day=START + timedelta(days=day),
        score=score,
        tier=tier(score),
        settled_score=settled,
        settled_tier=tier(settled),
        utilisation=None if used is None else Decimal(used),
        past_due_days=late,
        worst_paid_days=worst,
    )


def run(*observations: Observation, state: WatchState | None = None) -> tuple[list[tuple[int, str]], WatchState]:
    """Feed rescorings in order; the (day, kind) of every warning raised, and the final state."""
    state = state or WatchState()
    raised: list[tuple[int, str]] = []
    for o in observations:
        warnings, state = watch(state, o, customer_key="c")
        raised.extend(((o.day - START).days, w.kind) for w in warnings)
    return raised, state


def test_an_invoice_overdue_for_a_while_then_paid_raises_no_tier_drop() -> None:
    # A-tier client (620); one invoice goes past due: the open-item characteristics cost 46 points
    # (tier C) while its payment history (the settled score) stays A; it pays after 16 days.
    raised, state = run(
        seen(0, 620),
        *(seen(d, 574 if d < 14 else 551, settled=620) for d in range(2, 17, 2)),
        seen(18, 620),
        seen(40, 620),
    )
    assert raised == []
    assert state.tier == "A" and state.pending_tier is None


def test_a_lower_tier_that_holds_is_confirmed_after_the_confirmation_days() -> None:
    days = range(2, 2 + policy.CONFIRM_DAYS + 1)  # daily rescorings
    raised, state = run(seen(0, 620), *(seen(d, 551, settled=620) for d in days))
    assert [kind for _, kind in raised if kind == "tier_drop"] == ["tier_drop"]
    (day,) = [d for d, kind in raised if kind == "tier_drop"]
    assert day == 2 + policy.CONFIRM_DAYS  # first seen on day 2, held CONFIRM_DAYS
    assert state.tier == "C"


def test_a_drop_in_payment_behaviour_is_a_tier_drop_at_once() -> None:
    # A late payment moved the history characteristics: the settled score falls below A too.
    raised, _ = run(seen(0, 620), seen(2, 560, settled=560))
    assert (2, "tier_drop") in raised


def test_a_tier_drop_is_not_repeated_within_the_cooling_off_unless_worse() -> None:
    raised, _ = run(
        seen(0, 620),
        seen(2, 560),  # A → C by behaviour: raised
        seen(4, 620),  # back to A
        seen(6, 560),  # A → C again within the cooling-off: not raised
        seen(8, 500),  # C → D: worse, raised
        seen(8 + policy.COOLING_OFF_DAYS, 620),
        seen(10 + policy.COOLING_OFF_DAYS, 560),  # after the cooling-off: raised again
    )
    assert [(d, k) for d, k in raised if k == "tier_drop"] == [
        (2, "tier_drop"),
        (8, "tier_drop"),
        (10 + policy.COOLING_OFF_DAYS, "tier_drop"),
    ]


def test_a_twenty_point_fall_in_behaviour_warns_at_once_a_fall_from_open_items_only_when_it_holds() -> None:
    raised, _ = run(seen(0, 640), seen(2, 615, settled=615))
    assert raised == [(2, "score_drop")]
    # Open items only: 640 → 617 for four days, then paid: nothing.
    raised, _ = run(seen(0, 640), seen(2, 617, settled=640), seen(4, 617, settled=640), seen(6, 640))
    assert raised == []
    # The same fall still there after the confirmation days: raised then.
    held = [seen(d, 617, settled=640) for d in range(2, 2 + policy.CONFIRM_DAYS + 1)]
    raised, _ = run(seen(0, 640), *held)
    assert raised == [(2 + policy.CONFIRM_DAYS, "score_drop")]


def test_utilisation_warns_when_above_the_threshold_for_the_hold_days_then_rearms_below_the_lower_band() -> None:
    hold = policy.UTILISATION_HOLD_DAYS
    spike = [seen(d, 620, used="0.85") for d in range(2, hold + 1)]  # above 80% for less than the hold
    raised, _ = run(seen(0, 620), *spike, seen(hold + 2, 620, used="0.50"))
    assert raised == []
    above = [seen(d, 620, used="0.85") for d in range(2, 2 + hold + 1)]
    raised, state = run(seen(0, 620), *above)
    assert raised == [(2 + hold, "utilisation_80")]
    assert state.disarmed == ["utilisation_80"]
    # Not re-armed while it stays above the lower band (60%), even if it dips under 80%.
    later = 2 + hold + policy.COOLING_OFF_DAYS
    raised, state = run(
        *(seen(later + d, 620, used="0.70" if d < 4 else "0.85") for d in range(0, 2 * hold, 2)), state=state
    )
    assert raised == [] and state.disarmed == ["utilisation_80"]
    # Below 60%: re-armed; above 80% again for the hold days, past the cooling-off: raised again.
    again = later + 2 * hold
    raised, state = run(
        seen(again, 620, used="0.40"), *(seen(again + d, 620, used="0.90") for d in range(2, hold + 3)), state=state
    )
    assert raised == [(again + 2 + hold, "utilisation_80")]


def test_utilisation_above_95_warns_for_both_thresholds_once() -> None:
    raised, _ = run(*(seen(d, 620, used="0.97") for d in range(0, policy.UTILISATION_HOLD_DAYS + 10, 2)))
    kinds = [k for _, k in raised]
    assert kinds == ["utilisation_80", "utilisation_95"]


def test_the_state_survives_its_json_form() -> None:
    _, state = run(seen(0, 620), seen(2, 551, settled=620), seen(4, 620, used="0.99"))
    assert WatchState.from_json(state.to_json()) == state
    assert WatchState.from_json(None) == WatchState()
