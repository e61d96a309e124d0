"""REST endpoints of collectors: who they are and what cases they take, their worklists, their results."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response
from pydantic import AwareDatetime
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.auth import Principal
from arflow.pagination import Page, make_page
from arflow.problems import PROBLEM_JSON
from arflow.service import ClockDep, SessionDep
from dunning.actions.exports import results_csv
from dunning.collectors import repository, service
from dunning.collectors.errors import CollectorRequired, InvalidPeriod
from dunning.collectors.results import results
from dunning.collectors.schemas import (
    USERNAME_PATTERN,
    AssignmentOut,
    CollectorIn,
    CollectorOut,
    CollectorResultsOut,
    ReassignIn,
    ReassignOut,
    ResultsListOut,
    WorkItemOut,
)
from dunning.collectors.worklist import worklist
from dunning.deps import Admin, Paging, Reader, Settings
from dunning.models import Collector

router = APIRouter()

Username = Annotated[str, Path(pattern=USERNAME_PATTERN, description="The person's username in the people service.")]
From = Annotated[date, Query(alias="from", description="The first business date of the period.")]
To = Annotated[date, Query(alias="to", description="The last business date of the period (included).")]


def collector_out(collector: Collector, open_cases: int) -> CollectorOut:
    return CollectorOut.model_validate(
        {
            "id": collector.id,
            "username": collector.username,
            "display_name": collector.display_name,
            "email": collector.email,
            "active": collector.active,
            "rules": {
                "tiers": list(collector.tiers or []),
                "regions": list(collector.regions or []),
                "min_amount": collector.min_amount,
                "max_amount": collector.max_amount,
                "max_open_cases": collector.max_open_cases,
            },
            "open_cases": open_cases,
            "revision": collector.revision,
            "created_at": collector.created_at,
            "updated_at": collector.updated_at,
        }
    )


async def _out(session: AsyncSession, collector: Collector) -> CollectorOut:
    loads = await repository.loads(session, [collector.username])
    return collector_out(collector, loads.get(collector.username, 0))


@router.put(
    "/collectors/{username}",
    response_model=CollectorOut,
    tags=["collectors"],
    summary="Create or replace a collector and the cases the rules give them",
    description="Idempotent: the same body again changes nothing (`revision` counts changes). A collector made "
    "inactive takes no new case; their open cases stay theirs until `POST /collectors/{username}/reassign`.",
)
async def put_collector(
    username: Username, body: CollectorIn, session: SessionDep, clock: ClockDep, principal: Admin
) -> CollectorOut:
    collector = await service.put_collector(session, actor=principal, clock=clock, username=username, body=body)
    return await _out(session, collector)


@router.get("/collectors", response_model=Page[CollectorOut], tags=["collectors"], summary="Collectors, newest first")
async def list_collectors(
    session: SessionDep, _: Reader, page: Paging, active: bool | None = None
) -> Page[CollectorOut]:
    found = await repository.list_collectors(session, page, active=active)
    loads = await repository.loads(session, [c.username for c in found])
    return make_page([collector_out(c, loads.get(c.username, 0)) for c in found], page)


@router.get("/collectors/{username}", response_model=CollectorOut, tags=["collectors"], summary="A collector")
async def get_collector(username: Username, session: SessionDep, _: Reader) -> CollectorOut:
    return await _out(session, await service.require_collector(session, username))


@router.post(
    "/collectors/{username}/reassign",
    response_model=ReassignOut,
    tags=["collectors"],
    summary="Hand all of a collector's open cases to the rules (someone leaves)",
    description="Each open case goes to the least loaded other collector whose rules take it; the cases nobody "
    "takes wait unassigned (the next tick tries again). Every move is in the case's assignment history.",
)
async def reassign_collector(
    username: Username, body: ReassignIn, session: SessionDep, clock: ClockDep, principal: Admin
) -> ReassignOut:
    collector = await service.require_collector(session, username)
    rows = await service.reassign_collector_cases(
        session, actor=principal, clock=clock, collector=collector, reason=body.reason
    )
    return ReassignOut(
        collector=username,
        moved=len(rows),
        unassigned=sum(1 for r in rows if r["collector"] is None),
        assignments=[AssignmentOut.model_validate(r) for r in rows],
    )


async def _worklist_page(
    session: AsyncSession,
    *,
    username: str,
    clock: ClockDep,
    settings: Settings,
    page: Paging,
    as_of: AwareDatetime | None,
) -> Page[WorkItemOut]:
    await service.require_collector(session, username)
    items = await worklist(
        session,
        collector=username,
        as_of=as_of or clock.now(),
        settings=settings,
        starting_after=page.starting_after,
        limit=page.limit,
    )
    return make_page([WorkItemOut.model_validate(i) for i in items], page)


AsOf = Annotated[AwareDatetime | None, Query(description="The instant to rank as of (default: now).")]


@router.get(
    "/collectors/{username}/worklist",
    response_model=Page[WorkItemOut],
    tags=["collectors"],
    summary="A collector's open cases, most urgent first, each with why it is there",
)
async def collector_worklist(
    username: Username,
    session: SessionDep,
    clock: ClockDep,
    settings: Settings,
    _: Reader,
    page: Paging,
    as_of: AsOf = None,
) -> Page[WorkItemOut]:
    return await _worklist_page(session, username=username, clock=clock, settings=settings, page=page, as_of=as_of)


def signed_in_collector(principal: Principal, collector: str | None) -> str:
    """The collector named, else the signed-in user's username; an API key must name one."""
    if collector:
        return collector
    if principal.kind == "user":
        return principal.name.removeprefix("user:")
    raise CollectorRequired(
        f"The API key '{principal.name}' is no person: name the collector with ?collector=.",
        detail_zh=f"API 密钥 '{principal.name}' 不代表具体人员，请用 ?collector= 指定催收员。",
    )


