"""Errors of disputes."""

from __future__ import annotations

from arflow.problems import Conflict, NotFound, Unprocessable


class InvoiceUnknown(Unprocessable):
    code, title = "invoice_unknown", "Invoice unknown"


class InvoiceNotOpen(Conflict):
    """The invoice is paid or void: there is nothing to dispute (409; an allocation's is a 422)."""

    code, title = "invoice_not_open", "Invoice is not open"


class DisputeAlreadyOpen(Conflict):
    code, title = "dispute_already_open", "Dispute already open"


class DisputeCurrencyMismatch(Unprocessable):
    code, title = "dispute_currency_mismatch", "Dispute in another currency"


class DisputeAmountInvalid(Unprocessable):
    code, title = "dispute_amount_invalid", "Dispute amount invalid"


class DisputeNotFound(NotFound):
    code, title = "dispute_not_found", "Dispute not found"


class DisputeAlreadyResolved(Conflict):
    code, title = "dispute_already_resolved", "Dispute already resolved"
