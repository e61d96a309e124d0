"""Typed errors of service contracts."""

from __future__ import annotations

from arflow.problems import Conflict


class ContractCancelled(Conflict):
    code, title = "contract_cancelled", "Contract is cancelled"


class ContractNotPaused(Conflict):
    code, title = "contract_not_paused", "Contract is not paused"
