"""Errors of payments and their allocations."""

from __future__ import annotations

from arflow.problems import NotFound, Unprocessable
from reconciliation import domain


class PaymentNotFound(NotFound):
    code, title = "payment_not_found", "Payment not found"


class ReceivedOnInFuture(Unprocessable):
    code, title = "received_on_in_future", "Received in the future"


class InvalidDateRange(Unprocessable):
    code, title = "invalid_date_range", "Invalid date range"


class AllocationDuplicateInvoice(Unprocessable):
    code, title = "allocation_duplicate_invoice", "Invoice allocated twice"


class InvoiceNotAllocatable(Unprocessable):
    """An allocation names an invoice that is not an open item of the customer (422; a dispute's is a 409)."""

    code, title = "invoice_not_open", "Invoice is not open"


class AllocationCurrencyMismatch(Unprocessable):
    code, title = "allocation_currency_mismatch", "Allocation in another currency"


class AllocationExceedsBalance(Unprocessable):
    code, title = "allocation_exceeds_balance", "Allocation exceeds the balance"


class AllocationsExceedPayment(Unprocessable):
    code, title = "allocations_exceed_payment", "Allocations exceed the payment"


_REJECTED: dict[str, type[Unprocessable]] = {
    problem.code: problem
    for problem in (
        AllocationDuplicateInvoice,
        InvoiceNotAllocatable,
        AllocationCurrencyMismatch,
        AllocationExceedsBalance,
        AllocationsExceedPayment,
    )
}


def allocation_rejected(rejected: domain.AllocationRejected) -> Unprocessable:
    """The problem answering the rule the domain says requested allocations break."""
    return _REJECTED[rejected.code](rejected.detail)
