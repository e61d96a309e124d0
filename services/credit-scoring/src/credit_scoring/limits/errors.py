"""Errors of the credit limits and their manual overrides."""

from arflow.problems import NotFound, Unprocessable


class LimitUnknown(NotFound):
    code, title, title_zh = "limit_unknown", "Credit limit unknown", "信用额度未知"


class OverrideNotFound(NotFound):
    code, title, title_zh = "override_not_found", "Manual limit not found", "人工额度不存在"


class OverrideExpired(Unprocessable):
    code, title, title_zh = "override_expired", "Override already expired", "人工额度已过期"


class CurrencyMismatch(Unprocessable):
    code, title, title_zh = "currency_mismatch", "Currency mismatch", "币种不一致"
