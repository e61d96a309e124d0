"""Errors of approval notices."""

from __future__ import annotations

from arflow.problems import NotFound


class ApprovalNoticeNotFound(NotFound):
    code, title, title_zh = "approval_notice_not_found", "Approval notice not found", "审批通知不存在"
