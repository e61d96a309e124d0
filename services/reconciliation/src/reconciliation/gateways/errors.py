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
    status, code, title, title_zh = 400, "signature_invalid", "Signature rejected", "签名被拒绝"


class TimestampInvalid(SignatureInvalid):
    code, title, title_zh = "timestamp_invalid", "Signature rejected", "签名被拒绝"


class TimestampStale(SignatureInvalid):
    code, title, title_zh = "timestamp_stale", "Signature rejected", "签名被拒绝"


class AccountMismatch(SignatureInvalid):
    code, title, title_zh = "account_mismatch", "Signature rejected", "签名被拒绝"


class UnknownKey(SignatureInvalid):
    code, title, title_zh = "unknown_key", "Signature rejected", "签名被拒绝"


class NotificationMalformed(Unprocessable):
    code, title, title_zh = "notification_malformed", "Notification malformed", "通知格式错误"


# The problem answering each way providers.SignatureRejected says a notification is not the gateway's.
SIGNATURE_REJECTED: dict[str, type[SignatureInvalid]] = {
    problem.code: problem
    for problem in (SignatureInvalid, TimestampInvalid, TimestampStale, AccountMismatch, UnknownKey)
}
