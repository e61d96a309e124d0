"""Errors of the gateway webhooks: a notification that is not the gateway's, or not one we can read."""

from __future__ import annotations

from arflow.problems import NotFound, Problem, Unprocessable


class GatewayNotConfigured(NotFound):
    code, title = "gateway_not_configured", "Gateway not configured"


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
