"""Typed errors of the disputes a collector records and resolves."""

from __future__ import annotations

from arflow.problems import Conflict, NotFound, Unprocessable


class DisputeInvoicesMissing(Unprocessable):
    code, title = "dispute_invoices_missing", "Disputed invoices are missing"
    title_zh = "缺少有争议的发票"


class InvoiceNotInCase(Unprocessable):
    code, title = "invoice_not_in_case", "Invoice is not an open item of the case"
    title_zh = "发票不是该催收案件的未结项"


class DisputeNotFound(NotFound):
    code, title = "dispute_not_found", "Dispute not found"
    title_zh = "未找到争议"


class DisputeAlreadyResolved(Conflict):
    code, title = "dispute_already_resolved", "Dispute is already resolved"
    title_zh = "争议已解决"


class DisputeFromReconciliation(Conflict):
    code, title = "dispute_from_reconciliation", "Dispute is resolved in reconciliation"
    title_zh = "该争议由对账服务处理"
