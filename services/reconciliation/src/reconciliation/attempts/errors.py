"""Errors of payment attempts."""

from __future__ import annotations

from arflow.problems import Conflict, NotFound, Unprocessable


class PaymentAttemptNotFound(NotFound):
    code, title, title_zh = "payment_attempt_not_found", "Payment attempt not found", "支付订单不存在"


class InvoiceNotPayable(Conflict):
    code, title, title_zh = "invoice_not_payable", "Invoice owes nothing", "该账单已无欠款"


class OrderIdTaken(Conflict):
    code, title, title_zh = "order_id_taken", "Order id already used", "订单号已被使用"


class AttemptAmountInvalid(Unprocessable):
    code, title, title_zh = "attempt_amount_invalid", "Amount invalid for this invoice", "支付金额与发票不符"


class OrderIdInvalid(Unprocessable):
    code, title, title_zh = "order_id_invalid", "Order id invalid", "订单号无效"


class AttemptNotOpen(Conflict):
    code, title, title_zh = "payment_attempt_not_open", "Payment attempt not open", "支付订单已结束"
