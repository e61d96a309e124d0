"""Typed errors of the ledger (credit notes)."""

from __future__ import annotations

from arflow.problems import Conflict, Unprocessable

# An invoice's status as a Chinese detail says it (the English detail names the status as stored).
_INVOICE_STATUS_ZH = {
    "draft": "草稿",
    "open": "未结",
    "paid": "已付清",
    "void": "已作废",
    "uncollectible": "已核销（坏账）",
}


def invoice_status_zh(status: str) -> str:
    """The Chinese word for an invoice status, for the `detail_zh` of the errors that name it."""
    return _INVOICE_STATUS_ZH.get(status, status)


class InvoiceNotOpen(Conflict):
    """Here, with the lowest noun that refuses an invoice no longer open; invoices and late fees raise it too."""

    code, title, title_zh = "invoice_not_open", "Invoice is not open", "账单不是未结状态"


class AmountNotExact(Unprocessable):
    code, title, title_zh = "amount_not_exact", "Amount is finer than the currency allows", "金额精度超出币种允许的位数"


class CreditExceedsBalance(Unprocessable):
    code, title, title_zh = "credit_exceeds_balance", "Credit exceeds the open balance", "贷项金额超过未结余额"
