"""Pure rules of statement import: identity, line deduplication, integrity warnings.

No I/O: the caller passes the parsed statement and what it knows of the
account's previous statement; keys and warnings come out.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from reconciliation.domain import latest_business_date
from reconciliation.statements import notices
from reconciliation.statements.parsers import Statement, StatementLine


def dated_in_the_future(lines: Sequence[StatementLine], today: date) -> tuple[StatementLine, date] | None:
    """The first booked line dated after the latest business date of `today`, and its date (the payment's).

    A booked line becomes a payment received on its booking date (its value date when it has none), so
    the one rule for future business dates applies to it as to a payment entered by hand. Pending and
    information entries book nothing and may carry any date.
    """
    latest = latest_business_date(today)
    for line in lines:
        if line.status != "booked":
            continue
        on = line.booking_date or line.value_date
        if on is not None and on > latest:
            return line, on
    return None


def file_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def statement_key(statement: Statement, *, file_sha256: str, position: int) -> str:
    """The identity of a statement: account + statement id + sequence, else the file and its position in it."""
    if statement.statement_id or statement.sequence:
        parts = (statement.account or "", statement.statement_id or "", statement.sequence or "")
        # Two statements with the same id and sequence but other balances are different statements
        # (MT940 files reuse :20: across days), so the closing balance and date are part of the key.
        closing = statement.balance("closing") or statement.balance("intermediate_closing")
        tail = f"{closing.amount}|{closing.on}" if closing else ""
        return "|".join((*parts, tail))
    return f"file:{file_sha256}:{position}"


def _content(line: StatementLine) -> str:
    text = "|".join(
        str(part or "")
        for part in (
            line.booking_date,
            line.value_date,
            line.direction,
            line.amount,
            line.currency,
            line.remittance,
            line.counterparty_name,
            line.counterparty_account,
            line.end_to_end_id,
            line.reversal,
        )
    )
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def line_keys(account: str | None, lines: Sequence[StatementLine]) -> list[str]:
    """A dedup key per line: the bank's entry reference, else its content and occurrence number.

    Two genuinely identical same-day transfers in one statement both survive
    (occurrences 1 and 2); importing the statement again finds both keys taken.
    A pending or information entry has a key of its own (its status appended):
    when the end-of-day statement books the same entry, the booked line is new
    and becomes the payment. A booked line's key has no status, as it always had,
    so lines imported before still deduplicate a re-import of their file.
    """
    seen: Counter[str] = Counter()
    keys = []
    for line in lines:
        if line.bank_reference:
            base = f"{account or ''}|ref|{line.bank_reference}|{line.direction}|{line.reversal}"
        else:
            base = f"{account or ''}|content|{_content(line)}"
        if line.status != "booked":
            base = f"{base}|{line.status}"
        seen[base] += 1
        keys.append(f"{base}#{seen[base]}")
    return keys


@dataclass(frozen=True)
class PreviousStatement:
    """What is known of the account's last imported statement."""

    sequence: str | None
    closing_balance: Decimal | None
    closing_date: date | None


def _sequence_number(sequence: str | None) -> int | None:
    if not sequence:
        return None
    head = sequence.split("/")[0]
    return int(head) if head.isdigit() else None


def integrity_warnings(statement: Statement, previous: PreviousStatement | None) -> list[dict[str, Any]]:
    """What does not add up: a broken balance chain, a sequence gap, entries that do not explain the balances
    (each in English and Chinese with its figures: statements.notices)."""
    warnings: list[dict[str, Any]] = []
    where = {"statement": statement.statement_id, "account": statement.account, "sequence": statement.sequence}
    opening = statement.balance("opening") or statement.balance("intermediate_opening")
    closing = statement.balance("closing") or statement.balance("intermediate_closing")
    if opening is not None and closing is not None and opening.currency == closing.currency:
        booked = [line for line in statement.lines if line.status == "booked" and line.currency == opening.currency]
        expected = opening.amount + sum((line.signed_amount for line in booked), Decimal(0))
        if expected != closing.amount:
            entries = expected - opening.amount
            warnings.append(
                notices.balance_mismatch(
                    currency=opening.currency,
                    opening=opening.amount,
                    entries=entries,
                    closing=closing.amount,
                    where=where,
                )
            )
    if previous is not None:
        if opening is not None and previous.closing_balance is not None and previous.closing_balance != opening.amount:
            warnings.append(
                notices.opening_not_previous_closing(
                    currency=opening.currency,
                    opening=opening.amount,
                    previous_closing=previous.closing_balance,
                    where=where,
                )
            )
        before, now = _sequence_number(previous.sequence), _sequence_number(statement.sequence)
        if before is not None and now is not None and now > before + 1:
            warnings.append(notices.sequence_gap(number=now, previous=before, where=where))
    return warnings
