"""Typed errors of customers."""

from __future__ import annotations

from arflow.problems import Conflict, Unprocessable


class ExternalReferenceTaken(Conflict):
    code, title, title_zh = "external_reference_taken", "External reference is taken", "外部编号已被使用"


class CustomerConflict(Conflict):
    code, title, title_zh = "customer_conflict", "Customer conflicts with an existing one", "客户与现有客户冲突"


class DunningExclusionReasonMissing(Unprocessable):
    code, title, title_zh = "dunning_exclusion_reason_missing", "Dunning exclusion needs a reason", "免催收须说明原因"


class CustomerHasLedger(Conflict):
    code, title, title_zh = "customer_has_ledger", "Customer has a ledger", "客户已有账务记录"


class UnknownCustomer(Unprocessable):
    """A customer named by a new invoice or contract that does not exist."""

    code, title, title_zh = "customer_not_found", "Customer not found", "客户不存在"


class CustomerArchived(Unprocessable):
    code, title, title_zh = "customer_archived", "Customer is archived", "客户已归档"
