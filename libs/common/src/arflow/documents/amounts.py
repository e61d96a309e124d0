"""Amounts as a finance manager writes them: separators, the currency's decimals, 人民币大写."""

from __future__ import annotations

from decimal import Decimal

import cn2an

from arflow.money import to_minor_units


def plain_number(value: Decimal) -> str:
    """A quantity or rate as people write it: 2, 1.5, 6 (never 2E+1, which Decimal.normalize() gives)."""
    return format(value.normalize(), "f")


def amount(value: Decimal, currency: str) -> str:
    """An amount with thousands separators and exactly the currency's decimals: 1,200.00."""
    return format(to_minor_units(value, currency), ",f")


def rmb_in_words(value: Decimal) -> str:
    """A CNY amount in 人民币大写 by the 《支付结算办法》 rules: 1,000.00 -> 壹仟元整, 10.05 -> 壹拾元零伍分.

    The amount is first rounded to the fen exactly as it is printed (to_minor_units), so the words
    and the figures never disagree. cn2an's "rmb" mode writes 整 after 元 and leaves it out after 角
    or 分, writes one 零 for a run of zeros inside the number and before a 分 with no 角, and puts 负
    before a negative amount (a credit balance).
    """
    figures = format(to_minor_units(value, "CNY"), "f")
    words: str = cn2an.an2cn(figures, "rmb")
    return words


def amount_in_words(value: Decimal, currency: str) -> str | None:
    """人民币大写 for a CNY amount; None for other currencies (大写 is a renminbi convention)."""
    return rmb_in_words(value) if currency == "CNY" else None
