"""ISO 20022 camt.052 / camt.053 / camt.054, versions .001.02 to .001.08.

Namespace-agnostic: the document's own namespace is bound to the prefix `c`, so
one set of paths reads every version. Elements that moved between versions
(`Sts` became `Sts/Cd` in .08, the transaction amount moved from
`AmtDtls/TxAmt/Amt` to `Amt`, parties gained a `Pty` level) are read both ways.

A batch entry (`Btch`, several `TxDtls` each with its own amount adding up to
the entry) becomes one line per transaction; otherwise an entry is one line.
"""

from __future__ import annotations

import functools
import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import TypedDict

from lxml import etree

from reconciliation.domain import LARGEST_AMOUNT
from reconciliation.statements.parsers.model import (
    Balance,
    BalanceKind,
    Direction,
    EntryStatus,
    Statement,
    StatementFile,
    StatementFormatError,
    StatementLine,
)

_NAMESPACE = re.compile(r"^urn:iso:std:iso:20022:tech:xsd:camt\.05[234]\.001\.0[2-8]$")
_CONTAINERS = {"BkToCstmrStmt": "Stmt", "BkToCstmrDbtCdtNtfctn": "Ntfctn", "BkToCstmrAcctRpt": "Rpt"}
_BALANCE_KINDS: dict[str, BalanceKind] = {
    "OPBD": "opening",
    "PRCD": "opening",
    "CLBD": "closing",
    "ITBD": "intermediate_closing",
    "CLAV": "available",
}
_STATUS: dict[str, EntryStatus] = {"BOOK": "booked", "PDNG": "pending", "INFO": "information"}


def _parser() -> etree.XMLParser:
    """The parser of a statement, which is data and never instructions to the parser.

    No entities resolved (an external entity would read a file or a URL, an internal one could expand a
    billion times), no DTD loaded, no network, and libxml2's limits on depth and text size kept
    (`huge_tree=False`): a hostile file is refused, it never costs the service its memory.
    """
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def _where(element: etree._Element, name: str | None = None) -> str:
    path = etree.QName(element).localname + (f"/{name}" if name else "")
    return f"line {element.sourceline} ({path})"


@functools.lru_cache(maxsize=512)
def _prefixed(prefix: str, path: str) -> str:
    return "/".join(f"{prefix}{part}" if part and part[0].isalpha() else part for part in path.split("/"))


class _Reader:
    def __init__(self, namespace: str) -> None:
        self.ns = {"c": namespace} if namespace else {}
        self.prefix = "c:" if namespace else ""
        # Each path compiled once per document: an XPath object is evaluated in C, where ElementPath's
        # find re-reads its cache with the namespace map on every call (about a third of the time).
        self._compiled: dict[str, etree.XPath] = {}

    def findall(self, element: etree._Element, path: str) -> list[etree._Element]:
        compiled = self._compiled.get(path)
        if compiled is None:
            compiled = self._compiled[path] = etree.XPath(_prefixed(self.prefix, path), namespaces=self.ns)
        found: list[etree._Element] = compiled(element)
        return found

    def find(self, element: etree._Element, path: str) -> etree._Element | None:
        found = self.findall(element, path)
        return found[0] if found else None

    def text(self, element: etree._Element, *paths: str) -> str | None:
        for path in paths:
            found = self.find(element, path)
            text: str | None = None if found is None else found.text
            if text and text.strip():
                return text.strip()
        return None

    def amount(self, element: etree._Element, path: str) -> tuple[Decimal, str] | None:
        found = self.find(element, path)
        if found is None:
            return None
        try:
            value = Decimal((found.text or "").strip())
        except InvalidOperation:
            raise StatementFormatError(
                f"'{found.text}' is not an amount", detail_zh=f"“{found.text}”不是金额", location=_where(found)
            ) from None
        if not value.is_finite() or value < 0:
            raise StatementFormatError(
                f"'{found.text}' is not a positive amount",
                detail_zh=f"“{found.text}”不是正数金额",
                location=_where(found),
            )
        if value > LARGEST_AMOUNT:
            raise StatementFormatError(
                f"'{found.text}' is more than a payment holds (999,999,999,999,999.99)",
                detail_zh=f"“{found.text}”超过了单笔收款的上限（999,999,999,999,999.99）",
                location=_where(found),
            )
        currency = (found.get("Ccy") or "").strip().upper()
        if not re.fullmatch(r"[A-Z]{3}", currency):
            raise StatementFormatError(
                "the amount has no valid Ccy attribute",
                detail_zh="金额缺少有效的 Ccy（币种）属性",
                location=_where(found),
            )
        return value, currency

    def date(self, element: etree._Element, path: str) -> date | None:
        raw = self.text(element, f"{path}/Dt", f"{path}/DtTm")
        if raw is None:
            return None
        try:
            return date.fromisoformat(raw[:10])
        except ValueError:
            raise StatementFormatError(
                f"'{raw}' is not a date", detail_zh=f"“{raw}”不是日期", location=_where(element, path)
            ) from None


