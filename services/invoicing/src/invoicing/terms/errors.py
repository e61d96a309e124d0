"""Typed errors of payment terms."""

from __future__ import annotations

import re

from arflow.problems import Conflict, Unprocessable


class TermsCodeTaken(Conflict):
    code, title, title_zh = "payment_terms_code_taken", "Payment terms code is taken", "付款条件代码已被使用"


# The reasons schemas.check_terms gives, in Chinese; {kind} is the interest kind the terms name.
_REASONS_ZH = {
    "interest_rate must be a fraction between 0 and 1": "interest_rate（利率）须为 0 到 1 之间的小数",
    "interest_rate needs interest_kind daily or annual": (
        "设了 interest_rate（利率）时 interest_kind 须为 daily 或 annual"
    ),
    "interest_cap_ratio must be above 0 (and at most 10)": "interest_cap_ratio（利息上限比例）须大于 0（且不超过 10）",
    "late_fee must not be negative": "late_fee（滞纳金）不能为负数",
    "discount_rate and discount_days go together": "discount_rate（折扣率）与 discount_days（折扣天数）须同时设置",
    "discount_rate must be a fraction between 0 and 1": "discount_rate（折扣率）须为 0 到 1 之间的小数",
}
_KIND_NEEDS_RATE = re.compile(r"interest_kind (\w+) needs an interest_rate above 0")


def _reason_zh(reason: str) -> str:
    if (match := _KIND_NEEDS_RATE.fullmatch(reason)) is not None:
        return f"interest_kind 为 {match[1]} 时 interest_rate（利率）须大于 0"
    return _REASONS_ZH.get(reason, reason)


class InvalidTerms(Unprocessable):
    """Terms that break a rule of check_terms; the detail is its reason, in English and in Chinese."""

    code, title, title_zh = "invalid_payment_terms", "Payment terms are not valid", "付款条件无效"

    def __init__(self, reason: str) -> None:
        super().__init__(reason, detail_zh=f"付款条件无效：{_reason_zh(reason)}。")
