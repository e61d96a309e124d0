"""Errors more than one noun answers with."""

from __future__ import annotations

from arflow.problems import Problem, Unprocessable


class PayloadTooLarge(Problem):
    """A statement upload or a gateway notification over its size limit."""

    status, code, title, title_zh = 413, "payload_too_large", "Payload too large", "请求体过大"


class InvoiceUnknown(Unprocessable):
    """A dispute or a payment attempt on an invoice reconciliation has not seen issued."""

    code, title, title_zh = "invoice_unknown", "Invoice unknown", "账单不存在"
