"""Typed errors of service contracts."""

from __future__ import annotations

from arflow.problems import Conflict


class ContractCancelled(Conflict):
    code, title, title_zh = "contract_cancelled", "Contract is cancelled", "合同已取消"


class ContractNotPaused(Conflict):
    code, title, title_zh = "contract_not_paused", "Contract is not paused", "合同未暂停"
