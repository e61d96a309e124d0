"""The creditor is data (issue 14): set through the API, validated, counted, published to dunning, and what
every document then shows. On a platform of its own: the shared one's documents use the settings' creditor."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select

from arflow.events.catalog import FIRM_SUBJECT
from arflow.persistence import outbox_message
from arflow.testing.creditor import TEST_CREDITOR
from arflow.testing.infrastructure import TestInfrastructure
from arflow.testing.pdf import text
from arflow.testing.services import RunningService, running_service
from arflow.testing.services import test_settings as settings_for
from invoicing.config import InvoicingSettings
from invoicing.main import create_app

FIRM = {
    "legal_name": "杭州钱塘财税咨询有限公司",
    "uscc": "91330106MA2H1TQX4H",
    "address": "杭州市西湖区文三路 200 号",
    "phone": "0571-8888 0000",
    "bank_name": "中国建设银行杭州西湖支行",
    "bank_account_name": "杭州钱塘财税咨询有限公司",
    "bank_account_number": "3305 0161 6270 0000 1234",
}


@pytest.fixture
async def bare(infra: TestInfrastructure, api_key: str) -> AsyncIterator[RunningService]:
    """Invoicing on databases of its own, with no creditor in its settings and no demo allowed."""
    own = infra.isolated()
    try:
        settings = settings_for(InvoicingSettings, own, api_key, **dict.fromkeys(TEST_CREDITOR))
        async with running_service("invoicing", create_app, settings, own, api_key) as running:
            yield running
    finally:
        await own.stop()


async def published(service: RunningService) -> list[dict[str, Any]]:
    async with service.app.state.db.unit_of_work() as session:
        rows = await session.execute(
            select(outbox_message.c.payload)
            .where(outbox_message.c.event_type == "CreditorUpdated")
            .order_by(outbox_message.c.id)  # written order: the relay's updates move rows in the heap
        )
        return [row.payload["data"] for row in rows]


async def test_until_the_creditor_is_set_documents_are_refused_and_readiness_says_so(bare: RunningService) -> None:
    unset = await bare.client.get("/creditor")
    assert unset.status_code == 409 and unset.json()["code"] == "creditor_not_configured"
    assert "PUT /creditor" in unset.json()["detail"]
    advice = (await bare.client.get("/readyz")).json()["advisories"]["creditor"]
    assert advice.startswith("not configured") and "PUT /creditor" in advice


async def test_a_creditor_is_refused_whole_when_any_part_is_wrong(bare: RunningService) -> None:
    bad_code = await bare.client.put("/creditor", json={**FIRM, "uscc": "91330106MA2H1TQX4A"})
    assert bad_code.status_code == 422
    assert [e["location"] for e in bad_code.json()["errors"]] == ["body.uscc"]
    half = await bare.client.put("/creditor", json={k: v for k, v in FIRM.items() if k != "bank_account_number"})
    assert half.status_code == 422
    assert (await bare.client.get("/creditor")).status_code == 409  # nothing was stored
    assert await published(bare) == []


async def test_the_creditor_set_through_the_api_is_counted_published_and_on_every_document(
    bare: RunningService,
) -> None:
    first = await bare.client.put("/creditor", json=FIRM, headers={"Idempotency-Key": "creditor-1"})
    assert first.status_code == 200, first.text
    body = first.json()
    assert (body["source"], body["revision"], body["demo"], body["updated_by"]) == ("api", 1, False, "test")
    assert body["bank_account_number"] == FIRM["bank_account_number"]
    again = await bare.client.put("/creditor", json=FIRM, headers={"Idempotency-Key": "creditor-1"})
    assert again.json() == body  # a retried call is answered as the first
    moved = await bare.client.put("/creditor", json={**FIRM, "phone": "0571-8888 0001"})
    assert moved.json()["revision"] == 2

    events = await published(bare)
    assert [e["revision"] for e in events] == [1, 2]
    assert events[-1]["customer_id"] == str(FIRM_SUBJECT) and events[-1]["phone"] == "0571-8888 0001"
    assert (await bare.client.get("/readyz")).json()["advisories"]["creditor"] == "ok"

    customer = await bare.client.post("/customers", json={"legal_name": "宁波海晨贸易有限公司"})
    assert customer.status_code == 201, customer.text
    invoice = await bare.client.post(
        "/invoices",
        json={
            "customer_id": customer.json()["id"],
            "issue": True,
            "lines": [{"description": "代理记账服务费", "unit_price": "300.00"}],
        },
    )
    assert invoice.status_code == 201, invoice.text
    pdf = await bare.client.get(f"/invoices/{invoice.json()['id']}/pdf")
    assert pdf.status_code == 200, pdf.text
    printed = "".join(text(pdf.content).split())
    assert "".join(FIRM["bank_account_number"].split()) in printed
    assert FIRM["legal_name"] in printed and FIRM["uscc"] in printed


async def test_setting_the_creditor_is_declared_idempotent_and_guarded(invoicing: RunningService) -> None:
    schema = (await invoicing.client.get("/openapi.json")).json()
    put = schema["paths"]["/creditor"]["put"]
    assert "Idempotency-Key" in {p["name"] for p in put.get("parameters", [])}
    assert "403" in put["responses"]
