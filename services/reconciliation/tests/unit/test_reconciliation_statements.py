"""Statement identity, line deduplication keys and integrity warnings (pure rules)."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal

import pytest
from pydantic import ValidationError

from reconciliation.statements.parsers import Balance, Statement, StatementLine
from reconciliation.statements.rules import PreviousStatement, integrity_warnings, line_keys, statement_key
from reconciliation.statements.schemas import CsvProfileIn

D = Decimal


def line(amount: str, *, reference: str | None = None, remittance: str = "x") -> StatementLine:
    return StatementLine(
        amount=D(amount),
        currency="CNY",
        direction="credit",
        booking_date=date(2026, 3, 1),
        bank_reference=reference,
        remittance=remittance,
    )


def statement(opening: str, closing: str, *lines: StatementLine, sequence: str = "2") -> Statement:
    return Statement(
        statement_id="S",
        account="A",
        currency="CNY",
        sequence=sequence,
        balances=(
            Balance("opening", D(opening), "CNY", date(2026, 3, 1)),
            Balance("closing", D(closing), "CNY", date(2026, 3, 1)),
        ),
        lines=lines,
    )


def test_identical_lines_without_reference_get_occurrence_numbers() -> None:
    first, second = line_keys("A", [line("30.00"), line("30.00")])
    assert first != second and first.endswith("#1") and second.endswith("#2")
    assert line_keys("A", [line("30.00"), line("30.00")]) == [first, second]  # the same file: the same keys


def test_lines_with_a_bank_reference_are_keyed_by_it() -> None:
    (key,) = line_keys("A", [line("30.00", reference="R1", remittance="a")])
    assert line_keys("A", [line("30.00", reference="R1", remittance="other text")]) == [key]


def test_a_pending_entry_does_not_take_the_key_of_the_same_entry_booked() -> None:
    booked = line("777.00", reference="R")
    pending = dataclasses.replace(booked, status="pending")
    # A booked line's key is what it always was: keys stored by earlier imports still deduplicate.
    assert line_keys("A", [booked]) == ["A|ref|R|credit|False#1"]
    assert line_keys("A", [pending]) == ["A|ref|R|credit|False|pending#1"]
    bare = dataclasses.replace(booked, bank_reference=None)
    (pending_key,) = line_keys("A", [dataclasses.replace(bare, status="pending")])
    assert pending_key not in line_keys("A", [bare])


def test_statement_key_uses_id_and_sequence_else_the_file() -> None:
    assert statement_key(statement("0", "1", line("1.00")), file_sha256="h", position=0).startswith("A|S|2|")
    bare = Statement(None, None, None, lines=(line("1.00"),))
    assert statement_key(bare, file_sha256="h", position=3) == "file:h:3"


def test_a_statement_that_adds_up_and_follows_its_predecessor_has_no_warnings() -> None:
    previous = PreviousStatement(sequence="1", closing_balance=D("100.00"), closing_date=date(2026, 2, 28))
    assert integrity_warnings(statement("100.00", "130.00", line("30.00")), previous) == []


def test_balance_chain_sequence_gap_and_sum_are_each_warned() -> None:
    previous = PreviousStatement(sequence="1", closing_balance=D("90.00"), closing_date=date(2026, 2, 28))
    warnings = integrity_warnings(statement("100.00", "131.00", line("30.00"), sequence="4"), previous)
    assert sorted(w["code"] for w in warnings) == ["balance_mismatch", "opening_not_previous_closing", "sequence_gap"]
    gap = next(w for w in warnings if w["code"] == "sequence_gap")
    assert "2 statement(s) missing" in gap["detail"]


def test_a_csv_profile_without_any_amount_column_is_refused_when_the_columns_are_left_out() -> None:
    # Schemathesis found a 500: the check ran only when credit_column was given, so a profile
    # naming no amount column at all passed the request model and failed building the answer.
    with pytest.raises(ValidationError, match="give amount_column, or credit_column"):
        CsvProfileIn.model_validate({"name": "bank", "date_column": "Date"})
    assert (
        CsvProfileIn.model_validate({"name": "bank", "date_column": "Date", "credit_column": "In"}).credit_column
        == "In"
    )
