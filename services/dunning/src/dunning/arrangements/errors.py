"""Typed errors of payment plans."""

from __future__ import annotations

from arflow.problems import Conflict, NotFound, Unprocessable


class InvalidPaymentPlan(Unprocessable):
    code, title, title_zh = "invalid_payment_plan", "Payment plan is not valid", "分期还款协议无效"


class PaymentPlanNotFound(NotFound):
    code, title, title_zh = "payment_plan_not_found", "Payment plan not found", "分期还款协议不存在"


class PaymentPlanExists(Conflict):
    code, title, title_zh = "payment_plan_exists", "Case has an active payment plan", "案件已有生效中的分期还款协议"


class InvalidSettlement(Unprocessable):
    code, title, title_zh = "invalid_settlement", "Settlement offer is not valid", "和解方案无效"


class SettlementOfferExists(Conflict):
    code, title, title_zh = "settlement_offer_exists", "Case has an open settlement offer", "案件已有未结和解方案"


class SettlementOfferNotFound(NotFound):
    code, title, title_zh = "settlement_offer_not_found", "Settlement offer not found", "和解方案不存在"
