"""Typed errors of cases."""

from __future__ import annotations

from arflow.problems import Conflict


class CaseNotHeld(Conflict):
    code, title, title_zh = "case_not_held", "Dunning case is not on hold", "催收案件未被暂停"


class CasePaused(Conflict):
    code, title, title_zh = "case_paused", "Dunning case is paused", "催收案件已暂停"


class NoNextStep(Conflict):
    code, title, title_zh = "no_next_step", "No next step to take", "没有可执行的下一步"


class NextStepChanged(Conflict):
    code, title, title_zh = "next_step_changed", "The next step has changed", "下一步已变化"


class StepNeedsApproval(Conflict):
    code, title, title_zh = "step_needs_approval", "The next step needs approval", "下一步须经审批"


class ContactNotAllowed(Conflict):
    code, title, title_zh = "contact_not_allowed", "The customer may not be contacted now", "现在不能联系客户"


class StepBlocked(Conflict):
    code, title, title_zh = "step_blocked", "The next step cannot be taken now", "下一步现在不能执行"
