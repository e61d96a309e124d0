"""Typed errors of the ledger (credit notes)."""

from __future__ import annotations

from arflow.problems import Conflict, Unprocessable


class InvoiceNotOpen(Conflict):
    """Here, with the lowest noun that refuses an invoice no longer open; invoices and late fees raise it too."""

    code, title, title_zh = "invoice_not_open", "Invoice is not open", "账单不是未结状态"


class AmountNotExact(Unprocessable):
    code, title, title_zh = "amount_not_exact", "Amount is finer than the currency allows", "金额精度超出币种允许的位数"


class CreditExceedsBalance(Unprocessable):
    code, title, title_zh = "credit_exceeds_balance", "Credit exceeds the open balance", "贷项金额超过未结余额"
