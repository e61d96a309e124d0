"""Typed errors of policies."""

from __future__ import annotations

from arflow.problems import Conflict, NotFound, Unprocessable


class InvalidPolicy(Unprocessable):
    code, title, title_zh = "invalid_policy", "Policy is not valid", "催收策略无效"


class UnknownTemplate(Unprocessable):
    code, title, title_zh = "unknown_template", "Template not found", "模板不存在"


class PolicyExists(Conflict):
    code, title, title_zh = "policy_exists", "Policy exists", "催收策略已存在"


class PolicyNotFound(NotFound):
    code, title, title_zh = "policy_not_found", "Policy not found", "催收策略不存在"


class HandoverNotApplicable(Conflict):
    code, title, title_zh = "handover_not_applicable", "Legal handover no longer applies", "已不能移交法务"
