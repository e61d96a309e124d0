"""Errors of approvals."""

from __future__ import annotations

from arflow.problems import Conflict, Forbidden, NotFound


class ApprovalNotFound(NotFound):
    code, title, title_zh = "approval_not_found", "Approval not found", "审批不存在"


class ApprovalActionUnknown(NotFound):
    code, title, title_zh = "approval_action_unknown", "No such guarded action", "没有此需审批的操作"


class SelfApproval(Forbidden):
    code, title, title_zh = "self_approval", "Own request", "不能审批自己的申请"


class ApproverScopeMissing(Forbidden):
    code, title, title_zh = "approver_scope_missing", "Not an approver of this action", "无权审批此操作"


class ApprovalNotPending(Conflict):
    code, title, title_zh = "approval_not_pending", "Approval already decided", "审批已处理"


class ApprovalSubjectChanged(Conflict):
    code, title, title_zh = "approval_subject_changed", "Subject changed since the request", "申请后对象已变更"
