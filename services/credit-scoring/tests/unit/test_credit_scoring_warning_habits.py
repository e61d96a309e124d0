"""Early warnings measured against the client's own habit (issue 21): what is news for this client, not for any.

In the credit bench (2,000 clients, two seeds) the alerts a client who never goes 30+ days late received were:
a tier drop into C raised at once when one paid-late invoice moved the settled tier only into B (a fair
payer, 137 alerts, 0 right); the open-item drop into D of a slow payer whose invoice is as late as it always
is; utilisation above 80% of a limit cut by that same open invoice; utilisation with nothing past due.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from credit_scoring import policy
from credit_scoring.policy import Observation, WatchState, watch

START = date(2026, 3, 1)
CUTS = {"A": 542, "B": 528, "C": 488}  # the shipped scorecard's


def tier(score: int) -> str:
    return next((t for t, cut in CUTS.items() if score >= cut), "D")


def seen(day: int, score: int, *, settled: int, late: int, worst: int, used: str = "0.30") -> Observation:
    return Observation(
        day=START + timedelta(days=day),
        score=score,
        tier=tier(score),
        settled_score=settled,
        settled_tier=tier(settled),
        utilisation=Decimal(used),
        past_due_days=late,
        worst_paid_days=worst,
    )


def run(*observations: Observation, kind: str | None = None) -> tuple[list[tuple[int, str]], WatchState]:
    """Feed the days in order: the (day, kind) of each warning raised (of `kind` only, when given), the state."""
    state = WatchState()
    raised: list[tuple[int, str]] = []
    for o in observations:
        warnings, state = watch(state, o, customer_key="c")
        raised.extend(((o.day - START).days, w.kind) for w in warnings if kind in (None, w.kind))
    return raised, state


def test_a_late_payment_that_moves_the_record_only_into_b_is_no_tier_drop_into_c_at_once() -> None:
    # A fair payer in A (562); its last invoice, paid 15 days late, moves max_dbt_12m a bin down: settled 541
    # (B). The next invoice, 3 days past due, costs 35 points: 506, tier C. Behaviour says B; the open item says C.
    first = [seen(d, 562, settled=562, late=0, worst=13) for d in range(0, 10)]
    late = [seen(d, 506, settled=541, late=d - 7, worst=15) for d in range(10, 16)]
    paid = [seen(d, 541, settled=541, late=0, worst=15) for d in range(16, 30)]
    raised, state = run(*first, *late, *paid, kind="tier_drop")
    assert raised == []
    assert state.tier == "B" and state.pending_tier is None  # the record's B stands, silently


def test_the_settled_tier_falling_into_c_is_still_a_tier_drop_at_once() -> None:
    raised, state = run(
        seen(0, 562, settled=562, late=0, worst=5), seen(1, 520, settled=520, late=0, worst=40), kind="tier_drop"
    )
    assert raised == [(1, "tier_drop")]
    assert state.tier == "C"


def test_an_open_item_drop_waits_until_the_invoice_is_later_than_the_client_ever_pays() -> None:
    # A slow payer confirmed in C (499): 18 days late as a habit, 30 at worst in 12 months. An invoice past due
    # puts it in D (464) for as long as it is open: 21 days of D are its usual month, not news.
    start = [seen(d, 499, settled=499, late=0, worst=30) for d in range(0, 5)]
    habit = [seen(d, 464, settled=499, late=d - 4, worst=30) for d in range(5, 35)]  # up to 30 days past due
    raised, state = run(*start, *habit, kind="tier_drop")
    assert raised == []
    assert state.tier == "C" and state.pending_tier == "D"
    beyond = [seen(d, 464, settled=499, late=d - 4, worst=30) for d in range(35, 40)]  # 31 days and on
    raised, state = run(*start, *habit, *beyond, kind="tier_drop")
    assert raised == [(35, "tier_drop")]
    assert state.tier == "D"


def test_utilisation_with_nothing_past_due_warns_nobody() -> None:
    # A large client paying on time: a big invoice open, not yet due, above 95% of its limit for 40 days.
    raised, _ = run(*(seen(d, 600, settled=600, late=0, worst=0, used="0.97") for d in range(40)))
    assert raised == []


def test_utilisation_80_waits_until_the_invoice_is_later_than_the_client_ever_pays() -> None:
    # A fair payer (15 days late at worst in 12 months), above 80% since its newer invoice came while the older
    # was past due; still 80-95%, as on any month it pays two weeks late: nothing until past its worst.
    hold = policy.UTILISATION_HOLD_DAYS
    usual = [seen(d, 560, settled=560, late=d + 1, worst=15, used="0.85") for d in range(hold + 1)]
    raised, _ = run(*usual)
    assert raised == []  # held 14 days, but 15 days past due is this client's habit
    raised, state = run(*usual, seen(hold + 1, 560, settled=560, late=16, worst=15, used="0.85"))
    assert raised == [(hold + 1, "utilisation_80")]
    assert state.disarmed == ["utilisation_80"]
    # For a client that has always paid on time the same utilisation warns after the hold days, as before.
    punctual = [seen(d, 560, settled=560, late=d + 1, worst=0, used="0.85") for d in range(hold + 1)]
    assert run(*punctual)[0] == [(hold, "utilisation_80")]


def test_utilisation_95_needs_something_past_due_but_not_beyond_the_habit() -> None:
    hold = policy.UTILISATION_HOLD_DAYS
    raised, _ = run(*(seen(d, 560, settled=560, late=d + 1, worst=30, used="0.97") for d in range(hold + 1)))
    assert raised == [(hold, "utilisation_95")]
