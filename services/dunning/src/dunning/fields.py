"""Field rules the request bodies of several nouns share."""

from __future__ import annotations

from decimal import Decimal
from typing import overload

from pydantic import BaseModel, ConfigDict

from arflow.i18n import Invalid

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
        raise Invalid("must be positive", "须大于 0")
    if value < 0:
        raise Invalid("must not be negative", "不能为负数")
    if value >= MAX_AMOUNT:
        raise Invalid("is too large", "数额过大")
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int), "DecimalString refuses NaN and the infinities"
    if exponent < -4:
        raise Invalid("has more than four decimals", "小数位数超过四位")
    return value


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")
