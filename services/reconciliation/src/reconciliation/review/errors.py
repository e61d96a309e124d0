"""Errors of the review queue."""

from __future__ import annotations

from arflow.problems import Conflict, Unprocessable


class PaymentNotUnmatched(Conflict):
    code, title = "payment_not_unmatched", "Payment is not awaiting review"


class PaymentNotMatched(Conflict):
    code, title = "payment_not_matched", "Payment is not matched"


class AmountNotExact(Unprocessable):
    code, title = "amount_not_exact", "Amount not exact"


class SuggestionNotFound(Unprocessable):
    code, title = "suggestion_not_found", "Suggestion not found"


class SplitDoesNotAddUp(Unprocessable):
    code, title = "split_does_not_add_up", "Split does not add up"
