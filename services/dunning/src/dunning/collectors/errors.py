"""Typed errors of collectors, their assignments, worklists and results."""

from __future__ import annotations

from arflow.problems import Conflict, NotFound, Unprocessable


class CollectorNotFound(NotFound):
    code, title, title_zh = "collector_not_found", "Collector not found", "催收员不存在"


class CollectorInactive(Conflict):
    code, title, title_zh = "collector_inactive", "Collector is not active", "催收员未在岗"


class InvalidAmountBand(Unprocessable):
    code, title, title_zh = "invalid_amount_band", "Amount band is not valid", "金额区间无效"


class CollectorRequired(Unprocessable):
    code, title, title_zh = "collector_required", "Name the collector", "请指定催收员"


class InvalidPeriod(Unprocessable):
    code, title, title_zh = "invalid_period", "Period is not valid", "期间无效"


class UnknownRegion(Unprocessable):
    code, title, title_zh = "unknown_region", "Region is not known", "地区代码无效"
