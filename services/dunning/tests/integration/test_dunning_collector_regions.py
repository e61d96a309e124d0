"""Collectors' rules by region: a case goes to the collector of its customer's province or city, read from
the customer's USCC, through the API on real PostgreSQL and the broker.

On a platform of its own, as test_dunning_collectors: other tests' collectors would take these cases.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
from sqlalchemy import select

from arflow.clock import FixedClock
from arflow.events.catalog import ALL_TOPICS, ContactInfo, CustomerUpserted, InvoiceOverdue
from arflow.messaging.kafka import ensure_topics
from arflow.money import Money
from arflow.testing import eventually
from arflow.testing.infrastructure import TestInfrastructure
from arflow.testing.kafka import publish_events
from arflow.testing.services import RunningService, running_service
from arflow.testing.services import test_settings as settings_for
from arflow.testing.smtp import SmtpSink
from dunning.config import DunningSettings
from dunning.main import create_app
from dunning.models import Customer

DUE = date(2026, 3, 1)
OPENED = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
async def own(api_key: str, infra: TestInfrastructure, dunning_smtp: SmtpSink) -> AsyncIterator[Any]:
    platform = infra.isolated()
    try:
        await ensure_topics(platform.bootstrap, list(ALL_TOPICS))
        settings = settings_for(DunningSettings, platform, api_key, smtp_port=dunning_smtp.port)
        async with running_service(
            "dunning", create_app, settings, platform, api_key, clock=FixedClock(OPENED)
        ) as running:
            yield running, platform
    finally:
        await platform.stop()


async def put_collector(dunning: RunningService, username: str, **rules: Any) -> Any:
    body = {"display_name": f"催收员{username}", "active": True, "rules": rules}
    return await dunning.client.put(f"/collectors/{username}", json=body)


async def open_case(own: Any, uscc: str | None) -> dict[str, Any]:
    dunning, platform = own
    customer_id = uuid4()
    number = f"INV-2026-{uuid4().hex[:8].upper()}"
    await publish_events(
        platform.bootstrap,
        CustomerUpserted(
            customer_id=customer_id,
            revision=1,
            legal_name=f"客户{number[-4:]}有限公司",
            unified_social_credit_code=uscc,
            contacts=[ContactInfo(name="张伟", email=f"{uuid4().hex[:10]}@example.cn")],
        ),
    )

    async def known() -> bool:
        async with dunning.app.state.db.unit_of_work() as session:
            kept = (
                await session.execute(select(Customer.unified_social_credit_code).where(Customer.id == customer_id))
            ).one_or_none()
            return kept is not None and kept[0] == uscc  # the projection keeps the USCC the event carried

    await eventually(known, what="the customer")
    await publish_events(
        platform.bootstrap,
        InvoiceOverdue(
            customer_id=customer_id,
            invoice_id=uuid4(),
            invoice_number=number,
            invoice_date=DUE - timedelta(days=30),
            due_date=DUE,
            total=Money.of("8000.00", "CNY"),
            amount_due=Money.of("8000.00", "CNY"),
            days_overdue=1,
            bucket="1-30",
            as_of=DUE + timedelta(days=1),
        ),
    )

    async def probe() -> list[dict[str, Any]]:
        response = await dunning.client.get("/cases", params={"customer_id": str(customer_id)})
        return response.json()["data"]  # type: ignore[no-any-return]

    return (await eventually(probe, what="the case"))[0]


async def test_cases_go_to_the_collector_of_their_customers_region(own: Any) -> None:
    dunning, _ = own
    assert (await put_collector(dunning, "gd.all", regions=["44"])).status_code == 200
    sz = await put_collector(dunning, "sz.only", regions=["4403"], max_open_cases=1)
    assert sz.status_code == 200 and sz.json()["rules"]["regions"] == ["4403"]
    assert (await put_collector(dunning, "sh.all", regions=["31"])).status_code == 200

    guangzhou = await open_case(own, "91440101MA59TL0J3X")
    shenzhen = await open_case(own, "91440300MA5FUTQ53B")
    shenzhen_again = await open_case(own, "91440300MA5G0TQ53C")
    shanghai = await open_case(own, "91310000MA1FL8XY2K")
    assert guangzhou["collector"] == "gd.all"  # not the Shenzhen collector, who has no load
    # 深圳 is taken by both Guangdong collectors: the least loaded, then (at the city's cap) the province's.
    assert shenzhen["collector"] == "sz.only"
    assert shenzhen_again["collector"] == "gd.all"
    assert shanghai["collector"] == "sh.all"
    assert "Shanghai (310000)" in shanghai["assignment_reason"]

    # No USCC: in no region, so no regional collector takes it; it waits, the reason saying so.
    nowhere = await open_case(own, None)
    assert nowhere["collector"] is None
    assert "an unknown region" in nowhere["assignment_reason"]


async def test_a_region_naming_no_province_is_refused_in_both_languages(own: Any) -> None:
    dunning, _ = own
    response = await put_collector(dunning, "nowhere", regions=["99", "31"])
    assert response.status_code == 422
    problem = response.json()
    assert response.headers["content-type"].startswith("application/problem+json")
    assert (
        problem["code"] == "unknown_region" and "99" in problem["detail"] and "division code 99:" in problem["detail"]
    )
    body = {"display_name": "无", "rules": {"regions": ["99"]}}
    zh = await dunning.client.put("/collectors/nowhere", json=body, headers={"Accept-Language": "zh-CN"})
    assert zh.status_code == 422 and zh.json()["title"] == "地区代码无效"
    assert zh.json()["detail"].startswith("行政区划代码 99 不对应任何省份")
    assert (await dunning.client.get("/collectors/nowhere")).status_code == 404
    malformed = await put_collector(dunning, "nowhere", regions=["4403x"])
    assert malformed.status_code == 422 and malformed.json()["code"] == "validation_failed"


async def test_changing_a_collectors_regions_is_audited(own: Any) -> None:
    dunning, _ = own
    assert (await put_collector(dunning, "zj", regions=["33"])).status_code == 200
    changed = await put_collector(dunning, "zj", regions=["33", "3205"])
    assert changed.status_code == 200 and changed.json()["revision"] == 2
    assert changed.json()["rules"]["regions"] == ["3205", "33"]
    response = await dunning.client.get("/audit", params={"object_type": "collector", "object": "zj"})
    assert response.status_code == 200, response.text
    entries = response.json()["data"]
    assert any(e["after"] and e["after"].get("regions") == ["3205", "33"] for e in entries), entries
