"""The rules of payment plans (no infrastructure)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from dunning.arrangements.instalments import Instalment, always_guarded, plan_problems, plan_status

TODAY = date(2026, 3, 2)


def monthly(n: int, each: str = "1000") -> list[Instalment]:
    return [Instalment(TODAY + timedelta(days=30 * (k + 1)), Decimal(each)) for k in range(n)]


def test_a_plan_that_adds_up_within_the_balance_is_valid() -> None:
    assert plan_problems(monthly(3), amount_covered=Decimal(3000), owed=Decimal(3000), today=TODAY) == []


def test_each_problem_is_said_in_both_languages() -> None:
    late = [Instalment(TODAY - timedelta(days=1), Decimal(1000)), Instalment(TODAY - timedelta(days=1), Decimal(1))]
    problems = plan_problems(late, amount_covered=Decimal(5000), owed=Decimal(4000), today=TODAY)
    codes = [en.split()[1] for en, _ in problems]
    assert len(problems) == 4, codes  # not in order, before today, not adding up, over the balance
    assert all(en and zh and en != zh for en, zh in problems)
    assert plan_problems([], amount_covered=Decimal(1), owed=Decimal(1), today=TODAY)


def test_many_instalments_or_more_than_six_months_always_wait_for_approval() -> None:
    assert not always_guarded(monthly(6), TODAY)  # 180 days
    assert always_guarded(monthly(7), TODAY)
    assert always_guarded([Instalment(TODAY + timedelta(days=184), Decimal(1))], TODAY)
    assert not always_guarded([Instalment(TODAY + timedelta(days=183), Decimal(1))], TODAY)


def test_one_broken_instalment_breaks_the_plan_and_all_kept_complete_it() -> None:
    assert plan_status(["kept", "open", "open"]) == "active"
    assert plan_status(["kept", "broken", "open"]) == "broken"
    assert plan_status(["kept", "kept"]) == "completed"
