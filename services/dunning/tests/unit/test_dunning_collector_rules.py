"""The rules that give a case its collector and rank a collector's worklist (no infrastructure)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from uuid import UUID, uuid4

from dunning.collectors.rules import (
    CaseProfile,
    CollectorRules,
    WorkFacts,
    assign_all,
    choose_collector,
    matches,
    rank_worklist,
    weighted_days,
)

TODAY = date(2026, 3, 9)


def case(tier: str | None = "C", amount: str = "5000") -> CaseProfile:
    return CaseProfile(uuid4(), tier, Decimal(amount))


def test_an_unscored_customer_is_matched_as_tier_b() -> None:
    assert matches(CollectorRules("a", tiers=frozenset({"B"})), case(tier=None))
    assert not matches(CollectorRules("a", tiers=frozenset({"C"})), case(tier=None))


def test_the_amount_band_includes_both_bounds() -> None:
    rules = CollectorRules("a", min_amount=Decimal(1000), max_amount=Decimal(5000))
    assert matches(rules, case(amount="1000")) and matches(rules, case(amount="5000"))
    assert not matches(rules, case(amount="999.99")) and not matches(rules, case(amount="5000.01"))


def test_an_inactive_collector_matches_nothing() -> None:
    assert not matches(CollectorRules("a", active=False), case())


def test_the_least_loaded_wins_and_a_tie_goes_by_username() -> None:
    everyone = [CollectorRules("zoe"), CollectorRules("amy"), CollectorRules("bob")]
    assert choose_collector(everyone, {"zoe": 1, "amy": 3, "bob": 1}, case()) == "bob"
    assert choose_collector(everyone, {}, case()) == "amy"


def test_a_collector_at_their_cap_takes_no_more() -> None:
    everyone = [CollectorRules("amy", max_open_cases=2), CollectorRules("bob")]
    assert choose_collector(everyone, {"amy": 2, "bob": 9}, case()) == "bob"
    assert choose_collector([CollectorRules("amy", max_open_cases=0)], {}, case()) is None


def test_assigning_many_counts_each_choice_in_the_load() -> None:
    everyone = [CollectorRules("amy"), CollectorRules("bob", max_open_cases=1)]
    cases = [case() for _ in range(4)]
    chosen = assign_all(everyone, {}, cases)
    assert [chosen[c.case_id] for c in cases] == ["amy", "bob", "amy", "amy"]


def test_an_excluded_collector_is_never_chosen() -> None:
    assert choose_collector([CollectorRules("amy")], {}, case(), excluded=["amy"]) is None


def facts(**overrides: object) -> WorkFacts:
    values: dict[str, object] = {"case_id": uuid4(), "currency": "CNY", "amount": Decimal(1000), "days_overdue": 10}
    values.update(overrides)
    return WorkFacts(**values)  # type: ignore[arg-type]


def order(*cases: WorkFacts) -> list[UUID]:
    return [item.case_id for item in rank_worklist((c, TODAY) for c in cases)]


def test_a_broken_promise_outranks_a_step_due_in_a_week_and_a_larger_balance() -> None:
    broken = facts(open_promises=[(TODAY - timedelta(days=4), Decimal(500))])
    step = facts(amount=Decimal(900_000), next_step=("follow_up", "email", TODAY + timedelta(days=6)))
    assert order(step, broken) == [broken.case_id, step.case_id]


def test_equal_urgency_ranks_by_balance_times_days_overdue() -> None:
    small = facts(amount=Decimal(1000), days_overdue=90)  # 90,000
    large = facts(amount=Decimal(5000), days_overdue=10)  # 50,000
    assert order(large, small) == [small.case_id, large.case_id]


def test_a_paused_case_shows_no_coming_step_but_its_balance() -> None:
    paused = facts(next_step=("follow_up", "email", TODAY), paused="manual_hold")
    [item] = rank_worklist([(paused, TODAY)])
    assert [r.code for r in item.reasons] == ["open_balance"]


def test_a_case_paused_by_a_promise_shows_the_promise_not_the_step() -> None:
    promised = facts(
        next_step=("follow_up", "email", TODAY), paused="promise_to_pay", open_promises=[(TODAY, Decimal(10))]
    )
    [item] = rank_worklist([(promised, TODAY)])
    assert [r.code for r in item.reasons] == ["promise_due_today", "open_balance"]


def test_a_step_reason_names_its_step_and_channel_as_fields() -> None:
    due = facts(next_step=("formal_letter", "letter", TODAY))
    soon = facts(next_step=("sms_reminder", "sms", TODAY + timedelta(days=3)))
    [first, second] = rank_worklist([(due, TODAY), (soon, TODAY)])
    step_due, step_soon = first.reasons[0], second.reasons[0]
    assert (step_due.code, step_due.step, step_due.channel) == ("step_due", "formal_letter", "letter")
    assert (step_soon.code, step_soon.step, step_soon.channel) == ("step_soon", "sms_reminder", "sms")
    assert "formal_letter (letter)" in step_due.en  # the sentence is kept for older readers
    assert all(r.step is None and r.channel is None for r in first.reasons[1:])


def test_every_reason_is_said_in_both_languages() -> None:
    busy = facts(
        open_promises=[(TODAY, Decimal(10))],
        broken_promises=[(TODAY - timedelta(days=1), Decimal(20))],
        open_tasks=[("phone_call", TODAY), ("visit", TODAY + timedelta(days=3))],
        open_disputes=[("reconciliation", "INV-1"), ("dunning", "INV-2")],
        next_step=("formal_letter", "letter", TODAY),
    )
    [item] = rank_worklist([(busy, TODAY)])
    assert item.urgency == 60 and len(item.reasons) == 8
    assert all(r.en and r.zh and r.en != r.zh for r in item.reasons)


def test_a_broken_promise_leaves_the_worklist_after_two_weeks() -> None:
    old = facts(broken_promises=[(TODAY - timedelta(days=15), Decimal(20))])
    [item] = rank_worklist([(old, TODAY)])
    assert item.urgency == 0


def test_the_books_days_are_weighted_by_amount_half_up() -> None:
    assert weighted_days([(Decimal(94000), 60), (Decimal(97000), 45)]) == Decimal("52.4")
    assert weighted_days([(Decimal(1), 1), (Decimal(1), 2)]) == Decimal("1.5")
    assert weighted_days([]) is None
