"""Typed errors of cases."""

from __future__ import annotations

from arflow.problems import Conflict


class CaseNotHeld(Conflict):
    code, title = "case_not_held", "Dunning case is not on hold"
