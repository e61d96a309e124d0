"""Errors of the alerts."""

from arflow.problems import NotFound


class AlertNotFound(NotFound):
    code, title = "alert_not_found", "Alert not found"
