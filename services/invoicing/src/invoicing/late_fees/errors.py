"""Typed errors of late fees."""

from __future__ import annotations

from arflow.problems import Conflict, Unprocessable


class LateFeeOnLateFee(Conflict):
    code, title, title_zh = "late_fee_on_late_fee", "Late fee on a late-fee invoice", "不能对滞纳金账单再收滞纳金"


class InvoiceNotOverdue(Unprocessable):
    code, title, title_zh = "invoice_not_overdue", "Invoice is not overdue", "账单未逾期"


class LateFeeAlreadyCharged(Conflict):
    code, title, title_zh = "late_fee_already_charged", "Late fee already charged", "滞纳金已收取"


class NothingToCharge(Unprocessable):
    code, title, title_zh = "nothing_to_charge", "Nothing to charge", "没有可收取的金额"
