"""Typed errors of the monthly collection plan."""

from __future__ import annotations

from arflow.problems import NotFound


class PlanNotFound(NotFound):
    code, title, title_zh = "plan_not_found", "Collection plan not found", "催收计划不存在"
