"""Statement parsers: bytes of a bank or gateway file in, one normalised `StatementFile` out.

`parse_statement` picks the parser from the declared format, else sniffs it
from the content. Every parser is pure and raises `StatementFormatError`
naming the line or element at fault; a file is imported whole or not at all.
"""

from __future__ import annotations

import re

from arflow.money import CURRENCIES, MINOR_UNITS, minor_unit_exponent
from reconciliation.domain import LARGEST_AMOUNT
from reconciliation.statements.parsers.camt import parse_camt
from reconciliation.statements.parsers.model import (
    Balance,
    Statement,
    StatementFile,
    StatementFormatError,
    StatementLine,
)
from reconciliation.statements.parsers.mt940 import parse_mt940
from reconciliation.statements.parsers.ofx import parse_ofx
from reconciliation.statements.parsers.tabular import (
    BUILT_IN_PROFILES,
    CsvProfile,
    decode,
    parse_alipay,
    parse_csv,
    parse_wechat,
)

FORMATS = ("camt", "mt940", "ofx", "csv", "alipay", "wechat")
# Each kind of balance as a Chinese detail names it.
_BALANCE_ZH = {
    "opening": "期初余额",
    "closing": "期末余额",
    "intermediate_opening": "中间期初余额",
    "intermediate_closing": "中间期末余额",
    "available": "可用余额",
}

__all__ = [
    "BUILT_IN_PROFILES",
    "FORMATS",
    "Balance",
    "CsvProfile",
    "Statement",
    "StatementFile",
    "StatementFormatError",
    "StatementLine",
    "detect_format",
    "parse_statement",
]


def detect_format(data: bytes) -> str:
    """Guess a statement file's format from its first bytes."""
    head = data[:4096]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 (with its byte order mark), as Excel saves "Unicode text"
        head = head.decode("utf-16", errors="ignore").encode()
    head = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<?xml") or head.startswith(b"<Document"):
        if b"OFX" in head[:400]:
            return "ofx"
        return "camt"
    if head.startswith(b"OFXHEADER") or head.startswith(b"<OFX"):
        return "ofx"
    if re.search(rb"(?m)^:(20|25|60F|61):", head):
        return "mt940"
    try:
        text = decode(data[:4096] if len(data) <= 4096 else data[:4096].rsplit(b"\n", 1)[0])
    except StatementFormatError:
        return "csv"
    if text.startswith("#") or "支付宝交易号" in text or "账务流水号" in text:
        return "alipay"
    if "微信订单号" in text or text.startswith("`") or "\n`" in text:
        return "wechat"
    return "csv"


def parse_statement(data: bytes, *, format: str | None = None, profile: CsvProfile | None = None) -> StatementFile:
    """Parse a statement file of a declared (or sniffed) format."""
    if not data.strip():
        raise StatementFormatError("the file is empty", detail_zh="文件是空的", location="line 1")
    chosen = format or detect_format(data)
    if chosen == "camt":
        return _bookable(parse_camt(data))
    if chosen == "mt940":
        return _bookable(parse_mt940(data))
    if chosen == "ofx":
        return _bookable(parse_ofx(data))
    if chosen == "alipay":
        return _bookable(parse_alipay(data))
    if chosen == "wechat":
        return _bookable(parse_wechat(data))
    if chosen == "csv":
        return _bookable(parse_csv(data, profile or BUILT_IN_PROFILES["generic"]))
    raise StatementFormatError(
        f"unknown format '{chosen}'; one of {', '.join(FORMATS)}",
        detail_zh=f"未知格式“{chosen}”；须为以下之一：{'、'.join(FORMATS)}",
    )


def _bookable(parsed: StatementFile) -> StatementFile:
    """Every line is in a currency money can be booked in (ISO 4217), of an amount a payment holds, in whole
    minor units of that currency; else the file is refused naming the line.

    Three capital letters are not enough: CNH (offshore yuan) or a typo would pass the
    parser and fail the import half-way, when the line becomes a payment. An amount over
    999,999,999,999,999.99 would overflow the column in the worker, and 10.001 CNY would
    be rounded to 10.00 without anyone seeing it: neither is booked, the file is refused.
    """
    for line in parsed.lines:
        if line.currency not in CURRENCIES:
            raise StatementFormatError(
                f"'{line.currency}' is not an ISO 4217 currency code (CNH, offshore yuan, is booked as CNY)",
                detail_zh=f"“{line.currency}”不是 ISO 4217 币种代码（离岸人民币 CNH 请按 CNY 入账）",
                location=line.source_location,
            )
        if not line.amount.is_finite() or abs(line.amount) > LARGEST_AMOUNT:
            raise StatementFormatError(
                f"the amount '{line.amount}' is more than a payment holds (999,999,999,999,999.99)",
                detail_zh=f"金额“{line.amount}”超过了单笔收款的上限（999,999,999,999,999.99）",
                location=line.source_location,
            )
        if line.amount != line.amount.quantize(minor_unit_exponent(line.currency)):
            decimals = MINOR_UNITS.get(line.currency, 2)
            raise StatementFormatError(
                f"the amount '{line.amount}' has more decimals than {line.currency} has ({decimals}); "
                "it is not rounded",
                detail_zh=f"金额“{line.amount}”的小数位数超过了 {line.currency} 的 {decimals} 位；不会四舍五入",
                location=line.source_location,
            )
    for statement in parsed.statements:
        for balance in statement.balances:
            if not balance.amount.is_finite() or abs(balance.amount) > LARGEST_AMOUNT:
                raise StatementFormatError(
                    f"the {balance.kind.replace('_', ' ')} balance '{balance.amount}' is more than a statement holds",
                    detail_zh=f"{_BALANCE_ZH.get(balance.kind, balance.kind)}“{balance.amount}”"
                    "超过了对账单可容纳的上限",
                    location=f"{balance.kind} balance",
                )
    return parsed
