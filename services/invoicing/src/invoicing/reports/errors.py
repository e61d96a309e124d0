"""Typed errors of reports (contracts share the period check)."""

from __future__ import annotations

from arflow.problems import Unprocessable


class InvalidPeriod(Unprocessable):
    code, title, title_zh = "invalid_period", "Period is not valid", "期间无效"
