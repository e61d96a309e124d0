"""Typed errors of customers."""

from __future__ import annotations

from typing import Any

from arflow.i18n import Language
from arflow.problems import Conflict, Unprocessable
from invoicing.domain import UsccFault


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


_USCC_FAULTS: dict[UsccFault, tuple[str, str]] = {
    "length": ("must be 18 characters", "须为 18 位"),
    "format": (
        "must have digits in positions 1-8 (a letter only for authorities A, N and Y in position 1) and "
        "digits or capital letters other than I, O, S, V, Z in positions 9-18",
        "第 1–8 位须为数字（仅登记管理部门 A、N、Y 的第 1 位为字母），第 9–18 位为数字或除 I、O、S、V、Z 外的大写字母",
    ),
    "checksum": ("has a wrong check character (position 18)", "校验码（第 18 位）不正确"),
}


class UsccInvalid(Unprocessable):
    """A 统一社会信用代码 that fails GB 32100 (python-stdnum's check); the error names the field."""

    code, title, title_zh = "uscc_invalid", "Unified social credit code is not valid", "统一社会信用代码无效"

    def __init__(self, value: str, fault: UsccFault) -> None:
        english, chinese = _USCC_FAULTS[fault]
        self.messages = (f"{value!r} {english}.", f"“{value}”{chinese}。")
        super().__init__(
            f"unified_social_credit_code {self.messages[0]}",
            detail_zh=f"统一社会信用代码（unified_social_credit_code）{self.messages[1]}",
        )

    def body(self, instance: str | None = None, language: Language = "en") -> dict[str, Any]:
        body = super().body(instance, language)
        message = self.messages[1] if language == "zh-CN" else self.messages[0]
        body["errors"] = [{"location": "body.unified_social_credit_code", "message": message, "type": "uscc_invalid"}]
        return body


class UsccTaken(Conflict):
    """Another customer of this creditor already has the 统一社会信用代码 (one creditor per installation)."""

    code, title, title_zh = "uscc_taken", "Unified social credit code is taken", "统一社会信用代码已被使用"


class CustomerOnCreditHold(Conflict):
    """Credit-scoring holds the customer's credit: no new invoice is issued or contract started without an override."""

    code, title, title_zh = "customer_on_credit_hold", "Customer is on credit hold", "客户处于信用冻结"
