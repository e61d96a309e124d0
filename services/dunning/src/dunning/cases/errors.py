"""Typed errors of cases."""

from __future__ import annotations

from arflow.problems import Conflict


class CaseNotOpen(Conflict):
    code, title = "case_not_open", "Dunning case is not open"


class CaseNotHeld(Conflict):
    code, title = "case_not_held", "Dunning case is not on hold"
