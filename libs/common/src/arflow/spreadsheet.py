"""CSV that a spreadsheet opens safely: no cell is read as a formula.

A payer name, memo or remittance line comes from outside (a bank file, a
gateway, a customer) and may start with `=`, `+`, `-`, `@`, a tab or a carriage
return; Excel and LibreOffice would run `=HYPERLINK(…)` or `=cmd|…` from an
export. Such a cell is written with a leading apostrophe (OWASP's advice for
CSV injection), which the spreadsheet shows as text. Numbers arflow writes
itself (a negative amount, `-120.00`) are left alone: they are no formula.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import Any, Protocol

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?\d[\d,]*(\.\d+)?$")


class _Writable(Protocol):
    def write(self, text: str, /) -> Any: ...


def safe_cell(value: object) -> object:
    """The value as a spreadsheet should see it: text that would start a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _NUMBER.match(value):
        return "'" + value
    return value


class SafeWriter:
    """`csv.writer` whose every cell passes through `safe_cell`."""

    def __init__(self, out: _Writable, **options: Any) -> None:
        self._writer = csv.writer(out, **options)

    def writerow(self, row: Iterable[object]) -> None:
        self._writer.writerow([safe_cell(cell) for cell in row])

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        for row in rows:
            self.writerow(row)
