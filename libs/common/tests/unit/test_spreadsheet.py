"""CSV exports neutralise cells a spreadsheet would run as formulas."""

from __future__ import annotations

import csv
import io

import pytest

from arflow.spreadsheet import SafeWriter, safe_cell


@pytest.mark.parametrize(
    "cell",
    ['=HYPERLINK("http://evil.example","点我")', "=cmd|' /C calc'!A0", "@SUM(A1:A9)", "+86 phone", "-2+3", "\t=1"],
)
def test_a_cell_that_would_start_a_formula_is_text(cell: str) -> None:
    assert safe_cell(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["-120.00", "+5", "1,200.00", "上海星河", "INV-2026-000042", "", 42])
def test_amounts_and_ordinary_text_are_left_alone(cell: object) -> None:
    assert safe_cell(cell) == cell


def test_the_writer_neutralises_every_cell_and_round_trips_the_rest() -> None:
    out = io.StringIO()
    SafeWriter(out).writerows([["payer", "amount"], ["=1+1", "-300.00"]])
    assert list(csv.reader(io.StringIO(out.getvalue()))) == [["payer", "amount"], ["'=1+1", "-300.00"]]
