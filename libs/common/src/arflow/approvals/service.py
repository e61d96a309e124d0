"""Approvals' use cases: gate an action, approve (apply the frozen request once) or reject, expire, set policies."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import structlog
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from arflow import audit
from arflow.approvals.errors import (
    ApprovalActionUnknown,
    ApprovalNotFound,
    ApprovalNotPending,
    ApprovalSubjectChanged,
    ApproverScopeMissing,
    SelfApproval,
)
from arflow.approvals.registry import GuardedAction, guarded
from arflow.auth import Principal
from arflow.clock import Clock
from arflow.events.catalog import FIRM_SUBJECT, ApprovalDecided, ApprovalRequested, ApprovalStatus
from arflow.ids import uuid7
from arflow.messaging import outbox
from arflow.money import Money, to_minor_units
from arflow.persistence import approval_policy, approval_request

log = structlog.get_logger("arflow.approvals")
# The action being applied after its approval: its own gate lets it through.
_applying: ContextVar[str | None] = ContextVar("arflow_approval_applying", default=None)


@dataclass(frozen=True)
class Policy:
    action: str
    threshold: Decimal | None
    currency: str
    approver_scope: str
    expires_hours: int
    updated_at: datetime | None
    updated_by: str | None


def _action(name: str) -> GuardedAction:
    found = guarded(name)
    if found is None:
        raise ApprovalActionUnknown(
            f"No action '{name}' needs approvals here.", detail_zh=f"此处没有需审批的操作“{name}”。"
        )
    return found


async def policy_of(session: AsyncSession, name: str) -> Policy:
    """The policy in force: the one an admin set, else the action's default."""
    action = _action(name)
    row = (await session.execute(select(approval_policy).where(approval_policy.c.action == name))).first()
    if row is None:
        return Policy(
            name,
            action.default_threshold,
            "CNY",
            action.default_approver_scope,
            action.default_expires_hours,
            None,
            None,
        )
    return Policy(
        row.action, row.threshold, row.currency, row.approver_scope, row.expires_hours, row.updated_at, row.updated_by
    )


async def set_policy(
    session: AsyncSession,
    *,
    clock: Clock,
    name: str,
    threshold: Decimal | None,
    currency: str,
    approver_scope: str,
    expires_hours: int,
    actor: Principal,
) -> Policy:
    _action(name)
    values = {
        "action": name,
        "threshold": threshold,
        "currency": currency,
        "approver_scope": approver_scope,
        "expires_hours": expires_hours,
        "updated_at": clock.now(),
        "updated_by": actor.name,
    }
    await session.execute(
        pg_insert(approval_policy)
        .values(values)
        .on_conflict_do_update(index_elements=["action"], set_={k: v for k, v in values.items() if k != "action"})
    )
    await audit.record(
        session, action="approval_policy.set", object_type="approval_policy", object_id=name, after=values
    )
    log.info("approval.policy_set", action=name, threshold=str(threshold), by=actor.name)
    return await policy_of(session, name)


async def needed(session: AsyncSession, *, action: str, amount: Decimal | None, currency: str | None) -> bool:
    """Whether the action, for this amount, waits for a second person (read only: the caller decides, then asks
    `request_approval` inside its idempotent unit of work)."""
    if _applying.get() == action:
        return False  # (the approved request itself, being applied)
    policy = await policy_of(session, action)
    return (
        policy.threshold is None
        or amount is None
        or currency != policy.currency  # (a threshold in another currency proves nothing: ask)
        or amount > policy.threshold
    )


