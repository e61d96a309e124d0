"""A contract tells others what it bills: ContractStarted on creation, ContractChanged on pause / resume / cancel."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from arflow.testing.services import RunningService

NewCustomer = Callable[..., Awaitable[dict[str, Any]]]
Recorded = Callable[..., Awaitable[list[dict[str, Any]]]]


async def test_a_started_contract_publishes_its_monthly_amount_and_terms(
    invoicing: RunningService, new_customer: NewCustomer, recorded: Recorded
) -> None:
    customer = await new_customer()
    body = {
        "customer_id": customer["id"],
        "cycle": "quarterly",
        "start_date": "2026-01-01",
        "lines": [{"description": "代理记账服务费", "unit_price": "900.00", "tax_rate": "0.06"}],
    }
    created = await invoicing.client.post("/contracts", json=body)
    assert created.status_code == 201, created.text
    (started,) = await recorded("ContractStarted", contract_id=created.json()["id"])
    assert started["customer_id"] == customer["id"]
    assert started["amount_per_cycle"] == {"amount": "954.00", "currency": "CNY"}  # 900 + 6% tax
    assert started["monthly_amount"] == {"amount": "318.00", "currency": "CNY"}  # a quarter over 3 months
    assert started["net_days"] == 30  # no terms on the contract nor the customer: net 30
    assert (started["status"], started["effective_on"]) == ("active", "2026-01-01")


async def test_a_cancelled_contract_publishes_the_change_from_its_end_day(
    invoicing: RunningService, new_customer: NewCustomer, recorded: Recorded
) -> None:
    customer = await new_customer()
    body = {
        "customer_id": customer["id"],
        "start_date": "2026-01-15",
        "lines": [{"description": "代理记账服务费", "unit_price": "300.00", "tax_rate": "0.06"}],
    }
    contract = (await invoicing.client.post("/contracts", json=body)).json()
    cancelled = await invoicing.client.post(f"/contracts/{contract['id']}/cancel", json={"cancelled_on": "2026-06-10"})
    assert cancelled.status_code == 200, cancelled.text
    (changed,) = await recorded("ContractChanged", contract_id=contract["id"])
    assert (changed["change"], changed["status"], changed["effective_on"]) == ("cancelled", "cancelled", "2026-06-10")
    assert changed["end_date"] == "2026-06-10"
    assert changed["monthly_amount"] == {"amount": "318.00", "currency": "CNY"}
    assert changed["changed_at"] >= (await recorded("ContractStarted", contract_id=contract["id"]))[0]["changed_at"]
