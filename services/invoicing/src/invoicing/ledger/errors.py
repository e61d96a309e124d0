"""Typed errors of the ledger (credit notes)."""

from __future__ import annotations

from arflow.problems import Conflict, Unprocessable


class InvoiceNotOpen(Conflict):
    """Here, with the lowest noun that refuses an invoice no longer open; invoices and late fees raise it too."""

    code, title = "invoice_not_open", "Invoice is not open"


class AmountNotExact(Unprocessable):
    code, title = "amount_not_exact", "Amount is finer than the currency allows"


class CreditExceedsBalance(Unprocessable):
    code, title = "credit_exceeds_balance", "Credit exceeds the open balance"
