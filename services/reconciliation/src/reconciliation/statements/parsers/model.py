"""The one statement model every parser produces, whatever the file's format.

Pure data, no I/O: a parser takes bytes and returns a `StatementFile`, or raises
`StatementFormatError` naming the line or element at fault (then nothing of the
file is imported).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Literal

Direction = Literal["credit", "debit"]
EntryStatus = Literal["booked", "pending", "information"]
BalanceKind = Literal["opening", "closing", "intermediate_opening", "intermediate_closing", "available"]


class StatementFormatError(ValueError):
    """The file is not a valid statement of its format; `location` names the line or element at fault.

    `detail_zh` says the same in Chinese, for the 422 a zh-CN caller reads.
    """

    def __init__(self, detail: str, *, detail_zh: str, location: str | None = None) -> None:
        super().__init__(f"{location}: {detail}" if location else detail)
        self.detail = detail
        self.detail_zh = detail_zh
        self.location = location

    @property
    def text_zh(self) -> str:
        """The Chinese detail after its location (`第 12 行：…`), as `str()` is the English one."""
        if not self.location:
            return self.detail_zh
        where = re.sub(r"\bline (\d+)", r"第 \1 行", self.location)
        where = re.sub(r" \((.+)\)$", r"（\1）", where)  # 第 3 行（Ntry/Amt）
        return f"{where}：{self.detail_zh}"


@dataclass(frozen=True)
class Balance:
    kind: BalanceKind
    amount: Decimal  # signed: negative for a debit balance
    currency: str
    on: date | None


@dataclass(frozen=True)
class StatementLine:
    """One movement of money on the account (one transaction of a batch entry is one line)."""

    amount: Decimal  # always positive; `direction` says which way
    currency: str
    direction: Direction
    booking_date: date | None
    value_date: date | None = None
    status: EntryStatus = "booked"
    reversal: bool = False
    # The bank's own id of the entry (AcctSvcrRef, FITID, 支付宝交易号…); lines are deduplicated on it.
    bank_reference: str | None = None
    end_to_end_id: str | None = None
    remittance: str | None = None
    counterparty_name: str | None = None
    counterparty_account: str | None = None
    transaction_code: str | None = None
    source_location: str | None = None  # the line number or element path it came from

    @property
    def signed_amount(self) -> Decimal:
        return self.amount if self.direction == "credit" else -self.amount

    @property
    def incoming(self) -> bool:
        """Money received: a booked credit that is not the reversal of a debit."""
        return self.direction == "credit" and not self.reversal and self.status == "booked"


@dataclass(frozen=True)
class Statement:
    """One account statement (a file may hold several)."""

    statement_id: str | None
    account: str | None
    currency: str | None
    sequence: str | None = None
    balances: tuple[Balance, ...] = ()
    lines: tuple[StatementLine, ...] = ()

    def balance(self, kind: BalanceKind) -> Balance | None:
        return next((b for b in self.balances if b.kind == kind), None)


@dataclass(frozen=True)
class StatementFile:
    format: str
    statements: tuple[Statement, ...] = field(default_factory=tuple)
    source_lines: int = 0  # how many physical lines the file has (progress: lines read / total)

    @property
    def lines(self) -> list[StatementLine]:
        return [line for statement in self.statements for line in statement.lines]
