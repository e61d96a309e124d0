"""Errors of the review queue."""

from __future__ import annotations

from arflow.problems import Conflict, Unprocessable


class PaymentNotUnmatched(Conflict):
    code, title, title_zh = "payment_not_unmatched", "Payment is not awaiting review", "付款不在待审核队列中"


class PaymentNotMatched(Conflict):
    code, title, title_zh = "payment_not_matched", "Payment is not matched", "付款尚未匹配"


class AmountNotExact(Unprocessable):
    code, title, title_zh = "amount_not_exact", "Amount not exact", "金额精度超出币种允许的位数"


class SuggestionNotFound(Unprocessable):
    code, title, title_zh = "suggestion_not_found", "Suggestion not found", "匹配建议不存在"


class SplitDoesNotAddUp(Unprocessable):
    code, title, title_zh = "split_does_not_add_up", "Split does not add up", "拆分金额合计与付款不符"
