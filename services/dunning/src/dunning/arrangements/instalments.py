"""Pure rules of payment plans (分期还款协议): what a plan may be, when it waits for a second person, and
what its instalments' outcomes make of it. No I/O and no clock.

Each instalment is kept once the case's debt has fallen, since the plan was agreed, by the instalments up to
and including it (so a payment early or larger than one instalment counts for the next ones); it is broken
when its due date passes without that.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from itertools import pairwise
from typing import Literal

# A plan waits for a second person (dunning:approve) when it covers more than this (the approval policy's
# threshold, in CNY, changed at PUT /approval-policies/case.payment_plan) ...
DEFAULT_APPROVAL_THRESHOLD = Decimal("50000")
# ... or runs longer than this many days from the day it is agreed (6 months), or has more instalments.
LONG_PLAN_DAYS = 183
MANY_INSTALMENTS = 6
MAX_INSTALMENTS = 36

PlanStatus = Literal["active", "broken", "completed"]


@dataclass(frozen=True)
class Instalment:
    due_date: date
    amount: Decimal


def plan_problems(
    instalments: Sequence[Instalment], *, amount_covered: Decimal, owed: Decimal, today: date
) -> list[tuple[str, str]]:
    """Why the plan cannot be agreed, in English and Chinese (empty: it can)."""
    problems: list[tuple[str, str]] = []
    if not instalments:
        return [("A plan has at least one instalment.", "分期还款协议至少包含一期。")]
    if len(instalments) > MAX_INSTALMENTS:
        problems.append(
            (f"A plan has at most {MAX_INSTALMENTS} instalments.", f"分期还款协议最多 {MAX_INSTALMENTS} 期。")
        )
    dates = [i.due_date for i in instalments]
    if any(later <= earlier for earlier, later in pairwise(dates)):
        problems.append(("Instalments fall due on different days, in order.", "各期到期日须依次递增、不得重复。"))
    if dates[0] < today:
        problems.append((f"The first instalment is due before today ({today.isoformat()}).", "第一期到期日早于今日。"))
    total = sum((i.amount for i in instalments), Decimal(0))
    if total != amount_covered:
        problems.append(
            (
                f"The instalments add up to {total:,.2f}, not the amount covered {amount_covered:,.2f}.",
                f"各期金额合计 {total:,.2f}，与协议金额 {amount_covered:,.2f} 不符。",
            )
        )
    if amount_covered > owed:
        problems.append(
            (
                f"The plan covers {amount_covered:,.2f}, more than the {owed:,.2f} the case owes.",
                f"协议金额 {amount_covered:,.2f} 超过案件未收金额 {owed:,.2f}。",
            )
        )
    return problems


def always_guarded(instalments: Sequence[Instalment], today: date) -> bool:
    """Whether the plan waits for a second person whatever its amount: long or in many instalments."""
    return len(instalments) > MANY_INSTALMENTS or (instalments[-1].due_date - today).days > LONG_PLAN_DAYS


def plan_status(outcomes: Sequence[str]) -> PlanStatus:
    """A plan is broken by any broken instalment, completed once every one is kept, else active."""
    if any(o == "broken" for o in outcomes):
        return "broken"
    if outcomes and all(o == "kept" for o in outcomes):
        return "completed"
    return "active"
