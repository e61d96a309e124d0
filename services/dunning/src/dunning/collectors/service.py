"""Collectors and who holds each case: set by the rules when a case opens, by hand, or when a collector
leaves. Never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from arflow import audit
from arflow.audit import snapshot
from arflow.auth import Principal
from arflow.clock import Clock
from arflow.ids import uuid7
from dunning.collectors import repository
from dunning.collectors.errors import CollectorInactive, CollectorNotFound, InvalidAmountBand, UnknownRegion
from dunning.collectors.regions import is_known_region, region_names
from dunning.collectors.rules import CaseProfile, assign_all, no_match_reason
from dunning.collectors.schemas import CollectorIn
from dunning.lookups import CaseNotOpen
from dunning.models import Collector, DunningCase

log = structlog.get_logger("dunning")

Basis = Literal["rules", "manual", "reassigned"]


def _not_found(username: str) -> CollectorNotFound:
    return CollectorNotFound(f"There is no collector '{username}'.", detail_zh=f"催收员 '{username}' 不存在。")


async def require_collector(session: AsyncSession, username: str) -> Collector:
    """The collector, or CollectorNotFound."""
    found = await repository.get_collector(session, username)
    if found is None:
        raise _not_found(username)
    return found


async def put_collector(
    session: AsyncSession, *, actor: Principal, clock: Clock, username: str, body: CollectorIn
) -> Collector:
    """Create or replace a collector and their rules; the same body again changes nothing."""
    rules = body.rules
    if rules.min_amount is not None and rules.max_amount is not None and rules.min_amount > rules.max_amount:
        raise InvalidAmountBand(
            f"min_amount {rules.min_amount} is above max_amount {rules.max_amount}.",
            detail_zh=f"金额下限 {rules.min_amount} 高于上限 {rules.max_amount}。",
        )
    unknown = sorted(r for r in set(rules.regions) if not is_known_region(r))
    if unknown:
        raise UnknownRegion(
            f"No province has the division code {', '.join(unknown)}: a region is 2, 4 or 6 digits of a "
            "GB/T 2260 division whose first two name a province (31 Shanghai, 44 Guangdong).",
            detail_zh=f"行政区划代码 {'、'.join(unknown)} 不对应任何省份：地区为 2、4 或 6 位行政区划代码，"
            "前两位为省份（如 31 上海、44 广东）。",
        )
    values: dict[str, Any] = {
        "display_name": body.display_name,
        "email": body.email,
        "active": body.active,
        "tiers": sorted(set(rules.tiers)),
        "regions": sorted(set(rules.regions)),
        "min_amount": rules.min_amount,
        "max_amount": rules.max_amount,
        "max_open_cases": rules.max_open_cases,
    }
    now = clock.now()
    inserted = await repository.insert_collector(
        session, {"id": uuid7(), "username": username, "revision": 1, "created_at": now, "updated_at": now, **values}
    )
    collector = await repository.get_collector(session, username, for_update=True)
    assert collector is not None
    if inserted:
        # (inserted by Core, to learn of a username taken meanwhile: the ORM saw no new row)
        await audit.record(
            session, action="collector.created", object_type="collector", object_id=username, after=snapshot(collector)
        )
        log.info("collector.created", collector=username, by=actor.name)
        return collector
    changed = {k: v for k, v in values.items() if getattr(collector, k) != v}
    if changed:
        for key, value in changed.items():
            setattr(collector, key, value)
        collector.revision += 1
        collector.updated_at = now
        log.info("collector.updated", collector=username, fields=sorted(changed), by=actor.name)
    return collector


async def _record(
    session: AsyncSession,
    *,
    cases: Sequence[DunningCase],
    chosen: dict[Any, str | None],
    basis: Basis,
    reasons: dict[Any, str | None],
    actor: Principal,
    at: datetime,
) -> list[dict[str, Any]]:
    """Set each case's collector, append its assignment history and move its open tasks along."""
    dates = await repository.business_dates(session, cases, at)
    rows = []
    moves: dict[tuple[str | None, str | None], list[UUID]] = {}
    for case in cases:
        collector, previous = chosen[case.id], case.collector
        rows.append(
            {
                "id": uuid7(),
                "case_id": case.id,
                "collector": collector,
                "previous_collector": previous,
                "basis": basis,
                "reason": reasons[case.id],
                "assigned_by": actor.name,
                "assigned_at": at,
                "assigned_on": dates[case.id],
            }
        )
        case.collector, case.assigned_at, case.assigned_by = collector, at, actor.name
        case.assignment_reason, case.updated_at = reasons[case.id], at
        if collector != previous:
            moves.setdefault((previous, collector), []).append(case.id)
        log.info("case.assigned", case_id=str(case.id), collector=collector, previous=previous, basis=basis)
    # One statement per (from, to) pair, however many cases move.
    for (previous, collector), case_ids in moves.items():
        await repository.move_open_tasks(session, case_ids, previous=previous, collector=collector)
    await repository.insert_assignments(session, rows)
    return rows


