"""/portfolio's figures, summed by the database, equal the same figures computed row by row from the tables."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import select

from arflow.ids import uuid7
from arflow.money import to_minor_units
from arflow.testing.services import RunningService
from credit_scoring.models import CreditLimit, CreditScore, Customer
from credit_scoring.scoring import band_shares

AT = datetime(2026, 4, 1, 2, tzinfo=UTC)


def score(
    customer_id: UUID, value: int, tier: str, *, hold: bool = False, days_ago: int = 0, id: UUID | None = None
) -> CreditScore:
    return CreditScore(
        id=id or uuid7(),
        customer_id=customer_id,
        score=value,
        tier=tier,
        payment_index=None,
        probability_bad=0.1,
        reasons=[],
        points={},
        credit_hold=hold,
        model_version="test",
        as_of=date(2026, 4, 1) - timedelta(days=days_ago),
        trigger="test",
        scored_at=AT - timedelta(days=days_ago),
    )


def limit(customer_id: UUID, currency: str, effective: str, exposure: str) -> CreditLimit:
    return CreditLimit(
        customer_id=customer_id,
        currency=currency,
        recommended=Decimal(effective),
        effective=Decimal(effective),
        exposure=Decimal(exposure),
        updated_at=AT,
    )


async def seed(running: RunningService) -> None:
    """Customers whose latest score is not their first, ties on scored_at, band edges, held clients,
    limits in CNY, JPY (no minor unit) and with four decimals that round half-up one by one."""
    rows: list[Any] = []
    ids = [uuid7() for _ in range(9)]
    rows += [Customer(id=c, first_seen_at=AT, updated_at=AT) for c in ids]
    a, b, c, d, e, f, g, h, i = ids
    rows += [score(a, 640, "A", days_ago=30), score(a, 499, "D", hold=True)]  # latest: D, held, band 0
    low, high = sorted([uuid7(), uuid7()])
    rows += [score(b, 500, "C", id=low), score(b, 620, "A", id=high)]  # same moment: the higher id wins
    rows += [score(c, 619, "B"), score(d, 620, "A"), score(e, 529, "C", hold=True), score(f, 590, "B")]
    rows += [score(g, 520, "C"), score(h, 560, "C")]  # e, g: one group; h: no limit; i: no score
    rows += [
        limit(a, "CNY", "1000.0050", "10.0050"),
        limit(b, "CNY", "2000.0050", "20.0050"),
        limit(c, "CNY", "3000.0050", "30.0049"),
        limit(d, "JPY", "150000.5000", "1200.4999"),
        limit(e, "CNY", "80000.5000", "0.0050"),
        limit(f, "USD", "500.1250", "0.0050"),
        limit(g, "CNY", "0.0000", "5.0050"),  # C: 0.01 + 5.01, not 5.0100 -> 5.01
        limit(i, "CNY", "999.0000", "999.0000"),
    ]
    async with running.app.state.db.unit_of_work() as session:
        for row in rows[:9]:
            session.add(row)
        await session.flush()
        for row in rows[9:]:
            session.add(row)


async def by_row(running: RunningService) -> dict[str, Any]:
    """The portfolio's tiers and bands the straightforward way: every score and limit read, the latest kept."""
    async with running.app.state.db.sessions() as session:
        scores = list((await session.execute(select(CreditScore))).scalars())
        limits = {row.customer_id: row for row in (await session.execute(select(CreditLimit))).scalars()}
    latest: dict[UUID, CreditScore] = {}
    for s in scores:
        seen = latest.get(s.customer_id)
        if seen is None or (s.scored_at, s.id) > (seen.scored_at, seen.id):
            latest[s.customer_id] = s
    tiers = []
    for tier in ("A", "B", "C", "D"):
        mine = [s for s in latest.values() if s.tier == tier]
        exposure: dict[str, Decimal] = defaultdict(Decimal)
        total: dict[str, Decimal] = defaultdict(Decimal)
        for s in mine:
            row = limits.get(s.customer_id)
            if row is not None:
                exposure[row.currency] += to_minor_units(row.exposure, row.currency)
                total[row.currency] += to_minor_units(row.effective, row.currency)
        tiers.append(
            {
                "tier": tier,
                "clients": len(mine),
                "on_hold": sum(1 for s in mine if s.credit_hold),
                "exposure": {k: format(v, "f") for k, v in exposure.items()},
                "limits": {k: format(v, "f") for k, v in total.items()},
            }
        )
    bands = [round(x, 4) for x in band_shares([s.score for s in latest.values()])]
    return {"scored_clients": len(latest), "tiers": tiers, "score_bands": bands}


async def test_portfolio_figures_equal_a_row_by_row_computation(credit_scoring: RunningService) -> None:
    await seed(credit_scoring)
    body = (await credit_scoring.client.get("/portfolio")).json()
    expected = await by_row(credit_scoring)
    assert {k: body[k] for k in expected} == expected  # the exponent too: a limit of 0.0000 CNY sums to "0.00"
    tiers = {t["tier"]: t for t in body["tiers"]}  # the seeded rows are in it (other tests may add theirs)
    assert tiers["D"]["on_hold"] >= 1 and "JPY" in tiers["A"]["exposure"] and "USD" in tiers["B"]["limits"]
