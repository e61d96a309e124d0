"""Typed errors of cases."""

from __future__ import annotations

from arflow.problems import Conflict


class CaseNotHeld(Conflict):
    code, title, title_zh = "case_not_held", "Dunning case is not on hold", "催收案件未被暂停"
