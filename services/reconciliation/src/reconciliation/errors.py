"""Errors more than one noun answers with."""

from __future__ import annotations

from arflow.problems import Problem


class PayloadTooLarge(Problem):
    """A statement upload or a gateway notification over its size limit."""

    status, code, title, title_zh = 413, "payload_too_large", "Payload too large", "请求体过大"