@router.get(
    "/worklist",
    response_model=Page[WorkItemOut],
    tags=["collectors"],
    summary="The signed-in collector's worklist (an API key names the collector)",
    responses={
        404: {
            "description": "`collector_not_found`: no collector has the username named or signed in",
            "content": {PROBLEM_JSON: {}},
        }
    },
)
async def my_worklist(
    session: SessionDep,
    clock: ClockDep,
    settings: Settings,
    principal: Reader,
    page: Paging,
    collector: Annotated[str | None, Query(pattern=USERNAME_PATTERN)] = None,
    as_of: AsOf = None,
) -> Page[WorkItemOut]:
    username = signed_in_collector(principal, collector)
    return await _worklist_page(session, username=username, clock=clock, settings=settings, page=page, as_of=as_of)


def _period(start: date, end: date) -> None:
    if start > end:
        raise InvalidPeriod(
            f"The period starts ({start.isoformat()}) after it ends ({end.isoformat()}).",
            detail_zh=f"期间的开始日期（{start.isoformat()}）晚于结束日期（{end.isoformat()}）。",
        )


@router.get(
    "/collectors/{username}/results",
    response_model=CollectorResultsOut,
    tags=["collectors"],
    summary="A collector's figures over a period of business dates",
)
async def collector_results(
    username: Username, session: SessionDep, _: Reader, start: From, end: To
) -> CollectorResultsOut:
    _period(start, end)
    collector = await service.require_collector(session, username)
    rows = await results(session, collectors=[(username, collector.display_name)], start=start, end=end)
    return CollectorResultsOut.model_validate(rows[0])


async def _all_results(session: AsyncSession, start: date, end: date) -> list[dict[str, object]]:
    _period(start, end)
    everyone = [(c.username, c.display_name) for c in await repository.all_collectors(session)]
    return await results(session, collectors=everyone, start=start, end=end)


@router.get(
    "/collector-results",
    response_model=ResultsListOut,
    tags=["collectors"],
    summary="Every collector's figures over a period of business dates",
)
async def every_collector_results(session: SessionDep, _: Reader, start: From, end: To) -> ResultsListOut:
    rows = await _all_results(session, start, end)
    return ResultsListOut.model_validate({"period_from": start, "period_to": end, "data": rows})


def _csv(body: str, name: str) -> Response:
    return Response(
        "\ufeff" + body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get(
    "/collector-results/csv",
    tags=["collectors"],
    summary="Every collector's figures as CSV (one row per collector and currency)",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
)
async def every_collector_results_csv(session: SessionDep, _: Reader, start: From, end: To) -> Response:
    rows = await _all_results(session, start, end)
    return _csv(results_csv(rows), f"collector-results-{start.isoformat()}-{end.isoformat()}.csv")


@router.get(
    "/collectors/{username}/results/csv",
    tags=["collectors"],
    summary="A collector's figures as CSV (one row per currency)",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
)
async def collector_results_csv(username: Username, session: SessionDep, _: Reader, start: From, end: To) -> Response:
    _period(start, end)
    collector = await service.require_collector(session, username)
    rows = await results(session, collectors=[(username, collector.display_name)], start=start, end=end)
    return _csv(results_csv(rows), f"collector-results-{username}-{start.isoformat()}-{end.isoformat()}.csv")
