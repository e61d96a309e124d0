"""Typed errors of policies."""

from __future__ import annotations

from arflow.problems import Conflict, NotFound, Unprocessable


class InvalidPolicy(Unprocessable):
    code, title = "invalid_policy", "Policy is not valid"


class UnknownTemplate(Unprocessable):
    code, title = "unknown_template", "Template not found"


class PolicyExists(Conflict):
    code, title = "policy_exists", "Policy exists"


class PolicyNotFound(NotFound):
    code, title = "policy_not_found", "Policy not found"
