"""REST endpoints of policies, the dry run and the evidence pack."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.clock import DEFAULT_TIME_ZONE, local_date
from arflow.idempotency import IDEMPOTENT, idempotent
from arflow.pagination import Page, make_page
from arflow.service import ClockDep, SessionDep
from dunning.actions.errors import CREDITOR_NOT_CONFIGURED
from dunning.customers.repository import get_customer
from dunning.deps import Paging, Reader, Settings, Writer
from dunning.ladder import repository, service
from dunning.ladder.schemas import DryRunOut, PolicyIn, PolicyOut, PolicyVersionIn
from dunning.ladder.steps import build_evidence_pack
from dunning.lookups import require_case
from dunning.models import DunningPolicy

router = APIRouter()


async def policy_out(session: AsyncSession, policy: DunningPolicy, versions: list[int] | None = None) -> PolicyOut:
    if versions is None:
        versions = [p.version for p in await repository.policy_versions(session, policy.code)]
    fields = {c.key: getattr(policy, c.key) for c in DunningPolicy.__table__.columns}
    if policy.min_amount is not None:
        fields["min_amount"] = policy.min_amount.normalize()  # no currency: shown as entered, "100000"
    return PolicyOut.model_validate({**fields, "versions": versions})


@router.get("/policies", response_model=Page[PolicyOut], tags=["policies"], summary="Policies in force, newest first")
async def list_policies(session: SessionDep, _: Reader, page: Paging, include_retired: bool = False) -> Page[PolicyOut]:
    policies = await repository.list_policies(session, page, active_only=not include_retired)
    return make_page([await policy_out(session, p) for p in policies], page)


@router.post(
    "/policies",
    status_code=201,
    response_model=PolicyOut,
    tags=["policies"],
    summary="Create a policy",
    dependencies=[IDEMPOTENT],
)
async def create_policy(
    body: PolicyIn, request: Request, session: SessionDep, clock: ClockDep, principal: Writer
) -> JSONResponse:
    async def create() -> PolicyOut:
        values = body.model_dump(exclude={"code"}, mode="python")
        policy = await service.create_policy_version(
            session, actor=principal, clock=clock, code=body.code, values=values, new=True
        )
        return await policy_out(session, policy)

    response: JSONResponse = await idempotent(request, session, principal, body, create)
    return response


@router.post(
    "/policies/{code}/versions",
    dependencies=[IDEMPOTENT],
    status_code=201,
    response_model=PolicyOut,
    tags=["policies"],
    summary="Publish a new version of a policy (versions are immutable)",
)
async def create_policy_version(
    code: str, body: PolicyVersionIn, request: Request, session: SessionDep, clock: ClockDep, principal: Writer
) -> JSONResponse:
    async def create() -> PolicyOut:
        values = body.model_dump(mode="python")
        policy = await service.create_policy_version(
            session, actor=principal, clock=clock, code=code, values=values, new=False
        )
        return await policy_out(session, policy)

    response: JSONResponse = await idempotent(request, session, principal, body, create)
    return response


@router.get("/policies/{code}", response_model=PolicyOut, tags=["policies"], summary="A policy, latest or one version")
async def get_policy(
    code: str, session: SessionDep, _: Reader, version: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None
) -> PolicyOut:
    policy, versions = await service.require_policy(session, code, version)
    return await policy_out(session, policy, versions)


@router.delete("/policies/{code}", response_model=PolicyOut, tags=["policies"], summary="Retire a policy")
async def retire_policy(code: str, session: SessionDep, principal: Writer) -> PolicyOut:
    policy, versions = await service.retire_policy(session, actor=principal, code=code)
    return await policy_out(session, policy, versions)


@router.get("/dry-run", response_model=DryRunOut, tags=["cases"], summary="What the tick would do, changing nothing")
async def dry_run(
    session: SessionDep,
    clock: ClockDep,
    settings: Settings,
    _: Reader,
    as_of: AwareDatetime | None = None,
    case_id: UUID | None = None,
) -> DryRunOut:
    instant = as_of or clock.now()
    entries = await service.dry_run(session, as_of=instant, settings=settings, case_id=case_id)
    return DryRunOut.model_validate({"as_of": instant, "data": entries})


@router.get(
    "/cases/{case_id}/evidence-pack",
    tags=["documents"],
    summary="The evidence pack of a case (zip: cover, statement PDF, invoices, action log, letters)",
    description="As the case stands today (the customer's business date); refused (409 `creditor_not_configured`) "
    "while the creditor is not set, as the cover and the statement name it.",
    response_class=Response,
    responses={200: {"content": {"application/zip": {}}}, **CREDITOR_NOT_CONFIGURED},
)
async def evidence_pack(case_id: UUID, session: SessionDep, clock: ClockDep, settings: Settings, _: Reader) -> Response:
    settings.creditor()  # refused before any work while the creditor is not set
    case = await require_case(session, case_id)
    customer = await get_customer(session, case.customer_id)
    today = local_date(clock.now(), customer.time_zone if customer else DEFAULT_TIME_ZONE)
    pack = await build_evidence_pack(session, case=case, as_of_date=today, settings=settings)
    return Response(
        pack,
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="evidence-{case.id}.zip"'},
    )
