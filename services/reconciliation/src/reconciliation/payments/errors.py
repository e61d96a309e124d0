"""Errors of payments and their allocations."""

from __future__ import annotations

from arflow.problems import NotFound, Unprocessable
from reconciliation import domain


class PaymentNotFound(NotFound):
    code, title, title_zh = "payment_not_found", "Payment not found", "付款不存在"


class ReceivedOnInFuture(Unprocessable):
    code, title, title_zh = "received_on_in_future", "Received in the future", "收款日期在未来"


class InvalidDateRange(Unprocessable):
    code, title, title_zh = "invalid_date_range", "Invalid date range", "日期范围无效"


class AllocationDuplicateInvoice(Unprocessable):
    code, title, title_zh = "allocation_duplicate_invoice", "Invoice allocated twice", "同一账单被重复核销"


class InvoiceNotAllocatable(Unprocessable):
    """An allocation names an invoice that is not an open item of the customer (422; a dispute's is a 409)."""

    code, title, title_zh = "invoice_not_open", "Invoice is not open", "账单不是未结状态"


class AllocationCurrencyMismatch(Unprocessable):
    code, title, title_zh = "allocation_currency_mismatch", "Allocation in another currency", "核销币种与账单不符"


class AllocationExceedsBalance(Unprocessable):
    code, title, title_zh = "allocation_exceeds_balance", "Allocation exceeds the balance", "核销金额超过账单余额"


class AllocationsExceedPayment(Unprocessable):
    code, title, title_zh = "allocations_exceed_payment", "Allocations exceed the payment", "核销总额超过付款金额"


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
    return _REJECTED[rejected.code](rejected.detail, detail_zh=rejected.detail_zh)


# A payment's status as a Chinese detail says it (the English detail names the status as stored).
_PAYMENT_STATUS_ZH = {"matched": "已匹配", "unmatched": "待审核", "reversed": "已冲回", "split": "已拆分"}


def payment_status_zh(status: str) -> str:
    """The Chinese word for a payment status, for the `detail_zh` of the errors that name it."""
    return _PAYMENT_STATUS_ZH.get(status, status)
