"""Errors of the gateway webhooks: a notification that is not the gateway's, or not one we can read."""

from __future__ import annotations

from arflow.problems import Problem, Unprocessable


class GatewayNotConfigured(Problem):
    """503, not 404: the endpoint exists and the gateway should keep retrying until its keys are set.

    A gateway retries a notification it could not deliver (Stripe for three days, Alipay and
    WeChat Pay on a schedule of their own), so a payment notified before the keys are in
    place is delivered afterwards instead of being lost.
    """

    status, code, title, title_zh = 503, "gateway_not_configured", "Gateway not configured", "支付网关未配置"


class SignatureInvalid(Problem):
    status, code, title = 400, "signature_invalid", "Signature rejected"


class TimestampInvalid(SignatureInvalid):
    code, title = "timestamp_invalid", "Signature rejected"


class TimestampStale(SignatureInvalid):
    code, title = "timestamp_stale", "Signature rejected"


class AccountMismatch(SignatureInvalid):
    code, title = "account_mismatch", "Signature rejected"


class UnknownKey(SignatureInvalid):
    code, title = "unknown_key", "Signature rejected"


class NotificationMalformed(Unprocessable):
    code, title = "notification_malformed", "Notification malformed"


# The problem answering each way providers.SignatureRejected says a notification is not the gateway's.
SIGNATURE_REJECTED: dict[str, type[SignatureInvalid]] = {
    problem.code: problem
    for problem in (SignatureInvalid, TimestampInvalid, TimestampStale, AccountMismatch, UnknownKey)
}