def parse_camt(data: bytes) -> StatementFile:
    """Parse a camt.052/053/054 document into statements."""
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        raise StatementFormatError(
            f"not well-formed XML: {exc.msg}", detail_zh=f"XML 格式不正确：{exc.msg}", location=f"line {exc.lineno}"
        ) from None
    except ValueError as exc:  # lxml refuses e.g. a declared encoding it cannot honour
        raise StatementFormatError(
            f"not readable XML: {exc}", detail_zh=f"无法读取该 XML：{exc}", location="line 1"
        ) from None
    if root.getroottree().docinfo.doctype:
        # A camt document has no DOCTYPE; one that declares entities is an attack (XXE, billion laughs).
        raise StatementFormatError(
            "a camt document has no DOCTYPE; entity declarations are refused",
            detail_zh="camt 文件不应包含 DOCTYPE；实体声明一律拒绝",
            location="DOCTYPE",
        )
    namespace = etree.QName(root).namespace or ""
    if namespace and not _NAMESPACE.match(namespace):
        raise StatementFormatError(
            f"unsupported namespace {namespace}", detail_zh=f"不支持的命名空间 {namespace}", location=_where(root)
        )
    reader = _Reader(namespace)
    container_name = next((c for c in _CONTAINERS if reader.find(root, c) is not None), None)
    if container_name is None:
        raise StatementFormatError(
            "no BkToCstmrStmt, BkToCstmrDbtCdtNtfctn or BkToCstmrAcctRpt",
            detail_zh="文件中没有 BkToCstmrStmt、BkToCstmrDbtCdtNtfctn 或 BkToCstmrAcctRpt",
            location=_where(root),
        )
    container = reader.find(root, container_name)
    assert container is not None
    statements = tuple(
        _statement(reader, element) for element in reader.findall(container, _CONTAINERS[container_name])
    )
    kind = {"BkToCstmrStmt": "camt.053", "BkToCstmrDbtCdtNtfctn": "camt.054", "BkToCstmrAcctRpt": "camt.052"}
    return StatementFile(kind[container_name], statements, source_lines=data.count(b"\n") + 1)


def _statement(reader: _Reader, element: etree._Element) -> Statement:
    balances = []
    for bal in reader.findall(element, "Bal"):
        code = reader.text(bal, "Tp/CdOrPrtry/Cd", "Tp/CdOrPrtry/Prtry")
        kind = _BALANCE_KINDS.get(code or "")
        amount = reader.amount(bal, "Amt")
        if kind is None or amount is None:
            continue
        sign = -1 if reader.text(bal, "CdtDbtInd") == "DBIT" else 1
        balances.append(Balance(kind, sign * amount[0], amount[1], reader.date(bal, "Dt")))
    lines: list[StatementLine] = []
    for entry in reader.findall(element, "Ntry"):
        lines.extend(_entry_lines(reader, entry))
    return Statement(
        statement_id=reader.text(element, "Id"),
        account=reader.text(element, "Acct/Id/IBAN", "Acct/Id/Othr/Id"),
        currency=reader.text(element, "Acct/Ccy"),
        sequence=reader.text(element, "ElctrncSeqNb", "LglSeqNb"),
        balances=tuple(balances),
        lines=tuple(lines),
    )


def _party(reader: _Reader, details: etree._Element, *roles: str) -> tuple[str | None, str | None]:
    for role in roles:
        name = reader.text(details, f"RltdPties/{role}/Nm", f"RltdPties/{role}/Pty/Nm")
        account = reader.text(details, f"RltdPties/{role}Acct/Id/IBAN", f"RltdPties/{role}Acct/Id/Othr/Id")
        if name or account:
            return name, account
    return None, None


def _transaction_code(reader: _Reader, entry: etree._Element) -> str | None:
    proprietary = reader.text(entry, "BkTxCd/Prtry/Cd")
    if proprietary:
        return proprietary
    parts = [reader.text(entry, p) for p in ("BkTxCd/Domn/Cd", "BkTxCd/Domn/Fmly/Cd", "BkTxCd/Domn/Fmly/SubFmlyCd")]
    return "/".join(p for p in parts if p) or None


