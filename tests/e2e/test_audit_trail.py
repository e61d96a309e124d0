"""Who did it, at every service: a change made by a signed-in person or an integration is in that service's
audit trail with its author and request, and each service's chain verifies."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

import httpx
import pytest

from arflow.testing import eventually
from arflow.testing.platform import Platform

pytestmark = pytest.mark.e2e


def traced() -> tuple[dict[str, str], str]:
    trace_id = secrets.token_hex(16)
    return {
        "traceparent": f"00-{trace_id}-{secrets.token_hex(8)}-01",
        "Idempotency-Key": secrets.token_hex(8),
    }, trace_id


async def entries_of(client: httpx.AsyncClient, trace_id: str) -> list[dict[str, Any]]:
    response = await client.get("/audit", params={"request_id": trace_id})
    assert response.status_code == 200, response.text
    return response.json()["data"]  # type: ignore[no-any-return]


async def test_every_service_records_who_changed_what_and_its_chain_verifies(platform: Platform) -> None:
    customer_id = str(uuid.uuid4())
    changes: dict[str, tuple[str, str, dict[str, Any]]] = {
        "invoicing": (
            "POST",
            "/customers",
            {"legal_name": "上海审计测试科技有限公司", "external_reference": f"crm-{uuid.uuid4()}"},
        ),
        "dunning": ("PUT", f"/collectors/c{secrets.token_hex(3)}", {"display_name": "李娜"}),
        "credit-scoring": (
            "PUT",
            f"/credit-files/{customer_id}/onboarding",
            {
                "years_in_business": "6",
                "registered_capital": "1000000",
                "industry": "software",
                "tax_credit_rating": "A",
                "requested_net_days": 30,
                "monthly_billing": "5000.00",
            },
        ),
        "people": (
            "POST",
            "/users",
            {"username": f"a{secrets.token_hex(4)}", "display_name": "王芳", "roles": ["auditor"]},
        ),
    }
    for service, (method, path, body) in changes.items():
        headers, trace_id = traced()
        async with platform.client(service) as client:
            response = await client.request(method, path, json=body, headers=headers)
            assert response.status_code in (200, 201), (service, response.text)
            entries = await entries_of(client, trace_id)
            assert entries, f"{service}: {method} {path} left no audit entry"
            assert all(e["actor"] == "e2e" and e["actor_kind"] == "integration" for e in entries), entries
            assert any(e["after"] for e in entries), (service, entries)
            verified = (await client.get("/audit/verify")).json()
            assert verified["intact"] and verified["entries"] >= len(entries), (service, verified)
    # Reconciliation: a payment entered by hand for the customer invoicing made (once its event has arrived).
    async with platform.client("invoicing") as invoicing:
        made = await invoicing.post(
            "/customers",
            json={"legal_name": "杭州审计收款测试有限公司", "external_reference": f"crm-{uuid.uuid4()}"},
            headers={"Idempotency-Key": secrets.token_hex(8)},
        )
        assert made.status_code == 201, made.text
    headers, trace_id = traced()
    body = {"customer_id": made.json()["id"], "currency": "CNY", "amount": "10.00", "received_on": "2026-03-01"}
    async with platform.client("reconciliation") as reconciliation:

        async def booked() -> httpx.Response | None:
            response = await reconciliation.post("/payments", json={**body, "allocations": []}, headers=headers)
            return response if response.status_code == 201 else None

        payment = await eventually(booked, what="reconciliation to know the customer and take the payment")
        entries = await entries_of(reconciliation, trace_id)
        assert [e["object_id"] for e in entries if e["object_type"] == "payment"] == [payment.json()["id"]]
        assert all(e["actor"] == "e2e" for e in entries)
