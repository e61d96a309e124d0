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

from reconciliation.domain import LARGEST_AMOUNT
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
# The head of a :61: line, up to its transaction type: value date, [entry date], mark, [funds code], amount, type.
_STATEMENT_LINE = re.compile(r"^:61:(?P<date>\d{6})(\d{4})?(R?[CD]|E[CD])[A-Z]?(?P<amount>\d[\d,]*)[A-Z][A-Z0-9]{3}")
_STATEMENT_NUMBER = re.compile(r"^:28C?:\d{1,5}(/?\d{1,5})?\s*$")
# SWIFT's 15d: at most 15 characters, the decimal comma included.
_AMOUNT = re.compile(r"^\d+(,\d*)?$")
_AMOUNT_LENGTH = 15
_BALANCE_KINDS: dict[str, BalanceKind] = {
    "60F": "opening",
    "60M": "intermediate_opening",
    "62F": "closing",
    "62M": "intermediate_closing",
    "64": "available",
}
_FIELDS = {
    "13": "date and time indication",
    "20": "transaction reference",
    "21": "related reference",
    "25": "account identification",
    "28": "statement number",
    "34": "floor limit",
    "60": "opening balance",
    "61": "statement line",
    "62": "closing balance",
    "64": "available balance",
    "65": "forward available balance",
    "86": "information to the account owner",
    "90": "number and sum of entries",
}
_FIELDS_ZH = {
    "13": "日期时间标识",
    "20": "交易参考号",
    "21": "相关参考号",
    "25": "账户标识",
    "28": "对账单编号",
    "34": "限额",
    "60": "期初余额",
    "61": "流水行",
    "62": "期末余额",
    "64": "可用余额",
    "65": "远期可用余额",
    "86": "给账户所有人的附言",
    "90": "笔数与合计",
}


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise StatementFormatError(
                "the file starts as UTF-16 text but is not",
                detail_zh="文件开头标明为 UTF-16 文本，但内容并不是",
                location="line 1",
            ) from None
    if b"\x00" in data:
        raise StatementFormatError(
            "the file is binary, not an MT940 text file",
            detail_zh="该文件是二进制文件，不是 MT940 文本文件",
            location="line 1",
        )
    for encoding in ("utf-8", "gb18030", "latin-1"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    # latin-1 decodes anything; kept for clarity
    raise StatementFormatError("the file is not text", detail_zh="该文件不是文本文件")


def _amount(raw: str, location: str) -> Decimal:
    if not _AMOUNT.match(raw):
        raise StatementFormatError(
            f"'{raw}' is not an amount (digits with one decimal comma, e.g. 1500,00)",
            detail_zh=f"“{raw}”不是金额（应为数字加一个小数逗号，例如 1500,00）",
            location=location,
        )
    if len(raw) > _AMOUNT_LENGTH:
        raise StatementFormatError(
            f"the amount '{raw}' has {len(raw)} characters; an MT940 amount has at most {_AMOUNT_LENGTH}, "
            "the decimal comma included",
            detail_zh=f"金额“{raw}”有 {len(raw)} 个字符；MT940 金额（含小数逗号）最多 {_AMOUNT_LENGTH} 个字符",
            location=location,
        )
    try:
        value = Decimal(raw.replace(",", "."))
    except InvalidOperation:  # pragma: no cover - the pattern above admits only numbers
        raise StatementFormatError(
            f"'{raw}' is not an amount", detail_zh=f"“{raw}”不是金额", location=location
        ) from None
    if value > LARGEST_AMOUNT:
        raise StatementFormatError(
            f"the amount '{raw}' is more than arflow books",
            detail_zh=f"金额“{raw}”超过了 arflow 可入账的上限",
            location=location,
        )
    return value


def _date(raw: str, location: str) -> date:
    try:
        return date(2000 + int(raw[:2]), int(raw[2:4]), int(raw[4:6]))
    except ValueError:
        raise StatementFormatError(
            f"'{raw}' is not a YYMMDD date", detail_zh=f"“{raw}”不是 YYMMDD 格式的日期", location=location
        ) from None


def _statement_line_problem(line: str) -> tuple[str, str]:
    """In words, what is wrong with the head of a :61: line that does not match (in English and Chinese)."""
    shown = line[:40]
    rest = line[4:]
    if not re.match(r"\d{6}", rest):
        return (
            f"a :61: statement line starts with its value date as YYMMDD; it is '{shown}'",
            f":61: 流水行应以 YYMMDD 格式的起息日开头；实际为“{shown}”",
        )
    rest = rest[6:]
    rest = rest[4:] if re.match(r"\d{4}", rest) else rest
    mark = re.match(r"R?[CD]|E[CD]", rest)
    if mark is None:
        return (
            f"after the date, a :61: statement line has its mark (C, D, RC or RD); it is '{shown}'",
            f":61: 流水行的日期之后应为借贷标志（C、D、RC 或 RD）；实际为“{shown}”",
        )
    rest = rest[mark.end() :]
    rest = rest[1:] if re.match(r"[A-Z]\d", rest) else rest
    amount = re.match(r"[\d,]*", rest)
    if amount is None or not amount.group():
        return (
            f"after the mark, a :61: statement line has its amount; it is '{shown}'",
            f":61: 流水行的借贷标志之后应为金额；实际为“{shown}”",
        )
    return (
        "after the amount, a :61: statement line has its transaction type (N and three letters, e.g. NTRF); "
        f"it is '{shown}'",
        f":61: 流水行的金额之后应为交易类型（N 加三个字母，例如 NTRF）；实际为“{shown}”",
    )


def _logical_lines(physical: list[str]) -> list[tuple[int, str]]:
    """The file's lines with their numbers; a :61: line whose head wraps onto the next line is joined with it.

    Some banks' exports (Sparkasse's) break the :61: field inside its head, e.g. between the mark and the
    amount or inside the amount; the next line then carries the rest, with the transaction type.
    """
    lines: list[tuple[int, str]] = []
    number = 0
    while number < len(physical):
        line = physical[number]
        number += 1
        if (
            line.startswith(":61:")
            and not _STATEMENT_LINE.match(line)
            and number < len(physical)
            and not _TAG.match(physical[number])
            and _STATEMENT_LINE.match(line + physical[number].strip())
        ):
            lines.append((number, line + physical[number].strip()))
            number += 1
            continue
        lines.append((number, line))
    return lines


def _check_line(number: int, line: str) -> None:
    """Refuse a :61:, balance or statement number line the package would misread, saying why in words."""
    location = f"line {number}"
    if line.startswith(":61:"):
        match = _STATEMENT_LINE.match(line)
        if match is None:
            problem, problem_zh = _statement_line_problem(line)
            raise StatementFormatError(problem, detail_zh=problem_zh, location=location)
        _date(match.group("date"), location)
        _amount(match.group("amount"), location)
    elif line[1:3] in ("60", "62") or line.startswith(":64:"):
        match = _BALANCE.match(line)
        if match is None:
            raise StatementFormatError(
                f"a balance is its mark (C or D), date as YYMMDD, currency and amount, "
                f"e.g. :60F:C230115EUR1000,00; it is '{line[:40]}'",
                detail_zh="余额行应依次为借贷标志（C 或 D）、YYMMDD 格式的日期、币种和金额，"
                f"例如 :60F:C230115EUR1000,00；实际为“{line[:40]}”",
                location=location,
            )
        _date(match.group(3), location)
        _amount(match.group(5), location)
    elif line.startswith((":28:", ":28C:")) and not _STATEMENT_NUMBER.match(line):
        raise StatementFormatError(
            "the statement number (:28C:) is up to five digits, then a sequence number of up to five "
            f"(e.g. 00042/001); it is '{line[:40]}'",
            detail_zh=f"对账单编号（:28C:）最多五位数字，其后可跟最多五位的序号（例如 00042/001）；实际为“{line[:40]}”",
            location=location,
        )


def parse_mt940(data: bytes) -> StatementFile:
    """Parse an MT940/MT942 file into statements."""
    text = _decode(data).lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    physical = text.split("\n")
    blocks: list[list[tuple[int, str]]] = [[]]
    saw_tag = False
    for number, line in _logical_lines(physical):
        if line.startswith(":20:") and any(_TAG.match(text) for _, text in blocks[-1]):
            blocks.append([])
        blocks[-1].append((number, line))
        if _TAG.match(line):
            saw_tag = True
            _check_line(number, line)
    if not saw_tag:
        raise StatementFormatError(
            "no MT940 tags (:20:, :60F:, :61: …) found",
            detail_zh="文件中没有任何 MT940 标签（:20:、:60F:、:61: 等）",
            location="line 1",
        )
    statements = tuple(_statement(block) for block in blocks if any(_TAG.match(t) for _, t in block))
    return StatementFile("mt940", statements, source_lines=len(physical))


def _package_error(exc: Exception, block: list[tuple[int, str]]) -> StatementFormatError:
    """The package's error in words, at the line of the field it could not read (never its internals)."""
    # The package raises RuntimeError(message, tag, value) for a field its pattern does not match.
    if not (isinstance(exc, RuntimeError) and len(exc.args) == 3 and hasattr(exc.args[1], "id")):
        return StatementFormatError(
            "a field of this statement cannot be read as MT940 (an amount, a date or a code is not valid)",
            detail_zh="该对账单中有字段无法按 MT940 读取（某个金额、日期或代码无效）",
            location=f"line {block[0][0]}",
        )
    tag, value = str(exc.args[1].id), str(exc.args[2]).split("\n")[0].strip()
    fields = [(number, text, match.group(1)) for number, text in block if (match := _TAG.match(text))]
    of_tag = [field for field in fields if field[2].startswith(tag)] or [(block[0][0], "", tag)]
    number, _, full_tag = next((f for f in of_tag if f[1][len(f[2]) + 2 :].strip() == value), of_tag[0])
    return StatementFormatError(
        f"the :{full_tag}: field ({_FIELDS.get(tag[:2], 'field')}) is not valid: '{value[:40]}'",
        detail_zh=f":{full_tag}: 字段（{_FIELDS_ZH.get(tag[:2], '字段')}）无效：“{value[:40]}”",
        location=f"line {number}",
    )


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
        raise _package_error(exc, block) from None
    statement_lines = [(number, text) for number, text in block if text.startswith(":61:")]
    lines = []
    for position, transaction in enumerate(parsed.transactions):
        if "amount" not in transaction.data:
            continue
        location = None
        if position < len(statement_lines):
            number, text = statement_lines[position]
            location = f"line {number}"
            head = _STATEMENT_LINE.match(text)
            assert head is not None  # checked when the file was split into lines
            # Never book what the package read if it differs from the line (a digit dropped, a comma moved).
            if _amount(head.group("amount"), location) != abs(Decimal(transaction.data["amount"].amount)):
                raise StatementFormatError(
                    f"the amount '{head.group('amount')}' of this :61: line cannot be read exactly",
                    detail_zh=f"该 :61: 行的金额“{head.group('amount')}”无法准确读取",
                    location=location,
                )
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
