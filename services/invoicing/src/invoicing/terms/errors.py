"""Typed errors of payment terms."""

from __future__ import annotations

from arflow.problems import Conflict, Unprocessable


class TermsCodeTaken(Conflict):
    code, title, title_zh = "payment_terms_code_taken", "Payment terms code is taken", "付款条件代码已被使用"


class InvalidTerms(Unprocessable):
    code, title, title_zh = "invalid_payment_terms", "Payment terms are not valid", "付款条件无效"