async def request_approval(
    session: AsyncSession,
    *,
    clock: Clock,
    action: str,
    subject_type: str,
    subject_id: Any,
    amount: Decimal | None,
    currency: str | None,
    request: dict[str, Any],
    actor: Principal,
    reason: str | None = None,
) -> dict[str, Any]:
    """The request stored as asked, pending a second person: the answer (202) of the call that asked."""
    guarded_action = _action(action)
    policy = await policy_of(session, action)
    version = await guarded_action.version_of(session, str(subject_id))
    now = clock.now()
    values = {
        "id": uuid7(),
        "action": action,
        "subject_type": subject_type,
        "subject_id": str(subject_id),
        "subject_version": version or "",
        "amount": amount,
        "currency": currency,
        "request": audit.jsonable(request),
        "requested_by": actor.name,
        "requested_by_id": actor.subject,
        "requested_at": now,
        "reason": reason,
        "status": "pending",
        "expires_at": now + timedelta(hours=policy.expires_hours),
    }
    await session.execute(pg_insert(approval_request).values(values))
    await audit.record(
        session,
        action="approval.requested",
        object_type=subject_type,
        object_id=subject_id,
        after=values,
        comment=reason,
    )
    await outbox.add(
        session,
        ApprovalRequested(
            customer_id=FIRM_SUBJECT,
            approval_id=values["id"],
            service=service_of(guarded_action),
            action=action,
            title_zh=guarded_action.title_zh,
            title_en=guarded_action.title_en,
            subject_type=subject_type,
            subject_id=str(subject_id),
            amount=Money.of(amount, currency).quantize() if amount is not None and currency else None,
            reason=reason,
            requested_by=actor.name,
            approver_scope=policy.approver_scope,
            requested_at=now,
            expires_at=values["expires_at"],
        ),
        clock=clock,
    )
    log.info("approval.requested", action=action, subject_id=str(subject_id), by=actor.name)
    return await approval_json(session, values["id"], now)


def service_of(action: GuardedAction) -> str:
    """The service that decides `action`: the one whose approver scope its default policy names."""
    return action.default_approver_scope.split(":", 1)[0]


async def _tell_decided(
    session: AsyncSession, *, clock: Clock, row: Any, status: ApprovalStatus, approver: Principal, comment: str | None
) -> None:
    await outbox.add(
        session,
        ApprovalDecided(
            customer_id=FIRM_SUBJECT,
            approval_id=row.id,
            service=service_of(_action(row.action)),
            action=row.action,
            status=status,
            decided_by=approver.name,
            decided_at=clock.now(),
            comment=comment,
        ),
        clock=clock,
    )


async def approval_json(session: AsyncSession, approval_id: UUID, now: datetime) -> dict[str, Any]:
    row = (await session.execute(select(approval_request).where(approval_request.c.id == approval_id))).first()
    if row is None:
        raise ApprovalNotFound(f"There is no approval {approval_id}.", detail_zh=f"审批 {approval_id} 不存在。")
    return _json(row._mapping, now)


def _json(row: Any, now: datetime) -> dict[str, Any]:
    action = guarded(row["action"])
    amount = row["amount"]
    # (a pending request past its expiry is expired, whether or not anyone has tried to decide it since)
    status = "expired" if row["status"] == "pending" and row["expires_at"] <= now else row["status"]
    return {
        **{k: audit.jsonable(v) for k, v in row.items()},
        "status": status,
        "amount": str(to_minor_units(amount, row["currency"])) if amount is not None and row["currency"] else None,
        "title_zh": action.title_zh if action else row["action"],
        "title_en": action.title_en if action else row["action"],
    }


async def _pending(session: AsyncSession, approval_id: UUID, now: datetime) -> Any:
    row = (
        await session.execute(select(approval_request).where(approval_request.c.id == approval_id).with_for_update())
    ).first()
    if row is None:
        raise ApprovalNotFound(f"There is no approval {approval_id}.", detail_zh=f"审批 {approval_id} 不存在。")
    if row.status == "pending" and row.expires_at <= now:
        raise ApprovalNotPending(
            f"Approval {approval_id} expired at {row.expires_at.isoformat()}: ask again.",
            detail_zh=f"审批 {approval_id} 已于 {row.expires_at.isoformat()} 过期，请重新申请。",
        )
    if row.status != "pending":
        raise ApprovalNotPending(
            f"Approval {approval_id} is {row.status} already.", detail_zh=f"审批 {approval_id} 已是 {row.status} 状态。"
        )
    return row


