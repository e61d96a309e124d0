"""Typed errors of payment terms."""

from __future__ import annotations

from arflow.problems import Conflict, Unprocessable


class TermsCodeTaken(Conflict):
    code, title = "payment_terms_code_taken", "Payment terms code is taken"


class InvalidTerms(Unprocessable):
    code, title = "invalid_payment_terms", "Payment terms are not valid"
