"""Typed errors of invoices."""

from __future__ import annotations

from arflow.problems import Conflict, Unprocessable


class InvoiceNotDraft(Conflict):
    code, title, title_zh = "invoice_not_draft", "Invoice is not a draft", "账单不是草稿"


class InvoiceTotalZero(Unprocessable):
    code, title, title_zh = "invoice_total_zero", "Invoice totals zero", "账单金额为零"


class InvoiceHasSettlements(Conflict):
    code, title, title_zh = "invoice_has_settlements", "Invoice has settlements", "账单已有收款或冲销"


class WriteOffBeforeInvoice(Unprocessable):
    code, title, title_zh = "write_off_before_invoice", "Write-off before the invoice date", "核销日期早于账单日期"
