"""What a credit hold does in invoicing: the policy, and a credit manager's override.

Credit-scoring decides the hold (CreditScoreChanged.credit_hold); invoicing acts on it
when credit would be extended. Under the `refuse` policy (the default) issuing an
invoice and starting a contract are refused with 409 `customer_on_credit_hold`, and
the contract-billing job leaves a held customer's periods unbilled (billed once the
hold lifts). Under `flag` they go ahead and the invoice is marked
`credit_hold_at_issue`. Drafts are always allowed: a draft extends no credit.

A key with the `invoicing:credit-override` scope (a credit manager's) may issue or
start anyway by giving `credit_hold_override: {"reason": ...}`; who and why are kept
on the invoice or contract. An override without that scope is a 403.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from arflow.auth import MissingScope, Principal
from invoicing.customers.errors import CustomerOnCreditHold
from invoicing.models import Customer

CreditHoldPolicy = Literal["refuse", "flag"]
OVERRIDE_SCOPE = "invoicing:credit-override"


class CreditHoldOverrideIn(BaseModel):
    """A credit manager's decision to extend credit to a held customer this once."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=500, description="Why credit is extended despite the hold.")


@dataclass(frozen=True)
class CreditDecision:
    """Whether the customer was held when credit was extended, and by whose override."""

    held: bool = False
    override_by: str | None = None
    override_reason: str | None = None


def hold_reason(tier: str, score: int, first_reason: str | None) -> str:
    return f"tier {tier}, score {score}" + (f": {first_reason}" if first_reason else "")


def check_credit(
    customer: Customer,
    *,
    policy: CreditHoldPolicy,
    override: CreditHoldOverrideIn | None,
    actor: Principal,
    what: Literal["issue", "contract"],
) -> CreditDecision:
    """Allow extending credit to the customer, or refuse it (the rule of the module docstring)."""
    if not customer.credit_hold:
        return CreditDecision()
    if override is not None:
        if not actor.allows(OVERRIDE_SCOPE):
            raise MissingScope(
                f"Overriding a credit hold needs the {OVERRIDE_SCOPE} scope.",
                detail_zh=f"越过信用冻结需要 {OVERRIDE_SCOPE} 权限。",
            )
        return CreditDecision(held=True, override_by=actor.name, override_reason=override.reason)
    if policy == "flag":
        return CreditDecision(held=True)
    since = customer.credit_hold_scored_at.date().isoformat() if customer.credit_hold_scored_at else "?"
    why = customer.credit_hold_reason or "no reason given"
    doing, doing_zh = ("issue an invoice", "开具账单") if what == "issue" else ("start a contract", "开始服务合同")
    raise CustomerOnCreditHold(
        f"Credit-scoring put {customer.legal_name} on credit hold on {since} ({why}); cannot {doing}. "
        "A credit manager may override with credit_hold_override.",
        detail_zh=f"信用评估已于 {since} 冻结 {customer.legal_name} 的信用({why}),不能{doing_zh};"
        "信用经理可以 credit_hold_override 越过冻结。",
        customer_id=str(customer.id),
        credit_hold_since=since,
        credit_hold_reason=customer.credit_hold_reason,
    )
