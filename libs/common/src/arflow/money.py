"""Money: an exact Decimal amount in an ISO 4217 currency.

Amounts are never floats. On the wire an amount is a decimal string. Rounding to
a currency's minor unit is explicit and half-up (ROUND_HALF_UP), the rule used on
Chinese VAT invoices (四舍五入) and by most invoicing systems; callers that need
another rule say so by calling `quantize(rounding=...)`.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, PlainSerializer

from arflow.i18n import Invalid

# Active ISO 4217 codes. Every code not listed in MINOR_UNITS has two decimals.
_ISO_4217_CODES = """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL
    BSD BTN BWP BYN BZD CAD CDF CHF CLF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD
    EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS
    INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD
    LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK
    NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK
    SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH
    UGX USD UYU UZS VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG
"""
CURRENCIES = frozenset(_ISO_4217_CODES.split())
MINOR_UNITS = {
    "BHD": 3,
    "BIF": 0,
    "CLF": 4,
    "CLP": 0,
    "DJF": 0,
    "GNF": 0,
    "IQD": 3,
    "ISK": 0,
    "JOD": 3,
    "JPY": 0,
    "KMF": 0,
    "KRW": 0,
    "KWD": 3,
    "LYD": 3,
    "OMR": 3,
    "PYG": 0,
    "RWF": 0,
    "TND": 3,
    "UGX": 0,
    "VND": 0,
    "VUV": 0,
    "XAF": 0,
    "XOF": 0,
    "XPF": 0,
}


class CurrencyMismatch(ValueError):
    """Two amounts in different currencies were combined."""


def validate_currency(code: object) -> str:
    """Return the ISO 4217 code upper-cased, or raise ValueError (also for an object, a list or a number)."""
    if not isinstance(code, str):
        # A ValueError, not the TypeError `in` would raise for an unhashable value: validation turns it into a 422.
        raise Invalid(
            'a currency is a three-letter ISO 4217 code in a string, e.g. "CNY"',
            '币种须为字符串形式的三位 ISO 4217 代码，例如 "CNY"',
        )
    normalised = code.strip().upper()
    if normalised not in CURRENCIES:
        raise Invalid(f"{code!r} is not an ISO 4217 currency code", f"{code!r} 不是 ISO 4217 币种代码")
    return normalised


def minor_unit_exponent(currency: str) -> Decimal:
    """The quantum of a currency's minor unit, e.g. Decimal('0.01') for CNY."""
    return Decimal(1).scaleb(-MINOR_UNITS.get(currency, 2))


def parse_decimal(value: Any) -> Decimal:
    """Accept a Decimal, int or decimal string; refuse floats, NaN and infinities."""
    if isinstance(value, bool | float):
        raise Invalid(
            "amounts must be decimal strings, not floating-point numbers",
            "金额须为十进制数字字符串，不能是浮点数",
        )
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int | str):
        try:
            result = Decimal(str(value).strip())
        except InvalidOperation:
            raise Invalid(f"{value!r} is not a decimal number", f"{value!r} 不是十进制数字") from None
    else:
        raise Invalid("amounts must be decimal strings", "金额须为十进制数字字符串")
    if not result.is_finite():
        raise Invalid("amounts must be finite", "金额须为有限数字")
    return result


def to_minor_units(amount: Decimal, currency: str) -> Decimal:
    """`amount` rounded half-up to the currency's minor unit (for display and the wire)."""
    return amount.quantize(minor_unit_exponent(currency), rounding=ROUND_HALF_UP)


Currency = Annotated[str, BeforeValidator(validate_currency)]
DecimalString = Annotated[
    Decimal,
    BeforeValidator(parse_decimal),
    PlainSerializer(lambda d: format(d, "f"), return_type=str, when_used="json"),
]


class Money(BaseModel):
    """An amount in a currency; arithmetic refuses to mix currencies."""

    model_config = ConfigDict(frozen=True)

    amount: DecimalString
    currency: Currency

    @classmethod
    def of(cls, amount: Decimal | int | str, currency: str) -> Money:
        return cls(amount=parse_decimal(amount), currency=currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(amount=Decimal(0), currency=currency)

    def quantize(self, rounding: str = ROUND_HALF_UP) -> Money:
        """Round to the currency's minor unit (half-up unless told otherwise)."""
        quantum = minor_unit_exponent(self.currency)
        return Money(amount=self.amount.quantize(quantum, rounding=rounding), currency=self.currency)

    def is_exact_minor_units(self) -> bool:
        """True when the amount has no digits finer than the currency's minor unit."""
        return self.amount == self.amount.quantize(minor_unit_exponent(self.currency))

    def _same(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise CurrencyMismatch(f"{self.currency} and {other.currency} cannot be combined")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(amount=self.amount + other.amount, currency=self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(amount=self.amount - other.amount, currency=self.currency)

    def __neg__(self) -> Money:
        return Money(amount=-self.amount, currency=self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.amount <= other.amount

    def __gt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount > other.amount

    def __ge__(self, other: Money) -> bool:
        self._same(other)
        return self.amount >= other.amount

    def is_zero(self) -> bool:
        return self.amount == 0

    def is_positive(self) -> bool:
        return self.amount > 0

    def __str__(self) -> str:
        return f"{format(self.amount, 'f')} {self.currency}"
