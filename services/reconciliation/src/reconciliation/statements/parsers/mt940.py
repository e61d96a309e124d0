"""SWIFT MT940 (and MT942) statements, read with the `mt940` package.

A file may hold several statements (each starts at `:20:`); each is parsed on
its own so the balances of one never overwrite another's. Balances are read
here rather than from the package, so a statement's intermediate `:60M:` /
`:62M:` balances are all kept. `:86:` is bank-specific: its structured
subfields (`?20`… purpose, `?32` name, `?31`/`?38` account) are used when the
package recognises them, else the free text is the remittance.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import mt940 as mt940_package

from reconciliation.statements.parsers.model import (
    Balance,
    BalanceKind,
    Statement,
    StatementFile,
    StatementFormatError,
    StatementLine,
)

_TAG = re.compile(r"^:(\d{2}[A-Z]?):")
_BALANCE = re.compile(r"^:(60F|60M|62F|62M|64):([CD])(\d{6})([A-Z]{3})(\d[\d,]*)\s*$")
_STATEMENT_LINE = re.compile(r"^:61:\d{6}(\d{4})?(R?[CD]|E[CD])[A-Z]?\d[\d,]*[A-Z][A-Z0-9]{3}")
_BALANCE_KINDS: dict[str, BalanceKind] = {
    "60F": "opening",
    "60M": "intermediate_opening",
    "62F": "closing",
    "62M": "intermediate_closing",
    "64": "available",
}


def _decode(data: bytes) -> str:
    for encoding in ("utf-8", "gb18030", "latin-1"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise StatementFormatError("the file is not text")  # latin-1 decodes anything; kept for clarity


def _amount(raw: str, location: str) -> Decimal:
    try:
        return Decimal(raw.replace(",", "."))
    except InvalidOperation:
        raise StatementFormatError(f"'{raw}' is not an amount", location=location) from None


def _date(raw: str, location: str) -> date:
    try:
        return date(2000 + int(raw[:2]), int(raw[2:4]), int(raw[4:6]))
    except ValueError:
        raise StatementFormatError(f"'{raw}' is not a YYMMDD date", location=location) from None


def parse_mt940(data: bytes) -> StatementFile:
    """Parse an MT940/MT942 file into statements."""
    text = _decode(data).replace("\r\n", "\n").replace("\r", "\n")
    physical = text.split("\n")
    blocks: list[list[tuple[int, str]]] = [[]]
    saw_tag = False
    for number, line in enumerate(physical, start=1):
        if line.startswith(":20:") and any(_TAG.match(text) for _, text in blocks[-1]):
            blocks.append([])
        blocks[-1].append((number, line))
        match = _TAG.match(line)
        if match:
            saw_tag = True
            if line.startswith(":61:") and not _STATEMENT_LINE.match(line):
                raise StatementFormatError("a :61: statement line is not valid", location=f"line {number}")
            if (line[1:3] in ("60", "62") or line.startswith(":64:")) and not _BALANCE.match(line):
                raise StatementFormatError("a balance line is not valid", location=f"line {number}")
    if not saw_tag:
        raise StatementFormatError("no MT940 tags (:20:, :60F:, :61: …) found", location="line 1")
    statements = tuple(_statement(block) for block in blocks if any(_TAG.match(t) for _, t in block))
    return StatementFile("mt940", statements, source_lines=len(physical))


def _statement(block: list[tuple[int, str]]) -> Statement:
    balances = []
    for number, line in block:
        match = _BALANCE.match(line)
        if match:
            tag, sign, raw_date, currency, raw_amount = match.groups()
            amount = _amount(raw_amount, f"line {number}")
            balances.append(
                Balance(
                    _BALANCE_KINDS[tag], -amount if sign == "D" else amount, currency, _date(raw_date, f"line {number}")
                )
            )
    parsed = mt940_package.models.Transactions()
    try:
        parsed.parse("\n".join(text for _, text in block))
    except Exception as exc:  # the package raises assorted errors on bad input
        raise StatementFormatError(f"MT940 not understood: {exc}", location=f"line {block[0][0]}") from None
    statement_lines = [number for number, text in block if text.startswith(":61:")]
    lines = []
    for position, transaction in enumerate(parsed.transactions):
        if "amount" not in transaction.data:
            continue
        location = f"line {statement_lines[position]}" if position < len(statement_lines) else None
        lines.append(_line(transaction.data, location))
    info: dict[str, Any] = parsed.data
    sequence = "/".join(str(info[k]) for k in ("statement_number", "sequence_number") if info.get(k))
    currency = next((b.currency for b in balances), None)
    return Statement(
        statement_id=info.get("transaction_reference"),
        account=info.get("account_identification"),
        currency=currency,
        sequence=sequence or None,
        balances=tuple(balances),
        lines=tuple(lines),
    )


def _clean(value: Any) -> str | None:
    if value is None:
        return None
    text = " ".join(str(value).split())
    return None if not text or text.upper() == "NONREF" else text


def _line(data: dict[str, Any], location: str | None) -> StatementLine:
    signed = Decimal(data["amount"].amount)
    status = str(data.get("status") or "")
    remittance = _clean(data.get("purpose")) or _clean(data.get("transaction_details"))
    customer_reference = _clean(data.get("customer_reference"))
    if customer_reference and (not remittance or customer_reference not in remittance):
        remittance = f"{customer_reference} {remittance}" if remittance else customer_reference
    booking = data.get("entry_date") or data.get("date")
    return StatementLine(
        amount=abs(signed),
        currency=str(data.get("currency") or data["amount"].currency),
        # RC is the reversal of a credit (money goes back out), RD of a debit (money comes back).
        direction="debit" if status in ("D", "RC", "ED") else "credit",
        booking_date=date(booking.year, booking.month, booking.day) if booking else None,
        value_date=date(data["date"].year, data["date"].month, data["date"].day) if data.get("date") else None,
        status="booked",
        reversal=status.startswith("R"),
        bank_reference=_clean(data.get("bank_reference")),
        end_to_end_id=None,
        remittance=remittance,
        counterparty_name=_clean(data.get("applicant_name")),
        counterparty_account=_clean(data.get("applicant_iban") or data.get("applicant_bin")),
        transaction_code=_clean(data.get("id")),
        source_location=location,
    )
