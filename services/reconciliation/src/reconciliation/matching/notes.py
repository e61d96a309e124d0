"""The sentences of a match (a payment's `match_reasons`, a suggestion's `reasons`) as notes a program can read:
a stable `code`, the figures as fields of their own, and the sentence in English (`text`) and Chinese (`text_zh`).

A note is read back from the English sentence the service wrote (`reasons.Reason.say`): every kind of sentence is
a template, so its values are found again by the template's pattern. This serves every payment stored so far,
those stored before Chinese sentences were (migration 0009) too, with no second copy of the evidence to keep. A
sentence no template fits (none should) is a note of code `other` with its text as it came.

Pure: no I/O.
"""

from __future__ import annotations

import re
import string
from decimal import Decimal
from typing import Any, Literal

from reconciliation.matching import reasons as why

Kind = Literal["amount", "count", "percent", "numbers", "summands", "text"]

# Each kind of sentence: its stable code and its values' names and kinds, in the template's order.
NOTES: dict[why.Reason, tuple[str, tuple[tuple[str, Kind], ...]]] = {
    why.REFERENCE_NAMED: ("reference_named", (("invoice_numbers", "numbers"),)),
    why.ORDER_MADE_FOR: ("order_made_for", (("order_id", "text"), ("invoice_number", "text"))),
    why.AMOUNT_OF_ORDER: ("amount_of_order", (("amount", "amount"), ("order_id", "text"))),
    why.REFERENCE_RESEMBLES: ("reference_resembles", (("remittance_key", "text"), ("invoice_number", "text"))),
    why.ACCOUNT_LEARNED: ("account_learned", (("payer_account", "text"),)),
    why.NAME_IS: ("name_is", (("payer_name", "text"), ("customer_name", "text"))),
    why.NAME_RESEMBLES: (
        "name_resembles",
        (("payer_name", "text"), ("customer_name", "text"), ("similarity_percent", "percent")),
    ),
    why.AMOUNT_OWED_BY_NAMED: ("amount_owed_by_named", (("amount", "amount"),)),
    why.AMOUNT_WITHIN_TOLERANCE: (
        "amount_within_tolerance",
        (("amount", "amount"), ("invoice_number", "text"), ("balance", "amount")),
    ),
    why.AMOUNT_EQUALS_BALANCE: ("amount_equals_balance", (("amount", "amount"), ("invoice_number", "text"))),
    why.AMOUNT_EQUALS_ONE_OF: (
        "amount_equals_one_of",
        (("amount", "amount"), ("invoice_number", "text"), ("items_of_that_amount", "count")),
    ),
    why.AMOUNT_ONLY: ("amount_only", (("amount", "amount"), ("invoice_number", "text"))),
    why.AMOUNT_IS_SUM: ("amount_is_sum", (("amount", "amount"), ("summands", "summands"))),
    why.OVERPAID: ("overpaid", (("unapplied", "amount"),)),
    why.PARTIAL: ("partial", (("amount", "amount"), ("owed", "amount"))),
    why.NAMES_UNKNOWN_DOCUMENT: ("names_unknown_document", (("documents", "numbers"),)),
    why.NAMES_SETTLED_DOCUMENT: ("names_settled_document", (("documents", "numbers"),)),
    why.AMOUNT_FITS_OTHER: ("amount_fits_other", (("invoice_number", "text"),)),
    why.NAMED_OWE_NOTHING: ("named_owe_nothing", ()),
    why.NO_AMOUNT_FIT: ("no_amount_fit", ()),
    why.RECOVERY: ("recovery", (("invoice_numbers", "numbers"),)),
    why.WRITTEN_OFF_SUGGESTED: ("written_off_suggested", (("invoice_numbers", "numbers"), ("owed", "amount"))),
    why.WRITTEN_OFF_ALSO: ("written_off_also", (("invoice_numbers", "numbers"), ("owed", "amount"))),
    why.SPLIT_PART: ("split_part", (("payment_id", "text"), ("decided_by", "text"))),
    why.MATCH_UNDONE: ("match_undone", (("payment_id", "text"), ("decided_by", "text"))),
}

_PATTERNS = {
    "amount": r"-?\d+\.\d{2}",
    "count": r"\d+",
    "percent": r"\d+",
    "summands": r".+?",
    "numbers": r".+?",
    "text": r".*?",
}
_SUMMAND = re.compile(r"(?P<number>.+) \((?P<amount>-?\d+\.\d{2})\)")


def _pattern(template: str, kinds: tuple[tuple[str, Kind], ...]) -> re.Pattern[str]:
    parts = []
    for literal, field, _, _ in string.Formatter().parse(template):
        parts.append(re.escape(literal))
        if field is not None:
            _, kind = kinds[int(field)]
            parts.append(f"({_PATTERNS[kind]})")
    return re.compile("^" + "".join(parts) + "$", re.DOTALL)


# The most specific templates first ("equals the balance of X (no other evidence)" before "… of X").
_ORDERED = sorted(
    [(reason, code, kinds, _pattern(reason.en, kinds)) for reason, (code, kinds) in NOTES.items()],
    key=lambda entry: -len(re.sub(r"\{[^}]*\}", "", entry[0].en)),
)


def _value(kind: Kind, text: str) -> Any:
    """A value as the sentence's template takes it (for writing the Chinese sentence)."""
    if kind == "amount":
        return Decimal(text)
    if kind == "count":
        return int(text)
    if kind == "percent":
        return float(text)
    if kind == "numbers":
        return tuple(text.split(", "))
    if kind == "summands":
        parts = [_SUMMAND.fullmatch(part) for part in text.split(" + ")]
        if not all(parts):
            raise ValueError(text)
        return why.Summands(tuple([(m["number"], Decimal(m["amount"])) for m in parts if m]))
    return text


def _field(kind: Kind, value: Any) -> Any:
    """A value as a note's field (JSON): amounts as decimal strings, lists as lists."""
    if kind == "amount":
        return f"{value:.2f}"
    if kind == "percent":
        return round(value)
    if kind == "numbers":
        return list(value)
    if kind == "summands":
        return [{"invoice_number": number, "amount": f"{amount:.2f}"} for number, amount in value.parts]
    return value


def note(sentence: str) -> dict[str, Any]:
    """One English sentence of a match as a note: code, figures, and the sentence in both languages."""
    for reason, code, kinds, pattern in _ORDERED:
        found = pattern.match(sentence)
        if found is None:
            continue
        try:
            values = tuple(_value(kind, text) for (_, kind), text in zip(kinds, found.groups(), strict=True))
        except (ArithmeticError, ValueError):
            continue
        fields = {name: _field(kind, value) for (name, kind), value in zip(kinds, values, strict=True)}
        return {"code": code, **fields, "text": sentence, "text_zh": reason.say(values, "zh")}
    return {"code": "other", "text": sentence, "text_zh": sentence}


def notes(sentences: list[str], chinese: list[str] | None = None) -> list[dict[str, Any]]:
    """The notes of some English sentences; `chinese`, the stored Chinese sentences in the same order, win."""
    found = [note(sentence) for sentence in sentences]
    if chinese and len(chinese) == len(sentences):
        for each, zh in zip(found, chinese, strict=True):
            each["text_zh"] = zh
    return found
