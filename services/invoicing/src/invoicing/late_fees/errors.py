"""Typed errors of late fees."""

from __future__ import annotations

from arflow.problems import Conflict, Unprocessable


class LateFeeOnLateFee(Conflict):
    code, title = "late_fee_on_late_fee", "Late fee on a late-fee invoice"


class InvoiceNotOverdue(Unprocessable):
    code, title = "invoice_not_overdue", "Invoice is not overdue"


class LateFeeAlreadyCharged(Conflict):
    code, title = "late_fee_already_charged", "Late fee already charged"


class NothingToCharge(Unprocessable):
    code, title = "nothing_to_charge", "Nothing to charge"