def _check_approver(row: Any, policy: Policy, approver: Principal) -> None:
    same = approver.name == row.requested_by or (
        approver.subject is not None and approver.subject == row.requested_by_id
    )
    if same:
        raise SelfApproval(
            "A request cannot be approved by the person who made it: a second person decides.",
            detail_zh="申请人不能审批自己的申请，须由另一人审批。",
        )
    if not approver.allows(policy.approver_scope):
        raise ApproverScopeMissing(
            f"Approving {row.action} needs the scope '{policy.approver_scope}'.",
            detail_zh=f"审批 {row.action} 需要权限范围“{policy.approver_scope}”。",
        )


async def approve(
    session: AsyncSession, *, clock: Clock, approval_id: UUID, approver: Principal, comment: str | None
) -> dict[str, Any]:
    """Apply the frozen request once, as its requester's, if its subject has not changed since."""
    now = clock.now()
    row = await _pending(session, approval_id, now)
    action = _action(row.action)
    policy = await policy_of(session, row.action)
    _check_approver(row, policy, approver)
    if (await action.version_of(session, row.subject_id) or "") != row.subject_version:
        raise ApprovalSubjectChanged(
            f"{row.subject_type} {row.subject_id} changed since the request was made: reject it and ask again.",
            detail_zh=f"申请提交后 {row.subject_type} {row.subject_id} 已变更：请驳回并重新申请。",
        )
    requester = Principal(
        name=row.requested_by,
        kind="user" if row.requested_by.startswith("user:") else "integration",
        subject=row.requested_by_id,
    )
    # The change is the requester's, approved by the approver: so its audit entries say.
    audit.set_actor(requester)
    audit.set_reason(
        "approved", f"approved by {approver.name} in approval {approval_id}" + (f": {comment}" if comment else "")
    )
    token = _applying.set(row.action)
    try:
        applied = await action.apply(session, clock, dict(row.request), requester)
    finally:
        _applying.reset(token)
    await session.execute(
        update(approval_request)
        .where(approval_request.c.id == approval_id)
        .values(
            status="approved",
            decided_by=approver.name,
            decided_by_id=approver.subject,
            decided_at=now,
            decision_comment=comment,
            result=audit.jsonable(applied.result),
        )
    )
    await _tell_decided(session, clock=clock, row=row, status="approved", approver=approver, comment=comment)
    log.info("approval.approved", approval_id=str(approval_id), action=row.action, by=approver.name)
    return await approval_json(session, approval_id, now)


async def reject(
    session: AsyncSession, *, clock: Clock, approval_id: UUID, approver: Principal, comment: str
) -> dict[str, Any]:
    now = clock.now()
    row = await _pending(session, approval_id, now)
    policy = await policy_of(session, row.action)
    _check_approver(row, policy, approver)
    await session.execute(
        update(approval_request)
        .where(approval_request.c.id == approval_id)
        .values(
            status="rejected",
            decided_by=approver.name,
            decided_by_id=approver.subject,
            decided_at=now,
            decision_comment=comment,
        )
    )
    await _tell_decided(session, clock=clock, row=row, status="rejected", approver=approver, comment=comment)
    log.info("approval.rejected", approval_id=str(approval_id), action=row.action, by=approver.name)
    return await approval_json(session, approval_id, now)


async def list_approvals(
    session: AsyncSession,
    *,
    now: datetime,
    status: str | None,
    action: str | None,
    starting_after: UUID | None,
    limit: int,
) -> list[dict[str, Any]]:
    query = select(approval_request).order_by(approval_request.c.id.desc()).limit(limit)
    if status == "pending":
        query = query.where(approval_request.c.status == "pending", approval_request.c.expires_at > now)
    elif status == "expired":
        query = query.where(
            (approval_request.c.status == "expired")
            | ((approval_request.c.status == "pending") & (approval_request.c.expires_at <= now))
        )
    elif status:
        query = query.where(approval_request.c.status == status)
    if action:
        query = query.where(approval_request.c.action == action)
    if starting_after:
        query = query.where(approval_request.c.id < starting_after)
    return [_json(row._mapping, now) for row in (await session.execute(query)).all()]
