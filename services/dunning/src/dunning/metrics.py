"""Dunning's business metrics, read from its tables so that every replica reports the same figures.

A worker refreshes a snapshot every few seconds (the database is async, a
Prometheus scrape is not); a custom collector serves the snapshot at /metrics:

- arflow_dunning_steps_executed_total{channel,outcome}: steps finished, by channel and outcome;
- arflow_dunning_step_cure_rate{policy,step}: share of a step's cases paid within 7 days after it;
- arflow_dunning_promises_total{status} and arflow_dunning_promises_kept_ratio (kept / (kept + broken));
- arflow_dunning_open_cases{level} and arflow_dunning_open_amount{level,currency}.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import structlog
from fastapi import FastAPI
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import and_, func, literal_column, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from arflow.db import Database
from dunning.config import DunningSettings
from dunning.models import DunningAction, DunningCase, DunningCaseItem, PromiseToPay

log = structlog.get_logger("dunning")


async def metrics_snapshot(session: AsyncSession) -> dict[str, list[tuple[Any, ...]]]:
    """Figures for /metrics, read from the tables so every replica reports the same."""
    steps = await session.execute(
        select(DunningAction.channel, func.coalesce(DunningAction.outcome, DunningAction.status), func.count())
        .where(DunningAction.status != "pending")
        .group_by(literal_column("1"), literal_column("2"))
    )
    owed = (
        select(DunningCaseItem.case_id, func.sum(DunningCaseItem.amount_due).label("owed"))
        .where(DunningCaseItem.status == "open")
        .group_by(DunningCaseItem.case_id)
        .subquery()
    )
    levels = await session.execute(
        select(DunningCase.level, DunningCase.currency, func.count(), func.coalesce(func.sum(owed.c.owed), 0))
        .outerjoin(owed, owed.c.case_id == DunningCase.id)
        .where(DunningCase.status == "open")
        .group_by(DunningCase.level, DunningCase.currency)
    )
    # A step "cures" when its case is paid within 7 days after it.
    cured = and_(
        DunningCase.resolution == "paid",
        DunningCase.resolved_at <= DunningAction.created_at + text("interval '7 days'"),
    )
    cure = await session.execute(
        select(
            func.coalesce(DunningAction.details["policy"].astext, "none"),
            DunningAction.step,
            func.count(),
            func.count().filter(cured),
        )
        .join(DunningCase, DunningCase.id == DunningAction.case_id)
        .where(DunningAction.status.in_(("sent", "completed")))
        .group_by(literal_column("1"), literal_column("2"))
    )
    promises = await session.execute(select(PromiseToPay.status, func.count()).group_by(PromiseToPay.status))
    return {
        "steps": [tuple(r) for r in steps.all()],
        "levels": [tuple(r) for r in levels.all()],
        "cure": [tuple(r) for r in cure.all()],
        "promises": [tuple(r) for r in promises.all()],
    }


class DunningCollector(Collector):
    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.snapshot: dict[str, list[tuple[Any, ...]]] = {"steps": [], "levels": [], "cure": [], "promises": []}

    def collect(self) -> Iterator[Metric]:
        p, snap = self.prefix, self.snapshot
        steps = CounterMetricFamily(f"{p}_steps_executed", "Dunning steps executed", labels=["channel", "outcome"])
        for channel, outcome, count in snap["steps"]:
            steps.add_metric([channel, outcome], count)
        yield steps
        cure = GaugeMetricFamily(
            f"{p}_step_cure_rate", "Share of a step's cases paid within 7 days after it", labels=["policy", "step"]
        )
        for policy, step, total, cured in snap["cure"]:
            cure.add_metric([policy, step], cured / total if total else 0.0)
        yield cure
        promises = CounterMetricFamily(f"{p}_promises", "Promises to pay, by status", labels=["status"])
        by_status = dict(snap["promises"])
        for status, count in by_status.items():
            promises.add_metric([status], count)
        yield promises
        settled = by_status.get("kept", 0) + by_status.get("broken", 0)
        yield GaugeMetricFamily(
            f"{p}_promises_kept_ratio",
            "Kept promises over settled (kept + broken) ones",
            value=by_status.get("kept", 0) / settled if settled else 0.0,
        )
        cases = GaugeMetricFamily(f"{p}_open_cases", "Open dunning cases, by level", labels=["level"])
        amounts = GaugeMetricFamily(
            f"{p}_open_amount", "Amount overdue in open cases, by level", labels=["level", "currency"]
        )
        per_level: dict[str, int] = {}
        for level, currency, count, amount in snap["levels"]:
            per_level[str(level)] = per_level.get(str(level), 0) + count
            amounts.add_metric([str(level), currency], float(Decimal(amount)))
        for level, count in per_level.items():
            cases.add_metric([level], count)
        yield cases
        yield amounts


async def refresh(db: Database, collector: DunningCollector) -> None:
    async with db.unit_of_work() as session:
        collector.snapshot = await metrics_snapshot(session)


async def metrics_refresher(app: FastAPI) -> None:
    """The worker: refresh the business metrics' snapshot until cancelled."""
    settings: DunningSettings = app.state.settings
    collector = DunningCollector(app.state.metrics.prefix)
    app.state.metrics.registry.register(collector)
    app.state.dunning_metrics = collector
    while True:
        try:
            await refresh(app.state.db, collector)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the database is away: keep the last snapshot
            log.warning("metrics.refresh_failed", error=repr(exc))
        await asyncio.sleep(settings.metrics_refresh_seconds)
