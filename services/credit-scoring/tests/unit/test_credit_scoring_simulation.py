"""The simulator's payer types behave as its docstring says (the bench and the shipped models rest on it)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from functools import cache

import pytest

from credit_scoring.models_admin.simulation import (
    PAYER_TYPES,
    PROMPT_MAX_DAYS_LATE,
    SimulatedClient,
    festival_near,
    month_start,
    simulate,
)

MONTHS = 24
END = month_start(MONTHS)
CENT = Decimal("0.01")


@cache
def portfolio() -> tuple[SimulatedClient, ...]:
    return tuple(simulate(600, MONTHS, seed=7))


def of_type(habit: str) -> list[SimulatedClient]:
    found = [c for c in portfolio() if c.habit == habit]
    assert found, f"no {habit} client in the sample"
    return found


def days_late(client: SimulatedClient) -> list[int]:
    return [(e.paid_on - e.due_date).days for e in client.experiences if e.paid_on and e.due_date]


def test_the_same_seed_gives_the_same_portfolio() -> None:
    again = simulate(50, MONTHS, seed=7)
    assert again == list(portfolio()[:50])


def test_client_i_does_not_depend_on_how_many_clients_follow() -> None:
    assert simulate(5, MONTHS, seed=7) == list(portfolio()[:5])


def test_another_seed_gives_another_portfolio() -> None:
    assert simulate(5, MONTHS, seed=8) != list(portfolio()[:5])


def test_every_payer_type_occurs() -> None:
    assert {c.habit for c in portfolio()} == set(PAYER_TYPES)


@pytest.mark.parametrize("habit", ["prompt", "new"])
def test_prompt_payers_are_never_more_than_three_days_late(habit: str) -> None:
    for client in of_type(habit):
        assert max(days_late(client)) <= PROMPT_MAX_DAYS_LATE
        assert not client.history.dunning and not client.history.promises and not client.history.disputes


def test_prompt_payers_pay_every_invoice_due_before_the_end() -> None:
    for client in of_type("prompt"):
        for e in client.experiences:
            assert e.due_date is not None
            if e.due_date + timedelta(days=PROMPT_MAX_DAYS_LATE) < END:
                assert e.paid_on is not None


def test_seasonal_payers_are_late_only_around_the_spring_festival() -> None:
    late_in_window = 0
    for client in of_type("seasonal"):
        for e in client.experiences:
            if e.paid_on is None or e.due_date is None:
                continue
            late = (e.paid_on - e.due_date).days
            if festival_near(e.due_date) is None:
                assert late <= 5
            else:
                festival = festival_near(e.due_date)
                assert festival is not None
                assert 20 <= (e.paid_on - festival).days <= 40
                late_in_window += late > 30
    assert late_in_window > 0


def test_deteriorating_clients_pay_later_each_month_from_their_turn() -> None:
    for client in of_type("deteriorating"):
        assert client.deteriorates_from is not None
        start = month_start(client.deteriorates_from)
        paid = [(e.invoice_date, (e.paid_on - e.due_date).days) for e in client.experiences if e.paid_on and e.due_date]
        before = [late for on, late in paid if on is not None and on < start]
        after = [late for on, late in paid if on is not None and on >= start]
        if before and len(after) >= 3:
            assert sum(after[-3:]) / 3 > sum(before) / len(before) + 10


def test_a_deteriorated_client_is_written_off_and_billed_no_more() -> None:
    written_off = [c for c in of_type("deteriorating") if any(e.written_off_on for e in c.experiences)]
    assert written_off
    for client in written_off:
        last = client.experiences[-1]
        assert last.written_off_on is not None and last.paid_on is None
        assert last.due_date is not None and last.written_off_on == last.due_date + timedelta(days=150)
        assert all(e.paid_on for e in client.experiences[:-1] if e.due_date and e.due_date < last.due_date)


def test_partial_payers_pay_part_near_the_due_date_and_the_rest_weeks_later() -> None:
    for client in of_type("partial"):
        for e in client.experiences:
            if e.paid_on is None:
                continue
            assert e.due_date is not None and e.total is not None
            first, rest = e.applications
            assert (first.applied_on - e.due_date).days <= 7
            assert 25 <= (rest.applied_on - e.due_date).days <= 60
            assert rest.applied_on == e.paid_on
            assert first.amount + rest.amount == e.total
            assert e.total * 4 / 10 - CENT <= first.amount <= e.total * 8 / 10 + CENT


def test_promise_breakers_break_the_letters_promise() -> None:
    for client in of_type("promise_breaker"):
        assert all(50 <= late <= 75 for late in days_late(client))
        assert any(not p.kept for p in client.history.promises)
        letters = [d for d in client.history.dunning if d.level == 3]
        assert letters


def test_disputers_pay_shortly_after_the_resolution_and_promptly_otherwise() -> None:
    for client in of_type("disputer"):
        resolved = {d.invoice_id: d.resolved_on for d in client.history.disputes}
        for e in client.experiences:
            if e.paid_on is None or e.due_date is None:
                continue
            if e.invoice_id in client.disputed:
                on = resolved[e.invoice_id]
                assert on is not None and 0 <= (e.paid_on - on).days <= 5
            else:
                assert (e.paid_on - e.due_date).days <= PROMPT_MAX_DAYS_LATE
    assert any(c.disputed for c in of_type("disputer"))


def test_dunning_waits_for_a_disputes_resolution() -> None:
    for client in of_type("disputer"):
        # A disputer's undisputed invoices are paid promptly, so every dunning step is a disputed invoice's.
        resolutions = [d.resolved_on for d in client.history.disputes if d.resolved_on is not None]
        for step in client.history.dunning:
            assert any(step.on >= on + timedelta(days=15) for on in resolutions)


def test_new_clients_have_at_most_three_invoices() -> None:
    for client in of_type("new"):
        assert 1 <= len(client.experiences) <= 3
        assert client.first_seen_on >= month_start(MONTHS - 3) - timedelta(days=5)


def test_a_large_client_is_late_on_exactly_one_invoice() -> None:
    typical = sorted(c.monthly_billing for c in of_type("prompt"))[len(of_type("prompt")) // 2]
    for client in of_type("large_one_slow"):
        assert client.monthly_billing >= typical * 5
        assert client.slow_invoice is not None
        for e in client.experiences:
            if e.paid_on is None or e.due_date is None:
                continue
            late = (e.paid_on - e.due_date).days
            if e.invoice_id == client.slow_invoice:
                assert 35 <= late <= 60
            else:
                assert late <= PROMPT_MAX_DAYS_LATE
