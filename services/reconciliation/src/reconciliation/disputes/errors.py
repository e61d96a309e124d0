"""Errors of disputes."""

from __future__ import annotations

from arflow.problems import Conflict, NotFound, Unprocessable


class InvoiceNotOpen(Conflict):
    """The invoice is paid or void: there is nothing to dispute (409; an allocation's is a 422)."""

    code, title, title_zh = "invoice_not_open", "Invoice is not open", "账单不是未结状态"


class DisputeAlreadyOpen(Conflict):
    code, title, title_zh = "dispute_already_open", "Dispute already open", "争议已存在"


class DisputeCurrencyMismatch(Unprocessable):
    code, title, title_zh = "dispute_currency_mismatch", "Dispute in another currency", "争议币种与账单不符"


class DisputeAmountInvalid(Unprocessable):
    code, title, title_zh = "dispute_amount_invalid", "Dispute amount invalid", "争议金额无效"


class DisputeNotFound(NotFound):
    code, title, title_zh = "dispute_not_found", "Dispute not found", "争议不存在"


class DisputeAlreadyResolved(Conflict):
    code, title, title_zh = "dispute_already_resolved", "Dispute already resolved", "争议已解决"
