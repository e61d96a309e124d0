"""Errors of the credit limits and their manual overrides."""

from arflow.problems import NotFound, Unprocessable


class LimitUnknown(NotFound):
    code, title = "limit_unknown", "Credit limit unknown"


class OverrideNotFound(NotFound):
    code, title = "override_not_found", "Manual limit not found"


class OverrideExpired(Unprocessable):
    code, title = "override_expired", "Override already expired"


class CurrencyMismatch(Unprocessable):
    code, title = "currency_mismatch", "Currency mismatch"
