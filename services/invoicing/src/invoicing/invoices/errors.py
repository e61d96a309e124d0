"""Typed errors of invoices."""

from __future__ import annotations

from arflow.problems import Conflict, Unprocessable


class InvoiceNotDraft(Conflict):
    code, title = "invoice_not_draft", "Invoice is not a draft"


class InvoiceTotalZero(Unprocessable):
    code, title = "invoice_total_zero", "Invoice totals zero"


class InvoiceHasSettlements(Conflict):
    code, title = "invoice_has_settlements", "Invoice has settlements"


class WriteOffBeforeInvoice(Unprocessable):
    code, title = "write_off_before_invoice", "Write-off before the invoice date"
