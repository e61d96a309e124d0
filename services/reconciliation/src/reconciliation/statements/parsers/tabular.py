"""Tabular statements: CSV with a column-mapping profile, Alipay and WeChat Pay merchant bills.

Alipay bills are GBK CSVs: `#` comment lines first, a header whose brackets may
be full-width （） or ASCII (), values ending in tab characters, and after the
`#…列表结束…` marker the totals, which are not transactions. WeChat Pay bills put
a backtick before every value and end with a totals header and a totals row.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from reconciliation.statements.parsers.model import (
    Direction,
    Statement,
    StatementFile,
    StatementFormatError,
    StatementLine,
)


def decode(data: bytes) -> str:
    """Text of a CSV export: UTF-16 with its byte order mark (Excel's "Unicode text"), UTF-8 (with or without
    BOM), else GB18030 (a superset of GBK); a file with NUL bytes is binary, not an export."""
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
            "the file is binary (it holds NUL bytes), not a text export",
            detail_zh="该文件是二进制文件（含有 NUL 字节），不是导出的文本文件",
            location="line 1",
        )
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise StatementFormatError(
            "the file is neither UTF-8 nor GBK text",
            detail_zh="该文件既不是 UTF-8 也不是 GBK 编码的文本",
            location="line 1",
        ) from None


def normalise_header(name: str) -> str:
    """Header cell as compared: NFKC (full-width brackets → ASCII), no whitespace or tabs."""
    return "".join(unicodedata.normalize("NFKC", name).split())


def _cell(value: str) -> str:
    return value.strip().lstrip("`").strip()


def _amount(raw: str, location: str, *, decimal_comma: bool = False) -> Decimal:
    text = raw.replace("¥", "").replace("￥", "").replace(" ", "")
    text = text.replace(".", "").replace(",", ".") if decimal_comma else text.replace(",", "")
    if text in ("", "-"):
        return Decimal(0)
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise StatementFormatError(
            f"'{raw}' is not an amount", detail_zh=f"“{raw}”不是金额", location=location
        ) from None
    if not value.is_finite():
        raise StatementFormatError(f"'{raw}' is not an amount", detail_zh=f"“{raw}”不是金额", location=location)
    return value


_DATE_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d",
    "%Y%m%d",
    "%d.%m.%Y",
    "%Y-%m-%d %H:%M",
)


def _date(raw: str, location: str, fmt: str | None = None) -> date:
    if fmt is None and len(raw.strip()) == 10:
        try:
            return date.fromisoformat(raw.strip())
        except ValueError:
            pass
    for candidate in (fmt,) if fmt else _DATE_FORMATS:
        try:
            return datetime.strptime(raw.strip(), candidate).date()
        except ValueError:
            continue
    raise StatementFormatError(f"'{raw}' is not a date", detail_zh=f"“{raw}”不是日期", location=location)


def _rows(text: str, delimiter: str = ",") -> Iterator[tuple[int, list[str]]]:
    """Rows with the 1-based physical line each starts on; a quoted field keeps its newlines (a memo of two lines)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    start = 1
    try:
        for row in reader:
            if row and (len(row) > 1 or row[0].strip()):
                yield start, row
            start = reader.line_num + 1
    except csv.Error as exc:
        raise StatementFormatError(
            f"the CSV cannot be read: {exc}", detail_zh=f"无法读取该 CSV：{exc}", location=f"line {start}"
        ) from None


# --- CSV with a column-mapping profile ------------------------------------------------


@dataclass(frozen=True)
class CsvProfile:
    """How one bank's CSV export maps onto statement lines (header names, compared normalised)."""

    name: str
    date_column: str
    amount_column: str | None = None  # signed: positive = money in
    credit_column: str | None = None  # or separate in/out columns
    debit_column: str | None = None
    currency_column: str | None = None
    default_currency: str = "CNY"
    reference_column: str | None = None  # the bank's id of the line
    remittance_columns: tuple[str, ...] = ()
    payer_name_column: str | None = None
    payer_account_column: str | None = None
    delimiter: str = ","
    date_format: str | None = None
    decimal_comma: bool = False
    skip_lines: int = 0
    extra: dict[str, str] = field(default_factory=dict)


GENERIC_PROFILE = CsvProfile(
    name="generic",
    date_column="date",
    amount_column="amount",
    currency_column="currency",
    reference_column="reference",
    remittance_columns=("remittance",),
    payer_name_column="payer_name",
    payer_account_column="payer_account",
)
# The usual columns of a Chinese bank's 交易明细 export.
CN_BANK_PROFILE = CsvProfile(
    name="cn_bank",
    date_column="交易日期",
    credit_column="贷方发生额",
    debit_column="借方发生额",
    currency_column="币种",
    reference_column="流水号",
    remittance_columns=("摘要", "用途", "附言"),
    payer_name_column="对方户名",
    payer_account_column="对方账号",
)
BUILT_IN_PROFILES = {p.name: p for p in (GENERIC_PROFILE, CN_BANK_PROFILE)}


