"""Hand-worked fixtures for the measures beyond DBT: DSO/ADD, trend, dunning, disputes, promises, credits."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal
from typing import TypedDict, Unpack

from credit_scoring.domain import (
    Application,
    CustomerHistory,
    DisputeFact,
    DunningFact,
    PaymentExperience,
    PromiseFact,
    build_credit_file,
)

AS_OF = date(2026, 6, 30)


class LaterFacts(TypedDict, total=False):
    """The facts of an invoice that arrive after it is issued (the optional fields of a PaymentExperience)."""

    voided_on: date | None
    written_off_on: date | None
    max_days_overdue: int | None
    overdue_noted_on: date | None
    applications: tuple[Application, ...]
    credits: tuple[Application, ...]


def invoice(
    total: str, *, invoice_date: date, due_date: date, paid_on: date | None = None, **facts: Unpack[LaterFacts]
) -> PaymentExperience:
    return PaymentExperience(
        invoice_id=uuid.uuid4(),
        invoice_number=None,
        currency="CNY",
        total=Decimal(total),
        invoice_date=invoice_date,
        due_date=due_date,
        issued_on=invoice_date,
        paid_on=paid_on,
        **facts,
    )


# Sales in (2026-04-01, 2026-06-30]: 3000 + 3000 + 3000 = 9000.
# Outstanding 3000 (June, not yet due) + 3000 (May, due 06-14, overdue) = 6000; current 3000.
# DSO = 6000 / 9000 × 90 = 60.00; BPDSO = 3000 / 9000 × 90 = 30.00; ADD = 30.00.
DSO_FIXTURE = [
    invoice("3000", invoice_date=date(2026, 4, 15), due_date=date(2026, 5, 15), paid_on=date(2026, 5, 20)),
    invoice("3000", invoice_date=date(2026, 5, 15), due_date=date(2026, 6, 14)),
    invoice("3000", invoice_date=date(2026, 6, 15), due_date=date(2026, 7, 15)),
    # Dated before the window: not in credit sales, and paid, so not outstanding either.
    invoice("5000", invoice_date=date(2026, 3, 1), due_date=date(2026, 3, 31), paid_on=date(2026, 3, 31)),
]


def test_hand_worked_dso_best_possible_dso_and_average_days_delinquent() -> None:
    (cny,) = build_credit_file(DSO_FIXTURE, as_of=AS_OF, first_seen_on=None).by_currency
    assert cny.credit_sales_90d == Decimal("9000")
    assert (cny.outstanding, cny.overdue) == (Decimal("6000"), Decimal("3000"))
    assert cny.dso == Decimal("60.00")
    assert cny.best_possible_dso == Decimal("30.00")
    assert cny.average_days_delinquent == Decimal("30.00")


def test_dso_is_unknown_without_sales_in_the_window() -> None:
    (cny,) = build_credit_file(DSO_FIXTURE[3:], as_of=AS_OF, first_seen_on=None).by_currency
    assert cny.dso is cny.best_possible_dso is cny.average_days_delinquent is None


def test_open_late_invoices_are_counted() -> None:
    assert build_credit_file(DSO_FIXTURE, as_of=AS_OF, first_seen_on=None).invoices_open_late == 1


def test_hand_worked_dbt_trend() -> None:
    # Paid in (04-01, 06-30]: DBT 10 and 20 → 15.00. Paid in (01-01, 04-01]: DBT 0 and 4 → 2.00. Trend +13.00.
    def paid(due: date, dbt: int) -> PaymentExperience:
        return invoice("100", invoice_date=due - timedelta(days=30), due_date=due, paid_on=due + timedelta(days=dbt))

    file = build_credit_file(
        [paid(date(2026, 5, 1), 10), paid(date(2026, 6, 1), 20), paid(date(2026, 2, 1), 0), paid(date(2026, 3, 1), 4)],
        as_of=AS_OF,
        first_seen_on=None,
    )
    assert file.average_dbt_90d == Decimal("15.00")
    assert file.dbt_trend == Decimal("13.00")


def test_trend_is_unknown_with_one_window_empty() -> None:
    one = invoice("100", invoice_date=date(2026, 4, 1), due_date=date(2026, 5, 1), paid_on=date(2026, 5, 3))
    file = build_credit_file([one], as_of=AS_OF, first_seen_on=None)
    assert (file.average_dbt_90d, file.dbt_trend) == (Decimal("2.00"), None)


CASE = uuid.uuid4()
HISTORY = CustomerHistory(
    dunning=(
        DunningFact(case_id=CASE, level=2, channel="email", on=date(2026, 5, 1)),
        DunningFact(case_id=CASE, level=3, channel="letter", on=date(2026, 5, 20)),
        DunningFact(case_id=CASE, level=6, channel="legal_handover", on=date(2026, 7, 10), legal_handover=True),
    ),
    disputes=(
        DisputeFact(dispute_id=uuid.uuid4(), invoice_id=None, opened_on=date(2026, 4, 1), resolved_on=date(2026, 4, 9)),
        DisputeFact(dispute_id=uuid.uuid4(), invoice_id=None, opened_on=date(2026, 6, 1)),
        DisputeFact(dispute_id=uuid.uuid4(), invoice_id=None, opened_on=None, resolved_on=date(2026, 6, 2)),
    ),
    promises=(
        PromiseFact(promise_id=uuid.uuid4(), kept=True, on=date(2026, 5, 5)),
        PromiseFact(promise_id=uuid.uuid4(), kept=False, on=date(2026, 6, 5)),
        PromiseFact(promise_id=uuid.uuid4(), kept=False, on=date(2026, 7, 5)),
    ),
)


def test_dunning_disputes_and_promises_as_of_a_date() -> None:
    file = build_credit_file([], as_of=AS_OF, first_seen_on=None, history=HISTORY)
    assert (file.max_dunning_level, file.dunning_escalations, file.legal_handovers) == (3, 2, 0)
    # The one resolved without its opening fact is not counted until it opens.
    assert (file.disputes_opened, file.disputes_open) == (2, 1)
    assert (file.promises_kept, file.promises_broken) == (1, 1)


def test_later_history_shows_in_a_later_file_only() -> None:
    file = build_credit_file([], as_of=date(2026, 7, 31), first_seen_on=None, history=HISTORY)
    assert (file.max_dunning_level, file.legal_handovers, file.promises_broken) == (6, 1, 2)
    earlier = build_credit_file([], as_of=date(2026, 4, 30), first_seen_on=None, history=HISTORY)
    assert (earlier.max_dunning_level, earlier.disputes_opened, earlier.disputes_open) == (0, 1, 0)


def test_a_credit_note_lowers_the_outstanding_amount_from_its_date() -> None:
    credited = invoice(
        "1000",
        invoice_date=date(2026, 5, 1),
        due_date=date(2026, 5, 31),
        credits=(Application(applied_on=date(2026, 6, 10), amount=Decimal("250")),),
        applications=(Application(applied_on=date(2026, 6, 20), amount=Decimal("300")),),
    )
    (now,) = build_credit_file([credited], as_of=AS_OF, first_seen_on=None).experiences
    assert (now.amount_credited, now.amount_paid, now.amount_outstanding) == (
        Decimal("250"),
        Decimal("300"),
        Decimal("450"),
    )
    (before,) = build_credit_file([credited], as_of=date(2026, 6, 9), first_seen_on=None).experiences
    assert before.amount_outstanding == Decimal("1000")


def test_an_invoice_under_open_dispute_is_flagged_until_resolution() -> None:
    disputed = invoice("100", invoice_date=date(2026, 5, 1), due_date=date(2026, 5, 31))
    history = CustomerHistory(
        disputes=(
            DisputeFact(
                dispute_id=uuid.uuid4(),
                invoice_id=disputed.invoice_id,
                opened_on=date(2026, 6, 1),
                resolved_on=date(2026, 6, 20),
            ),
        )
    )
    (during,) = build_credit_file([disputed], as_of=date(2026, 6, 10), first_seen_on=None, history=history).experiences
    (after,) = build_credit_file([disputed], as_of=AS_OF, first_seen_on=None, history=history).experiences
    assert (during.disputed, after.disputed) == (True, False)
