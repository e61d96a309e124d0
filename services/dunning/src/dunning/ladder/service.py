"""Policies (ladders) and the dry run of the tick (the tick itself: ladder/tick.py). Never commits."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.auth import Principal
from arflow.clock import Clock
from arflow.ids import uuid7
from arflow.money import to_minor_units
from dunning import domain
from dunning.actions import rendering
from dunning.config import DunningSettings
from dunning.ladder import repository
from dunning.ladder.errors import InvalidPolicy, PolicyExists, PolicyNotFound, UnknownTemplate
from dunning.ladder.planning import CasePlan, plan_case
from dunning.lookups import get_case
from dunning.models import DunningPolicy

log = structlog.get_logger("dunning")

# The channels a template is sent on, as a Chinese detail names them.
_CHANNEL_ZH = {"email": "邮件", "sms": "短信"}


def policy_view(policy: DunningPolicy) -> domain.PolicyView:
    """The domain's view of a stored policy version."""
    return domain.PolicyView(
        code=policy.code,
        version=policy.version,
        steps=[
            domain.PolicyStep(
                name=s["name"],
                offset_days=int(s["offset_days"]),
                channel=s["channel"],
                level=int(s["level"]),
                templates=s.get("templates") or {},
            )
            for s in policy.steps
        ],
        tiers=tuple(policy.tiers),
        min_amount=policy.min_amount,
        tags=tuple(policy.tags),
        priority=policy.priority,
    )


async def seed_default_policies(session: AsyncSession, *, actor: Principal, clock: Clock) -> int:
    """Insert version 1 of each default policy unless it exists (safe with several replicas)."""
    seeded = 0
    for policy in domain.DEFAULT_POLICIES:
        values = {**policy, "id": uuid7(), "version": 1, "tags": [], "priority": 0, "created_at": clock.now()}
        seeded += await repository.insert_policy(session, values)
    return seeded


async def create_policy_version(
    session: AsyncSession, *, actor: Principal, clock: Clock, code: str, values: dict[str, Any], new: bool
) -> DunningPolicy:
    """Store a new version of a policy (version 1 when `new`; a 409 if the code exists, or not)."""
    faults = domain.policy_faults(values["steps"])
    if faults:
        raise InvalidPolicy(
            "; ".join(english for english, _ in faults), detail_zh="；".join(chinese for _, chinese in faults) + "。"
        )
    for step in values["steps"]:
        if step["channel"] in ("email", "sms") and not step["templates"]:
            raise UnknownTemplate(
                f"Step {step['name']!r} needs a template.", detail_zh=f"步骤“{step['name']}”需要指定模板。"
            )
        for language, template in step["templates"].items():
            if step["channel"] in ("email", "sms") and not rendering.template_exists(
                template, language, step["channel"]
            ):
                raise UnknownTemplate(
                    f"Step {step['name']!r}: there is no {step['channel']} template {template!r} in {language}.",
                    detail_zh=f"步骤“{step['name']}”：没有 {language} 的"
                    f"{_CHANNEL_ZH[step['channel']]}模板“{template}”。",
                )
    await repository.lock_policy_code(session, code)
    versions = await repository.policy_versions(session, code)
    if new and versions:
        raise PolicyExists(
            f"Policy {code!r} exists; post a new version to /policies/{code}/versions.",
            detail_zh=f"催收策略“{code}”已存在；请向 /policies/{code}/versions 提交新版本。",
        )
    if not new and not versions:
        raise PolicyNotFound(f"There is no policy {code!r}.", detail_zh=f"催收策略“{code}”不存在。")
    version = versions[0].version + 1 if versions else 1
    policy = DunningPolicy(id=uuid7(), code=code, version=version, active=True, created_at=clock.now(), **values)
    session.add(policy)
    await session.flush()
    log.info("policy.versioned", code=code, version=version)
    return policy


async def require_policy(
    session: AsyncSession, code: str, version: int | None = None
) -> tuple[DunningPolicy, list[int]]:
    """A policy's latest version (or the one asked for), with the numbers of all its versions."""
    versions = await repository.policy_versions(session, code)
    chosen = [p for p in versions if version is None or p.version == version]
    if not chosen:
        raise PolicyNotFound(
            f"There is no policy {code!r}" + (f" version {version}." if version else "."),
            detail_zh=f"催收策略“{code}”" + (f"没有第 {version} 版。" if version else "不存在。"),
        )
    return chosen[0], [p.version for p in versions]


async def retire_policy(session: AsyncSession, *, actor: Principal, code: str) -> tuple[DunningPolicy, list[int]]:
    """Retire every version of a policy: the tick no longer chooses it (404 when there is none)."""
    await require_policy(session, code)
    await repository.retire_policy(session, code)
    return await require_policy(session, code)


def dry_run_entry(plan: CasePlan) -> dict[str, Any]:
    """One case's line of the dry run."""
    decision = plan.decision
    return {
        "case_id": str(plan.case.id),
        "customer_id": str(plan.case.customer_id),
        "tier": plan.tier or domain.DEFAULT_TIER,
        "policy": plan.policy.code if plan.policy else None,
        "policy_version": plan.policy.version if plan.policy else None,
        "level": plan.case.level,
        "amount_overdue": format(to_minor_units(plan.state.amount_overdue, plan.case.currency), "f"),
        "currency": plan.case.currency,
        "decision": decision.kind,
        "reason": decision.reason,
        "step": decision.step.name if decision.step else None,
        "channel": decision.step.channel if decision.step else None,
        "step_level": decision.step.level if decision.step else None,
        "due_on": decision.due_on.isoformat() if decision.due_on else None,
        "done_steps": sorted(plan.state.done_steps),
    }


async def dry_run(
    session: AsyncSession, *, as_of: datetime, settings: DunningSettings, case_id: UUID | None = None
) -> list[dict[str, Any]]:
    """What the tick would do as of `as_of`, changing nothing."""
    policies = [policy_view(p) for p in await repository.latest_policies(session)]
    ids = [case_id] if case_id else await repository.open_case_ids(session)
    entries = []
    for one in ids:
        case = await get_case(session, one)
        if case is None or case.status != "open":
            continue
        plan = await plan_case(session, case=case, as_of=as_of, policies=policies, settings=settings)
        entries.append(dry_run_entry(plan))
    return entries
