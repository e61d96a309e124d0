"""Field rules the request bodies of several nouns share."""

from __future__ import annotations

from decimal import Decimal
from typing import overload

from pydantic import BaseModel, ConfigDict

MAX_AMOUNT = Decimal("1e15")


@overload
def check_amount(value: Decimal, *, positive: bool) -> Decimal: ...


@overload
def check_amount(value: None, *, positive: bool) -> None: ...


def check_amount(value: Decimal | None, *, positive: bool) -> Decimal | None:
    """Amounts fit the database's NUMERIC(19,4): below 10^15, at most four decimals."""
    if value is None:
        return None
    if positive and value <= 0:
        raise ValueError("must be positive")
    if value < 0:
        raise ValueError("must not be negative")
    if value >= MAX_AMOUNT:
        raise ValueError("is too large")
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int), "DecimalString refuses NaN and the infinities"
    if exponent < -4:
        raise ValueError("has more than four decimals")
    return value


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")
