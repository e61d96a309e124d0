"""Customers: update, archive, delete rules, filters, contacts, and the credit hold from credit-scoring."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from arflow.events.catalog import CreditScoreChanged
from arflow.testing import eventually
from arflow.testing.infrastructure import TestInfrastructure
from arflow.testing.kafka import publish_events
from arflow.testing.services import RunningService

NewCustomer = Callable[..., Awaitable[dict[str, Any]]]
Recorded = Callable[..., Awaitable[list[dict[str, Any]]]]


async def test_update_bumps_the_revision_and_publishes_the_new_state(
    invoicing: RunningService, new_customer: NewCustomer, recorded: Recorded
) -> None:
    customer = await new_customer()
    address = "上海市浦东新区世纪大道100号 200120"
    response = await invoicing.client.patch(
        f"/customers/{customer['id']}",
        json={
            "short_name": "星河二号",
            "contacts": [
                {"name": "张伟", "role": "finance_manager", "email": "zw@example.cn", "postal_address": address}
            ],
        },
    )
    assert response.status_code == 200, response.text
    updated = response.json()
    assert (updated["revision"], updated["short_name"]) == (2, "星河二号")
    assert updated["legal_name"] == customer["legal_name"]  # untouched fields stay
    assert updated["contacts"][0]["postal_address"] == address
    [event] = await recorded("CustomerUpserted", customer_id=customer["id"], revision=2)
    assert event["contacts"][0]["postal_address"] == address
    assert event["contacts"][0]["role"] == "finance_manager"


async def test_an_update_that_changes_nothing_publishes_nothing(
    invoicing: RunningService, new_customer: NewCustomer, recorded: Recorded
) -> None:
    customer = await new_customer()
    response = await invoicing.client.patch(f"/customers/{customer['id']}", json={"short_name": customer["short_name"]})
    assert response.json()["revision"] == 1
    assert await recorded("CustomerUpserted", customer_id=customer["id"], revision=2) == []


async def test_required_fields_cannot_be_cleared(invoicing: RunningService, new_customer: NewCustomer) -> None:
    customer = await new_customer()
    response = await invoicing.client.patch(f"/customers/{customer['id']}", json={"legal_name": None})
    assert response.status_code == 422
    assert response.json()["code"] == "validation_failed"


async def test_another_customers_external_reference_is_refused(
    invoicing: RunningService, new_customer: NewCustomer
) -> None:
    first, second = await new_customer(), await new_customer()
    response = await invoicing.client.patch(
        f"/customers/{second['id']}", json={"external_reference": first["external_reference"]}
    )
    assert response.status_code == 409
    assert response.json()["code"] == "external_reference_taken"


async def test_dunning_exclusion_needs_a_reason(invoicing: RunningService, new_customer: NewCustomer) -> None:
    customer = await new_customer()
    refused = await invoicing.client.patch(f"/customers/{customer['id']}", json={"dunning_excluded": True})
    assert refused.status_code == 422
    assert refused.json()["code"] == "dunning_exclusion_reason_missing"
    accepted = await invoicing.client.patch(
        f"/customers/{customer['id']}", json={"dunning_excluded": True, "dunning_exclusion_reason": "集团内部客户"}
    )
    assert accepted.json()["dunning_excluded"] is True
    lifted = await invoicing.client.patch(f"/customers/{customer['id']}", json={"dunning_excluded": False})
    assert lifted.json()["dunning_exclusion_reason"] is None


async def test_an_archived_customer_takes_no_invoices_and_leaves_the_default_list(
    invoicing: RunningService, new_customer: NewCustomer, recorded: Recorded
) -> None:
    customer = await new_customer()
    archived = await invoicing.client.post(f"/customers/{customer['id']}/archive")
    assert archived.json()["archived_at"] is not None
    refused = await invoicing.client.post(
        "/invoices", json={"customer_id": customer["id"], "lines": [{"description": "x", "unit_price": "1.00"}]}
    )
    assert refused.status_code == 422
    assert refused.json()["code"] == "customer_archived"
    listed = await invoicing.client.get("/customers", params={"external_reference": customer["external_reference"]})
    assert listed.json()["data"] == []
    listed = await invoicing.client.get(
        "/customers", params={"external_reference": customer["external_reference"], "include_archived": "true"}
    )
    assert [c["id"] for c in listed.json()["data"]] == [customer["id"]]
    [event] = await recorded("CustomerUpserted", customer_id=customer["id"], revision=2)
    assert event["archived"] is True
    restored = await invoicing.client.post(f"/customers/{customer['id']}/restore")
    assert (restored.json()["archived_at"], restored.json()["revision"]) == (None, 3)


async def test_an_invoiced_customer_is_never_deleted(
    invoicing: RunningService, new_customer: NewCustomer, new_invoice: Callable[..., Awaitable[dict[str, Any]]]
) -> None:
    customer = await new_customer()
    await new_invoice(customer["id"], issue=False)
    response = await invoicing.client.delete(f"/customers/{customer['id']}")
    assert response.status_code == 409
    assert response.json()["code"] == "customer_has_ledger"


async def test_a_customer_never_invoiced_can_be_deleted(invoicing: RunningService, new_customer: NewCustomer) -> None:
    customer = await new_customer()
    assert (await invoicing.client.delete(f"/customers/{customer['id']}")).status_code == 204
    assert (await invoicing.client.get(f"/customers/{customer['id']}")).status_code == 404


async def test_customers_filter_by_tag_and_search(invoicing: RunningService, new_customer: NewCustomer) -> None:
    tag = f"vip-{uuid.uuid4().hex[:6]}"
    tagged = await new_customer(tags=[tag], legal_name=f"深圳{tag}贸易有限公司")
    await new_customer()
    by_tag = await invoicing.client.get("/customers", params={"tag": tag})
    assert [c["id"] for c in by_tag.json()["data"]] == [tagged["id"]]
    by_name = await invoicing.client.get("/customers", params={"search": tag})
    assert [c["id"] for c in by_name.json()["data"]] == [tagged["id"]]


async def test_a_bad_phone_or_time_zone_is_refused(invoicing: RunningService, new_customer: NewCustomer) -> None:
    customer = await new_customer()
    response = await invoicing.client.patch(
        f"/customers/{customer['id']}",
        json={"time_zone": "Mars/Olympus", "contacts": [{"name": "x", "phone": "13812345678"}]},
    )
    assert response.status_code == 422
    locations = {e["location"] for e in response.json()["errors"]}
    assert {"body.time_zone", "body.contacts.0.phone"} <= locations


def score(customer_id: str, *, hold: bool, at: datetime) -> CreditScoreChanged:
    return CreditScoreChanged(
        customer_id=uuid.UUID(customer_id),
        score=420 if hold else 700,
        tier="D" if hold else "B",
        credit_hold=hold,
        model_version="test",
        scored_at=at,
    )


async def test_credit_hold_follows_credit_scoring_and_ignores_a_stale_score(
    invoicing: RunningService, infra: TestInfrastructure, new_customer: NewCustomer, recorded: Recorded
) -> None:
    customer = await new_customer()
    await publish_events(
        infra.bootstrap,
        score(customer["id"], hold=True, at=datetime(2026, 3, 1, 8, tzinfo=UTC)),
        score(customer["id"], hold=False, at=datetime(2026, 2, 1, 8, tzinfo=UTC)),  # older: ignored
    )

    async def held() -> dict[str, Any] | None:
        state = (await invoicing.client.get(f"/customers/{customer['id']}")).json()
        return state if state["credit_hold"] else None

    state = await eventually(held, what="the credit hold")
    assert state["revision"] == 2
    on_hold = await invoicing.client.get(
        "/customers", params={"credit_hold": "true", "external_reference": customer["external_reference"]}
    )
    assert [c["id"] for c in on_hold.json()["data"]] == [customer["id"]]

    async def published() -> list[dict[str, Any]]:
        return await recorded("CustomerUpserted", customer_id=customer["id"], revision=2)

    [event] = await eventually(published, what="CustomerUpserted with the hold")
    assert event["credit_hold"] is True
    # the stale release was consumed after the hold and changed nothing
    await publish_events(infra.bootstrap, score(customer["id"], hold=False, at=datetime(2026, 3, 2, 8, tzinfo=UTC)))

    async def released() -> bool:
        return not (await invoicing.client.get(f"/customers/{customer['id']}")).json()["credit_hold"]

    await eventually(released, what="the hold to be lifted by a newer score")
    assert (await invoicing.client.get(f"/customers/{customer['id']}")).json()["revision"] == 3


async def test_the_account_manager_is_set_on_the_customer_and_carried_to_dunning(
    invoicing: RunningService, new_customer: NewCustomer, recorded: Recorded
) -> None:
    customer = await new_customer(account_manager_email="wang.fang@firm.example.cn")
    assert customer["account_manager_email"] == "wang.fang@firm.example.cn"
    [created] = await recorded("CustomerUpserted", customer_id=customer["id"], revision=1)
    assert created["account_manager_email"] == "wang.fang@firm.example.cn"
    changed = await invoicing.client.patch(
        f"/customers/{customer['id']}", json={"account_manager_email": "li.lei@firm.example.cn"}
    )
    assert changed.status_code == 200 and changed.json()["account_manager_email"] == "li.lei@firm.example.cn"
    [updated] = await recorded("CustomerUpserted", customer_id=customer["id"], revision=2)
    assert updated["account_manager_email"] == "li.lei@firm.example.cn"
    refused = await invoicing.client.patch(f"/customers/{customer['id']}", json={"account_manager_email": "nobody"})
    assert refused.status_code == 422
    assert {e["location"] for e in refused.json()["errors"]} == {"body.account_manager_email"}
