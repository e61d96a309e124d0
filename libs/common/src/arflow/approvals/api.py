"""The approvals API a service that guards actions serves: the inbox, approve and reject, the policies."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from arflow.approvals import service
from arflow.approvals.registry import guarded_actions
from arflow.auth import Principal, require_scope
from arflow.money import Currency, DecimalString
from arflow.pagination import Page, PageParams, make_page, page_params

ApprovalStatus = Literal["pending", "approved", "rejected", "expired"]


class ApprovalOut(BaseModel):
    id: UUID
    action: str
    title_zh: str
    title_en: str
    subject_type: str
    subject_id: str
    amount: str | None
    currency: str | None
    request: dict[str, Any] = Field(description="The call as it was asked, applied as it is when approved.")
    requested_by: str
    requested_at: datetime
    reason: str | None
    status: ApprovalStatus
    expires_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    decision_comment: str | None
    result: dict[str, Any] | None = Field(description="What applying it answered (the object as it became).")


class ApproveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    comment: str | None = Field(None, max_length=1000)


class RejectIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    comment: str = Field(min_length=1, max_length=1000, description="Why: the requester reads it.")


class PolicyOut(BaseModel):
    action: str
    title_zh: str
    title_en: str
    threshold: DecimalString | None = Field(description="Over this amount a second person approves; null: always.")
    currency: str
    approver_scope: str
    expires_hours: int
    updated_at: datetime | None = Field(description="null: the documented default is in force.")
    updated_by: str | None


class PolicyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    threshold: DecimalString | None = Field(ge=0, lt=Decimal("1e15"), examples=["1000.00"])
    currency: Currency = "CNY"
    approver_scope: str = Field(
        pattern=r"^[a-z-]+:[a-z-]+$", description="e.g. invoicing:approve.", examples=["invoicing:approve"]
    )
    expires_hours: int = Field(72, ge=1, le=24 * 90)


def approvals_router(service_name: str) -> APIRouter:
    """Served by a service that registered guarded actions: reading needs `<service>:read`, deciding the policy's
    approver scope, setting policies `<service>:admin`."""
    router = APIRouter(tags=["approvals"])
    reader = require_scope(f"{service_name}:read")
    admin = require_scope(f"{service_name}:admin")

    @router.get("/approvals", response_model=Page[ApprovalOut], summary="Approvals, newest first (the inbox)")
    async def list_approvals(
        request: Request,
        page: Annotated[PageParams, Depends(page_params)],
        _: Principal = Depends(reader),
        status: ApprovalStatus | None = None,
        action: str | None = None,
    ) -> Page[ApprovalOut]:
        async with request.app.state.db.unit_of_work() as session:
            rows = await service.list_approvals(
                session,
                now=request.app.state.clock.now(),
                status=status,
                action=action,
                starting_after=page.starting_after,
                limit=page.limit + 1,
            )
        return make_page([ApprovalOut.model_validate(r) for r in rows], page)

    @router.get("/approvals/{approval_id}", response_model=ApprovalOut)
    async def get_approval(approval_id: UUID, request: Request, _: Principal = Depends(reader)) -> ApprovalOut:
        async with request.app.state.db.unit_of_work() as session:
            found = await service.approval_json(session, approval_id, request.app.state.clock.now())
            return ApprovalOut.model_validate(found)

    @router.post(
        "/approvals/{approval_id}/approve",
        response_model=ApprovalOut,
        summary="Approve: the frozen request is applied once, as its requester's (never by the requester)",
    )
    async def approve(
        approval_id: UUID, body: ApproveIn, request: Request, principal: Principal = Depends(reader)
    ) -> ApprovalOut:
        async with request.app.state.db.unit_of_work() as session:
            found = await service.approve(
                session,
                clock=request.app.state.clock,
                approval_id=approval_id,
                approver=principal,
                comment=body.comment,
            )
        return ApprovalOut.model_validate(found)

    @router.post("/approvals/{approval_id}/reject", response_model=ApprovalOut, summary="Reject, saying why")
    async def reject(
        approval_id: UUID, body: RejectIn, request: Request, principal: Principal = Depends(reader)
    ) -> ApprovalOut:
        async with request.app.state.db.unit_of_work() as session:
            found = await service.reject(
                session,
                clock=request.app.state.clock,
                approval_id=approval_id,
                approver=principal,
                comment=body.comment,
            )
        return ApprovalOut.model_validate(found)

    @router.get(
        "/approval-policies", response_model=list[PolicyOut], summary="What needs a second person, from what amount"
    )
    async def list_policies(request: Request, _: Principal = Depends(reader)) -> list[PolicyOut]:
        prefix = None
        async with request.app.state.db.unit_of_work() as session:
            policies = [(a, await service.policy_of(session, a.name)) for a in guarded_actions(prefix)]
        return [_policy_out(a, p) for a, p in policies]

    @router.put("/approval-policies/{action}", response_model=PolicyOut, summary="Set an action's policy")
    async def set_policy(
        action: str, body: PolicyIn, request: Request, principal: Principal = Depends(admin)
    ) -> PolicyOut:
        async with request.app.state.db.unit_of_work() as session:
            policy = await service.set_policy(
                session,
                clock=request.app.state.clock,
                name=action,
                threshold=body.threshold,
                currency=body.currency,
                approver_scope=body.approver_scope,
                expires_hours=body.expires_hours,
                actor=principal,
            )
            found = next(a for a in guarded_actions() if a.name == action)
        return _policy_out(found, policy)

    return router


def _policy_out(action: Any, policy: service.Policy) -> PolicyOut:
    return PolicyOut(
        action=action.name,
        title_zh=action.title_zh,
        title_en=action.title_en,
        threshold=policy.threshold,
        currency=policy.currency,
        approver_scope=policy.approver_scope,
        expires_hours=policy.expires_hours,
        updated_at=policy.updated_at,
        updated_by=policy.updated_by,
    )
