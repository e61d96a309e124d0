"""OFX / QFX bank statements (SGML 1.x and XML 2.x), read with ofxtools.

FITID is the bank's id of a transaction: lines are deduplicated on it, which is
what makes overlapping OFX downloads safe to import.
"""

from __future__ import annotations

import io
from decimal import Decimal

from ofxtools.Parser import OFXTree

from reconciliation.statements.parsers.model import (
    Balance,
    Statement,
    StatementFile,
    StatementFormatError,
    StatementLine,
)


def parse_ofx(data: bytes) -> StatementFile:
    """Parse an OFX document into its bank and card statements."""
    tree = OFXTree()
    try:
        tree.parse(io.BytesIO(data))
        ofx = tree.convert()
    except Exception as exc:  # ofxtools raises its own errors and assorted ValueErrors
        raise StatementFormatError(
            f"OFX not understood: {exc}", detail_zh=f"无法解析 OFX 文件：{exc}", location=_location(exc)
        ) from None
    statements = []
    for stmt in ofx.statements:
        currency = str(stmt.curdef)
        account = getattr(stmt.account, "acctid", None)
        balances = []
        ledger = getattr(stmt, "ledgerbal", None)
        if ledger is not None:
            balances.append(Balance("closing", Decimal(ledger.balamt), currency, ledger.dtasof.date()))
        lines = []
        for position, txn in enumerate(stmt.banktranlist or [], start=1):
            amount = Decimal(txn.trnamt)
            lines.append(
                StatementLine(
                    amount=abs(amount),
                    currency=str(getattr(txn, "currency", None) or currency),
                    direction="credit" if amount > 0 else "debit",
                    booking_date=txn.dtposted.date(),
                    value_date=txn.dtavail.date() if getattr(txn, "dtavail", None) else None,
                    bank_reference=txn.fitid,
                    remittance=" ".join(p for p in (txn.memo, getattr(txn, "checknum", None)) if p) or None,
                    counterparty_name=txn.name,
                    transaction_code=txn.trntype,
                    source_location=f"STMTTRN {position}",
                )
            )
        statements.append(
            Statement(
                statement_id=None, account=account, currency=currency, balances=tuple(balances), lines=tuple(lines)
            )
        )
    if not statements:
        raise StatementFormatError(
            "the OFX document holds no statement", detail_zh="OFX 文件中没有任何对账单", location="OFX"
        )
    return StatementFile("ofx", tuple(statements), source_lines=data.count(b"\n") + 1)


def _location(exc: Exception) -> str:
    text = str(exc)
    return "OFX" if not text else f"OFX ({text[:80]})"
