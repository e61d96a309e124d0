"""Typed errors of reports (contracts share the period check)."""

from __future__ import annotations

from arflow.problems import Unprocessable


class InvalidPeriod(Unprocessable):
    code, title = "invalid_period", "Period is not valid"