def parse_csv(data: bytes, profile: CsvProfile = GENERIC_PROFILE) -> StatementFile:
    """Parse a CSV export with a column-mapping profile."""
    text = decode(data)
    rows = list(_rows(text, profile.delimiter))[profile.skip_lines :]
    if not rows:
        raise StatementFormatError("the file has no header row", detail_zh="文件没有表头行", location="line 1")
    header_line, header = rows[0]
    columns = {normalise_header(name): n for n, name in enumerate(header)}

    def index(name: str | None) -> int | None:
        if name is None:
            return None
        found = columns.get(normalise_header(name))
        if found is None:
            raise StatementFormatError(
                f"profile '{profile.name}' needs a column '{name}'",
                detail_zh=f"CSV 配置“{profile.name}”需要“{name}”列",
                location=f"line {header_line}",
            )
        return found

    date_at = index(profile.date_column)
    amount_at, credit_at, debit_at = (
        index(profile.amount_column),
        index(profile.credit_column),
        index(profile.debit_column),
    )
    if amount_at is None and credit_at is None:
        raise StatementFormatError(
            f"profile '{profile.name}' maps no amount column",
            detail_zh=f"CSV 配置“{profile.name}”没有指定金额列",
            location=f"line {header_line}",
        )
    optional = {
        key: columns.get(normalise_header(name)) if name else None
        for key, name in (
            ("currency", profile.currency_column),
            ("reference", profile.reference_column),
            ("name", profile.payer_name_column),
            ("account", profile.payer_account_column),
        )
    }
    remittance_at = [columns[c] for c in map(normalise_header, profile.remittance_columns) if c in columns]
    lines = []
    for number, row in rows[1:]:
        location = f"line {number}"
        if len(row) < len(header):
            raise StatementFormatError(
                f"{len(row)} columns where the header has {len(header)}",
                detail_zh=f"该行只有 {len(row)} 列，而表头有 {len(header)} 列",
                location=location,
            )

        def get(at: int | None, row: list[str] = row) -> str:
            return _cell(row[at]) if at is not None else ""

        if amount_at is not None:
            signed = _amount(get(amount_at), location, decimal_comma=profile.decimal_comma)
        else:
            signed = _amount(get(credit_at), location, decimal_comma=profile.decimal_comma) - abs(
                _amount(get(debit_at), location, decimal_comma=profile.decimal_comma)
            )
        if signed == 0:
            continue
        currency = (get(optional["currency"]) or profile.default_currency).upper()
        currency = {"人民币": "CNY", "RMB": "CNY"}.get(currency, currency)
        lines.append(
            StatementLine(
                amount=abs(signed),
                currency=currency,
                direction="credit" if signed > 0 else "debit",
                booking_date=_date(get(date_at), location, profile.date_format),
                bank_reference=get(optional["reference"]) or None,
                remittance=" ".join(get(i) for i in remittance_at if get(i)) or None,
                counterparty_name=get(optional["name"]) or None,
                counterparty_account=get(optional["account"]) or None,
                source_location=location,
            )
        )
    return StatementFile(
        f"csv:{profile.name}", (Statement(None, None, None, lines=tuple(lines)),), len(text.splitlines())
    )


# --- Alipay -----------------------------------------------------------------------------

_ALIPAY_END = re.compile(r"^#-*.*(列表结束|结束)-*")


def _alipay_table(text: str) -> tuple[int, dict[str, int], list[tuple[int, list[str]]], dict[str, str]]:
    header: tuple[int, dict[str, int]] | None = None
    body: list[tuple[int, list[str]]] = []
    meta: dict[str, str] = {}
    ended = False
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        if line.startswith("#"):
            if header is not None and _ALIPAY_END.match(line):
                ended = True
            match = re.match(r"^#\s*([^:：]+)[:：]\s*(.*)$", line.strip())
            if match and not ended:
                meta[match.group(1).strip()] = match.group(2).strip()
            continue
        if ended:
            continue  # totals after the end marker are not transactions
        cells = [c.strip() for c in next(csv.reader([line]))]
        if header is None:
            header = (number, {normalise_header(c): n for n, c in enumerate(cells) if c})
            continue
        body.append((number, cells))
    if header is None:
        raise StatementFormatError(
            "no header row after the # comment lines", detail_zh="# 注释行之后没有表头行", location="line 1"
        )
    return header[0], header[1], body, meta