async def _by_rules(
    session: AsyncSession, cases: Sequence[DunningCase], *, excluded: Sequence[str] = ()
) -> tuple[list[CaseProfile], dict[Any, str | None]]:
    collectors = await repository.active_rules(session)
    profiles = await repository.profiles(session, cases)
    if not collectors:
        return profiles, dict.fromkeys((c.id for c in cases), None)
    if any(c.max_open_cases is not None for c in collectors):
        await repository.lock_assignments(session)
    loads = await repository.loads(session, [c.username for c in collectors])
    return profiles, assign_all(collectors, loads, profiles, excluded=excluded)


def _rules_reason(profile: CaseProfile, collector: str | None) -> str:
    if collector is None:
        return no_match_reason(profile)[0]
    region = region_names(profile.division)[0]
    return f"By the rules: tier {profile.tier or 'B'}, {region}, open balance {profile.amount:,.2f}, least loaded."


async def assign_new_case(session: AsyncSession, *, actor: Principal, clock: Clock, case: DunningCase) -> None:
    """A case just opened goes to the collector the rules choose, or waits unassigned (recorded as such)."""
    await session.flush()
    profiles, chosen = await _by_rules(session, [case])
    reasons: dict[Any, str | None] = {case.id: _rules_reason(profiles[0], chosen[case.id])}
    await _record(session, cases=[case], chosen=chosen, basis="rules", reasons=reasons, actor=actor, at=clock.now())


async def assign_waiting_cases(session: AsyncSession, *, actor: Principal, as_of: datetime) -> dict[str, int]:
    """Give the open cases nobody holds - opened while no rule took them, or before collectors existed - to
    the collectors the rules choose now; those still taken by nobody stay as they are (no new history row)."""
    collectors = await repository.active_rules(session)
    if not collectors:
        return {"waiting": 0, "assigned": 0}
    waiting = await repository.waiting_cases(session)
    if not waiting:
        return {"waiting": 0, "assigned": 0}
    profiles, chosen = await _by_rules(session, waiting)
    found = [c for c in waiting if chosen[c.id] is not None]
    by_id = {p.case_id: p for p in profiles}
    reasons: dict[Any, str | None] = {c.id: _rules_reason(by_id[c.id], chosen[c.id]) for c in found}
    await _record(session, cases=found, chosen=chosen, basis="rules", reasons=reasons, actor=actor, at=as_of)
    return {"waiting": len(waiting) - len(found), "assigned": len(found)}


async def assign_by_hand(
    session: AsyncSession,
    *,
    actor: Principal,
    clock: Clock,
    case: DunningCase,
    collector: Collector,
    reason: str,
) -> DunningCase:
    """Give an open case to an active collector, with the reason recorded in its assignment history."""
    if case.status != "open":
        raise CaseNotOpen("The case is resolved: it is nobody's to chase.", detail_zh="该催收案件已结案，无需分配。")
    if not collector.active:
        raise CollectorInactive(
            f"The collector '{collector.username}' is not active: activate them first or choose another.",
            detail_zh=f"催收员 '{collector.username}' 未在岗，请先启用或另选他人。",
        )
    await _record(
        session,
        cases=[case],
        chosen={case.id: collector.username},
        basis="manual",
        reasons={case.id: reason},
        actor=actor,
        at=clock.now(),
    )
    return case


async def assign_named(
    session: AsyncSession, *, actor: Principal, clock: Clock, case: DunningCase, collector: str
) -> DunningCase:
    """The older POST /cases/{id}/assign: any name, no reason; recorded in the history like any assignment."""
    await _record(
        session,
        cases=[case],
        chosen={case.id: collector},
        basis="manual",
        reasons={case.id: None},
        actor=actor,
        at=clock.now(),
    )
    return case


async def reassign_collector_cases(
    session: AsyncSession, *, actor: Principal, clock: Clock, collector: Collector, reason: str
) -> list[dict[str, Any]]:
    """Hand every open case of a collector (who leaves, say) to the rules, them excluded; the cases no other
    collector takes wait unassigned. Each move is recorded with the reason."""
    cases = await repository.open_cases_of(session, collector.username, for_update=True)
    if not cases:
        return []
    profiles, chosen = await _by_rules(session, cases, excluded=[collector.username])
    by_id = {p.case_id: p for p in profiles}
    reasons: dict[Any, str | None] = {}
    for case in cases:
        found = chosen[case.id]
        why = _rules_reason(by_id[case.id], found)
        reasons[case.id] = f"{reason} — {why}"
    return await _record(
        session, cases=cases, chosen=chosen, basis="reassigned", reasons=reasons, actor=actor, at=clock.now()
    )
