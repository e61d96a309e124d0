"""The statement cycle's rules, with no I/O: which period is due, what a statement freezes, what a dispute concerns.

A statement's content is canonical JSON (keys sorted, no spaces, UTF-8, amounts as decimal strings): the
same data always makes the same bytes, and the SHA-256 of those bytes is the hash the customer's answer
is bound to. The bytes are kept as they were made, so the hash is proven by hashing them again, never by
re-serialising a copy.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

Cycle = Literal["monthly", "quarterly", "none"]
CONTENT_VERSION = 1
DEFAULT_CYCLE: Cycle = "monthly"
DEFAULT_DAY = 1


def _month_start(year: int, month: int) -> date:
    while month < 1:
        year, month = year - 1, month + 12
    while month > 12:
        year, month = year + 1, month - 12
    return date(year, month, 1)


def period_starting(cycle: Literal["monthly", "quarterly"], start: date) -> tuple[date, date]:
    """The month (or quarter) that starts on `start`."""
    months = 1 if cycle == "monthly" else 3
    after = _month_start(start.year, start.month + months)
    return start, after - timedelta(days=1)


def last_complete_period(cycle: Literal["monthly", "quarterly"], today: date) -> tuple[date, date]:
    """The last whole month (or calendar quarter) before the one `today` is in."""
    if cycle == "monthly":
        return period_starting(cycle, _month_start(today.year, today.month - 1))
    quarter_start = _month_start(today.year, today.month - (today.month - 1) % 3)
    return period_starting(cycle, _month_start(quarter_start.year, quarter_start.month - 3))


def due_period(cycle: Cycle, day: int, today: date) -> tuple[date, date] | None:
    """The latest period whose statement is due by `today`: it goes out on `day` of the month after it ends.

    Only the latest: a job that did not run for months issues the last period's statement, not a backlog.
    """
    if cycle == "none":
        return None
    start, end = last_complete_period(cycle, today)
    first_day_after = end + timedelta(days=1)
    if today < first_day_after + timedelta(days=day - 1):  # its day has not come: the period before is the latest
        start, end = last_complete_period(cycle, start)
    return start, end


def canonical_bytes(content: dict[str, Any]) -> bytes:
    """The one serialisation of a statement's content the hash is taken over."""
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_bytes(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def currency_order(code: str) -> tuple[int, str]:
    """CNY first, then by code: the order balances are listed and the first is the statement's headline."""
    return (0 if code == "CNY" else 1, code)


@dataclass(frozen=True)
class Balance:
    currency: str
    opening_balance: Decimal
    invoiced: Decimal
    credited: Decimal
    paid: Decimal
    closing_balance: Decimal


def balances(content: dict[str, Any], *, default_currency: str = "CNY") -> list[Balance]:
    """One balance per currency the statement shows (a statement with nothing at all: zero in the default)."""
    parts = sorted(content["statement"]["currencies"], key=lambda p: currency_order(p["currency"]))
    if not parts:
        zero = Decimal("0.00")
        return [Balance(default_currency, zero, zero, zero, zero, zero)]
    return [
        Balance(
            currency=p["currency"],
            opening_balance=Decimal(p["opening_balance"]),
            invoiced=Decimal(p["invoiced"]),
            credited=Decimal(p["credited"]),
            paid=Decimal(p["paid"]),
            closing_balance=Decimal(p["closing_balance"]),
        )
        for p in parts
    ]


def answer_due_on(business_date: date, answer_days: int) -> date:
    """The last day (the customer's) a statement is answered in time: `answer_days` after the day it was issued."""
    return business_date + timedelta(days=answer_days)


def is_unanswered(status: str, business_date: date, today: date, answer_days: int) -> bool:
    """Neither confirmed nor disputed, and its answer_due_on is past (by the customer's today)."""
    return status == "issued" and today > answer_due_on(business_date, answer_days)


def is_empty(content: dict[str, Any]) -> bool:
    """Nothing to confirm: no line in the period and nothing owed at either end."""
    return all(
        not p["entries"] and Decimal(p["opening_balance"]) == 0 and Decimal(p["closing_balance"]) == 0
        for p in content["statement"]["currencies"]
    )


@dataclass(frozen=True)
class Line:
    """A line as the statement shows it, numbered from 1 within its currency."""

    currency: str
    line_no: int
    kind: str
    entry_date: date
    document: str | None
    invoice_id: UUID | None
    invoice_number: str | None
    amount: Decimal  # debit positive, credit negative

    @property
    def key(self) -> str:
        return f"{self.currency}:{self.line_no}"


def lines(content: dict[str, Any]) -> list[Line]:
    """Every line of the statement, in its order."""
    invoice_ids: dict[str, str] = content["invoice_ids"]
    found = []
    for part in content["statement"]["currencies"]:
        for n, entry in enumerate(part["entries"], start=1):
            number = entry.get("invoice_number")
            found.append(
                Line(
                    currency=part["currency"],
                    line_no=n,
                    kind=entry["kind"],
                    entry_date=date.fromisoformat(entry["entry_date"]),
                    document=entry.get("document"),
                    invoice_id=UUID(invoice_ids[number]) if number in invoice_ids else None,
                    invoice_number=number,
                    amount=Decimal(entry["debit"]) - Decimal(entry["credit"]),
                )
            )
    return found


@dataclass(frozen=True)
class OpenInvoice:
    invoice_id: UUID
    invoice_number: str | None
    currency: str
    open_amount: Decimal


def open_invoices(content: dict[str, Any]) -> list[OpenInvoice]:
    return [
        OpenInvoice(UUID(i["invoice_id"]), i.get("invoice_number"), i["currency"], Decimal(i["open_amount"]))
        for i in content["open_invoices"]
    ]


def disputed_invoices(content: dict[str, Any], disputed: list[Line], balance_currency: str | None) -> list[OpenInvoice]:
    """The invoices whose chasing a dispute concerns.

    Those the disputed lines name (with what was open on each at the period's end, zero if nothing was); when
    no line names one (only the balance is disputed), every invoice open at the period's end in the disputed
    balance's currency (every currency when none is said).
    """
    open_by_id = {i.invoice_id: i for i in open_invoices(content)}
    named: dict[UUID, OpenInvoice] = {}
    for line in disputed:
        if line.invoice_id is None or line.invoice_id in named:
            continue
        named[line.invoice_id] = open_by_id.get(
            line.invoice_id, OpenInvoice(line.invoice_id, line.invoice_number, line.currency, Decimal(0))
        )
    if named:
        return list(named.values())
    return [i for i in open_by_id.values() if balance_currency in (None, i.currency)]


ReplyType = Literal["application/pdf", "image/jpeg", "image/png"]


def reply_type(data: bytes) -> ReplyType | None:
    """What an uploaded reply is by its first bytes (never by its name or the browser's word): PDF, JPEG, PNG."""
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    return None