def parse_alipay(data: bytes) -> StatementFile:
    """Parse an Alipay merchant bill: the fund flow (账务明细) or the trade detail (业务明细)."""
    text = decode(data)
    header_line, columns, body, meta = _alipay_table(text)
    fund_flow = "账务流水号" in columns
    if not fund_flow and "支付宝交易号" not in columns:
        raise StatementFormatError(
            "neither 账务流水号 nor 支付宝交易号 in the header",
            detail_zh="表头中既没有“账务流水号”也没有“支付宝交易号”",
            location=f"line {header_line}",
        )

    def col(row: list[str], *names: str) -> str:
        for name in names:
            at = columns.get(normalise_header(name))
            if at is not None and at < len(row):
                return _cell(row[at])
        return ""

    lines = []
    for number, row in body:
        location = f"line {number}"
        if len(row) < len(columns):
            raise StatementFormatError(
                f"{len(row)} columns where the header has {len(columns)}",
                detail_zh=f"该行只有 {len(row)} 列，而表头有 {len(columns)} 列",
                location=location,
            )
        order = col(row, "商户订单号")
        goods = col(row, "商品名称")
        note = col(row, "备注")
        remittance = " ".join(p for p in (order, goods, note) if p) or None
        if fund_flow:
            income = _amount(col(row, "收入金额(+元)"), location)
            spent = abs(_amount(col(row, "支出金额(-元)"), location))
            signed = income - spent
            kind = col(row, "业务类型")
            when = col(row, "发生时间")
            reference = col(row, "账务流水号")
            counterparty_account = col(row, "对方账号") or None
            counterparty_name = None
        else:
            kind = col(row, "业务类型")
            signed = _amount(col(row, "商家实收(元)", "订单金额(元)"), location)
            if kind == "退款" and signed > 0:
                signed = -signed
            when = col(row, "完成时间", "创建时间")
            reference = col(row, "支付宝交易号")
            if kind == "退款":
                reference = f"{reference}/{col(row, '退款批次号/请求号')}"
            counterparty_account = col(row, "对方账户") or None
            counterparty_name = None
        if signed == 0:
            continue
        lines.append(
            StatementLine(
                amount=abs(signed),
                currency="CNY",
                direction="credit" if signed > 0 else "debit",
                booking_date=_date(when, location),
                reversal="退款" in kind,
                bank_reference=reference or None,
                end_to_end_id=order or None,
                remittance=remittance,
                counterparty_name=counterparty_name,
                counterparty_account=counterparty_account,
                transaction_code=kind or None,
                source_location=location,
            )
        )
    account = (meta.get("账号") or meta.get("支付宝账户") or "").strip("[]") or None
    statement = Statement(statement_id=None, account=account, currency="CNY", lines=tuple(lines))
    return StatementFile("alipay", (statement,), len(text.splitlines()))


# --- WeChat Pay ---------------------------------------------------------------------------


def parse_wechat(data: bytes) -> StatementFile:
    """Parse a WeChat Pay merchant trade bill (交易账单): backtick values, totals rows at the end."""
    text = decode(data)
    rows = list(_rows(text))
    if not rows:
        raise StatementFormatError("the file is empty", detail_zh="文件是空的", location="line 1")
    header_line, header = rows[0]
    columns = {normalise_header(c): n for n, c in enumerate(header)}
    if "微信订单号" not in columns or "交易时间" not in columns:
        raise StatementFormatError(
            "no 交易时间 / 微信订单号 header",
            detail_zh="表头中缺少“交易时间”或“微信订单号”列",
            location=f"line {header_line}",
        )

    def col(row: list[str], *names: str) -> str:
        for name in names:
            at = columns.get(normalise_header(name))
            if at is not None and at < len(row):
                return _cell(row[at])
        return ""

    lines = []
    for number, row in rows[1:]:
        location = f"line {number}"
        if normalise_header(row[0]).startswith("总交易单数"):
            break  # the totals header; the row after it is the totals
        if len(row) < len(header):
            raise StatementFormatError(
                f"{len(row)} columns where the header has {len(header)}",
                detail_zh=f"该行只有 {len(row)} 列，而表头有 {len(header)} 列",
                location=location,
            )
        state = col(row, "交易状态")
        currency = col(row, "货币种类") or "CNY"
        currency = {"人民币": "CNY"}.get(currency, currency).upper()
        order = col(row, "商户订单号")
        transaction_id = col(row, "微信订单号")
        remittance = " ".join(p for p in (order, col(row, "商品名称"), col(row, "商户数据包")) if p) or None
        when = _date(col(row, "交易时间"), location)
        direction: Direction
        if state == "REFUND":
            amount = abs(_amount(col(row, "退款金额"), location))
            reference = f"{transaction_id}/{col(row, '微信退款单号')}"
            direction, reversal = "debit", True
        elif state == "SUCCESS":
            amount = _amount(col(row, "应结订单金额", "总金额", "订单金额"), location)
            reference, direction, reversal = transaction_id, "credit", False
        else:
            continue  # REVOKED, NOTPAY, CLOSED…: no money moved
        if amount == 0:
            continue
        lines.append(
            StatementLine(
                amount=amount,
                currency=currency,
                direction=direction,
                booking_date=when,
                reversal=reversal,
                bank_reference=reference,
                end_to_end_id=order or None,
                remittance=remittance,
                counterparty_account=col(row, "用户标识") or None,
                transaction_code=col(row, "交易类型") or None,
                source_location=location,
            )
        )
    merchant = col(rows[1][1], "商户号") if len(rows) > 1 else None
    statement = Statement(statement_id=None, account=merchant or None, currency="CNY", lines=tuple(lines))
    return StatementFile("wechat", (statement,), len(text.splitlines()))
