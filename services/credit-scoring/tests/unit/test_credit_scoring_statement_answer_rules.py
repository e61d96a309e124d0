"""The credit file's record of statement answers as of a date (pure)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID

from credit_scoring.statements import StatementAnswerFact, statement_record


def answer(n: int, kind: str, period_end: date, on: date, closing: str = "1000.00") -> StatementAnswerFact:
    return StatementAnswerFact(
        statement_id=UUID(int=n),
        statement_number=f"ST-{n:04d}",
        period_start=period_end.replace(day=1),
        period_end=period_end,
        answer="confirmed" if kind == "confirmed" else "disputed",
        answered_on=on,
        responder_name="李娜",
        responder_title=None,
        currency="CNY",
        closing_balance=Decimal(closing),
    )


JAN, FEB, MAR = date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31)


def test_answers_after_the_date_are_not_known_yet_and_the_newest_comes_first() -> None:
    facts = [answer(1, "confirmed", JAN, date(2026, 2, 3)), answer(2, "disputed", FEB, date(2026, 3, 5))]
    record = statement_record(facts, as_of=date(2026, 3, 4))
    assert (record.confirmed, record.disputed, [a.fact.statement_number for a in record.answers]) == (
        1,
        0,
        ["ST-0001"],
    )
    later = statement_record(facts, as_of=date(2026, 3, 5))
    assert [a.fact.statement_number for a in later.answers] == ["ST-0002", "ST-0001"]
    assert later.disputed_open == 1 and later.answers[0].open and later.answers[1].open is None


def test_a_dispute_stands_until_a_later_period_is_confirmed_on_its_day_or_after() -> None:
    dispute = answer(2, "disputed", FEB, date(2026, 3, 5))
    settled = statement_record([dispute, answer(3, "confirmed", MAR, date(2026, 4, 3))], as_of=date(2026, 4, 30))
    assert settled.disputed_open == 0 and settled.answers[1].open is False
    # An earlier period confirmed, or a later one confirmed before the dispute was raised, settles nothing.
    earlier_period = statement_record([dispute, answer(1, "confirmed", JAN, date(2026, 3, 6))], as_of=MAR)
    assert earlier_period.disputed_open == 1
    before_it = statement_record([dispute, answer(3, "confirmed", MAR, date(2026, 3, 4))], as_of=date(2026, 4, 30))
    assert before_it.disputed_open == 1


def test_the_last_confirmed_balance_is_that_of_the_latest_period_agreed() -> None:
    record = statement_record(
        [answer(2, "confirmed", FEB, date(2026, 3, 9), "500.00"), answer(1, "confirmed", JAN, date(2026, 3, 10))],
        as_of=MAR,
    )
    assert record.last_confirmed is not None and record.last_confirmed.closing_balance == Decimal("500.00")
    assert statement_record([], as_of=MAR).last_confirmed is None