def _remittance(reader: _Reader, details: etree._Element) -> list[str]:
    parts = [
        (e.text or "").strip()
        for path in ("RmtInf/Ustrd", "RmtInf/Strd/CdtrRefInf/Ref", "AddtlTxInf")
        for e in reader.findall(details, path)
    ]
    return [p for p in parts if p]


class _EntryFields(TypedDict):
    """What every line of one entry shares."""

    currency: str
    direction: Direction
    booking_date: date | None
    value_date: date | None
    status: EntryStatus
    reversal: bool
    transaction_code: str | None


def _entry_lines(reader: _Reader, entry: etree._Element) -> list[StatementLine]:
    amount = reader.amount(entry, "Amt")
    if amount is None:
        raise StatementFormatError(
            "an entry has no Amt", detail_zh="有一笔流水没有 Amt（金额）", location=_where(entry)
        )
    indicator = reader.text(entry, "CdtDbtInd")
    if indicator not in ("CRDT", "DBIT"):
        raise StatementFormatError(
            f"CdtDbtInd is '{indicator}', not CRDT or DBIT",
            detail_zh=f"CdtDbtInd（借贷标志）为“{indicator}”，而不是 CRDT 或 DBIT",
            location=_where(entry, "CdtDbtInd"),
        )
    direction: Direction = "credit" if indicator == "CRDT" else "debit"
    raw_status = reader.text(entry, "Sts/Cd", "Sts") or "BOOK"
    status = _STATUS.get(raw_status)
    if status is None:
        raise StatementFormatError(
            f"Sts is '{raw_status}'", detail_zh=f"Sts（流水状态）“{raw_status}”无法识别", location=_where(entry, "Sts")
        )
    common: _EntryFields = {
        "currency": amount[1],
        "direction": direction,
        "booking_date": reader.date(entry, "BookgDt"),
        "value_date": reader.date(entry, "ValDt"),
        "status": status,
        "reversal": (reader.text(entry, "RvslInd") or "").lower() in ("true", "1"),
        "transaction_code": _transaction_code(reader, entry),
    }
    entry_reference = reader.text(entry, "AcctSvcrRef")
    entry_info = reader.text(entry, "AddtlNtryInf")
    # The other side of the movement: who paid a credit, who was paid a debit (else whoever is named).
    party_role = "Dbtr" if direction == "credit" else "Cdtr"
    other_role = "Cdtr" if direction == "credit" else "Dbtr"
    details = reader.findall(entry, "NtryDtls/TxDtls")
    amounts = [reader.amount(d, "Amt") or reader.amount(d, "AmtDtls/TxAmt/Amt") for d in details]
    split = (
        len(details) > 1
        and all(a is not None and a[0] > 0 and a[1] == amount[1] for a in amounts)
        and sum(a[0] for a in amounts if a is not None) == amount[0]
    )
    if split:
        lines = []
        for n, (detail, detail_amount) in enumerate(zip(details, amounts, strict=True), start=1):
            assert detail_amount is not None
            name, account = _party(reader, detail, party_role, other_role)
            lines.append(
                StatementLine(
                    amount=detail_amount[0],
                    bank_reference=reader.text(detail, "Refs/AcctSvcrRef")
                    or (f"{entry_reference}/{n}" if entry_reference else None),
                    end_to_end_id=_end_to_end(reader, detail),
                    remittance=" ".join(_remittance(reader, detail)) or entry_info,
                    counterparty_name=name,
                    counterparty_account=account,
                    source_location=_where(detail),
                    **common,
                )
            )
        return lines
    texts: list[str] = []
    name = account = end_to_end = None
    for detail in details:
        texts.extend(_remittance(reader, detail))
        detail_name, detail_account = _party(reader, detail, party_role, other_role)
        name, account = name or detail_name, account or detail_account
        end_to_end = end_to_end or _end_to_end(reader, detail)
        entry_reference = entry_reference or reader.text(detail, "Refs/AcctSvcrRef")
    if entry_info:
        texts.append(entry_info)
    return [
        StatementLine(
            amount=amount[0],
            bank_reference=entry_reference,
            end_to_end_id=end_to_end,
            remittance=" ".join(dict.fromkeys(texts)) or None,
            counterparty_name=name,
            counterparty_account=account,
            source_location=_where(entry),
            **common,
        )
    ]


def _end_to_end(reader: _Reader, detail: etree._Element) -> str | None:
    value = reader.text(detail, "Refs/EndToEndId")
    if value in (None, "NOTPROVIDED"):
        return reader.text(detail, "Refs/UETR")
    return value
