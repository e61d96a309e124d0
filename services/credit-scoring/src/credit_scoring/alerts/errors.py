"""Errors of the alerts."""

from arflow.problems import NotFound


class AlertNotFound(NotFound):
    code, title, title_zh = "alert_not_found", "Alert not found", "预警不存在"
