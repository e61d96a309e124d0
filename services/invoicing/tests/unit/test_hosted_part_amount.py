"""The amount a customer types into the hosted page's pay form (hosted.checkout.part_amount)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from invoicing.hosted.checkout import AmountRefused, part_allowed, part_amount

CENT = Decimal("0.01")


@pytest.mark.parametrize(
    ("typed", "taken"),
    [
        ("150.50", "150.50"),
        ("100", "100.00"),
        (" 1,000 ", "1000.00"),
        ("￥1,000.5", "1000.50"),
        ("¥1200", "1200.00"),
        ("１５０．５０", "150.50"),  # full-width digits and point (a Chinese keyboard)
        ("500元", "500.00"),
        ("20", "20.00"),  # below the minimum, but the whole balance of a small invoice
    ],
)
def test_amounts_as_people_write_them_are_taken(typed: str, taken: str) -> None:
    balance = Decimal("20") if typed == "20" else Decimal("1200.00")
    assert part_amount(typed, minimum=Decimal("100.00"), balance=balance, quantum=CENT) == Decimal(taken)


@pytest.mark.parametrize(
    ("typed", "why"),
    [
        ("99.99", "amount_below"),
        ("1200.01", "amount_above"),
        ("150.505", "amount_cents"),
        ("0", "amount_invalid"),
        ("0.00", "amount_invalid"),
        ("-150", "amount_invalid"),
        ("1e3", "amount_invalid"),
        ("NaN", "amount_invalid"),
        ("Infinity", "amount_invalid"),
        ("", "amount_invalid"),
        ("一百", "amount_invalid"),
        ("1.2.3", "amount_invalid"),
    ],
)
def test_what_cannot_be_ordered_is_refused_with_its_reason(typed: str, why: str) -> None:
    with pytest.raises(AmountRefused) as refused:
        part_amount(typed, minimum=Decimal("100.00"), balance=Decimal("1200.00"), quantum=CENT)
    assert refused.value.key == why


def test_a_part_is_offered_only_above_the_minimum() -> None:
    assert part_allowed(Decimal("100.00"), Decimal("100.01"))
    assert not part_allowed(Decimal("100.00"), Decimal("100.00"))
    assert not part_allowed(None, Decimal("5000.00"))
