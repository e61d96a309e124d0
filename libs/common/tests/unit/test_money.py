from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from arflow.money import CurrencyMismatch, Money, to_minor_units


def test_amounts_travel_as_decimal_strings() -> None:
    money = Money.of("1234.50", "cny")
    assert money.currency == "CNY"
    assert money.model_dump(mode="json") == {"amount": "1234.50", "currency": "CNY"}


def test_floats_are_refused() -> None:
    with pytest.raises(ValidationError, match="not floating-point"):
        Money(amount=0.1, currency="CNY")  # type: ignore[arg-type]


def test_unknown_currency_is_refused() -> None:
    with pytest.raises(ValidationError, match="ISO 4217"):
        Money.of("1", "RMB")


@pytest.mark.parametrize("value", [{}, [], ["CNY"], 156, None, {"code": "CNY"}])
def test_a_currency_that_is_not_a_string_is_a_validation_error_not_a_crash(value: object) -> None:
    with pytest.raises(ValidationError, match="three-letter ISO 4217 code"):
        Money(amount=Decimal(1), currency=value)  # type: ignore[arg-type]


def test_mixing_currencies_is_an_error() -> None:
    with pytest.raises(CurrencyMismatch):
        Money.of("1", "CNY") + Money.of("1", "USD")


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("2.345", "CNY", "2.35"),
        ("2.344", "CNY", "2.34"),
        ("-2.345", "CNY", "-2.35"),
        ("1234.5", "JPY", "1235"),
        ("1.2345", "KWD", "1.235"),
    ],
)
def test_rounding_is_half_up_to_the_minor_unit(amount: str, currency: str, expected: str) -> None:
    assert Money.of(amount, currency).quantize().amount == Decimal(expected)
    assert to_minor_units(Decimal(amount), currency) == Decimal(expected)


@given(st.lists(st.decimals(min_value=-(10**9), max_value=10**9, places=2, allow_nan=False), max_size=30))
def test_sums_are_exact(values: list[Decimal]) -> None:
    total = Money.zero("CNY")
    for value in values:
        total = total + Money.of(value, "CNY")
    assert total.amount == sum(values, Decimal(0))
