"""Typed errors of policies."""

from __future__ import annotations

from arflow.problems import Conflict, Unprocessable


class InvalidPolicy(Unprocessable):
    code, title = "invalid_policy", "Policy is not valid"


class UnknownTemplate(Unprocessable):
    code, title = "unknown_template", "Template not found"


class PolicyExists(Conflict):
    code, title = "policy_exists", "Policy exists"
