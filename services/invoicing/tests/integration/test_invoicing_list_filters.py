"""The list filters a search box needs: a customer by 统一社会信用代码, an invoice by number or by amount."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from arflow.testing.services import RunningService

NewCustomer = Callable[..., Awaitable[dict[str, Any]]]
NewInvoice = Callable[..., Awaitable[dict[str, Any]]]


async def test_a_customer_is_found_by_its_uscc_in_any_letter_case(
    invoicing: RunningService, new_customer: NewCustomer
) -> None:
    wanted = await new_customer(legal_name="厦门海沧物流有限公司")
    await new_customer(legal_name="厦门集美物流有限公司")  # another code: not in the answer
    code = wanted["unified_social_credit_code"]
    for asked in (code, code.lower()):
        found = await invoicing.client.get("/customers", params={"unified_social_credit_code": asked})
        assert found.status_code == 200, found.text
        assert [c["id"] for c in found.json()["data"]] == [wanted["id"]]
    nobody = await invoicing.client.get("/customers", params={"unified_social_credit_code": "91350100M000100Y00"})
    assert nobody.json()["data"] == []
    too_long = await invoicing.client.get("/customers", params={"unified_social_credit_code": code + "X"})
    assert too_long.status_code == 422


async def test_an_invoice_is_found_by_its_number_in_any_letter_case(
    invoicing: RunningService, new_customer: NewCustomer, new_invoice: NewInvoice
) -> None:
    customer = await new_customer()
    wanted = await new_invoice(customer["id"], "321.00")
    await new_invoice(customer["id"], "321.00")
    for asked in (wanted["number"], wanted["number"].lower()):
        found = await invoicing.client.get("/invoices", params={"number": asked})
        assert found.status_code == 200, found.text
        assert [i["id"] for i in found.json()["data"]] == [wanted["id"]]
    assert (await invoicing.client.get("/invoices", params={"number": "INV-1999-000001"})).json()["data"] == []


async def test_invoices_are_found_by_their_total_exactly_or_in_a_range(
    invoicing: RunningService, new_customer: NewCustomer, new_invoice: NewInvoice
) -> None:
    customer = await new_customer()
    small = await new_invoice(customer["id"], "120.00")
    middle = await new_invoice(customer["id"], "4567.89")
    large = await new_invoice(customer["id"], "9000.00")
    mine = {"customer_id": customer["id"]}

    async def ids(**params: str) -> list[str]:
        answer = await invoicing.client.get("/invoices", params={**mine, **params})
        assert answer.status_code == 200, answer.text
        return [i["id"] for i in answer.json()["data"]]

    assert await ids(amount="4567.89") == [middle["id"]]
    assert await ids(amount="4567.9") == []  # exactly the total, not near it
    assert await ids(amount_min="120.00", amount_max="4567.89") == [middle["id"], small["id"]]  # newest first
    assert await ids(amount_min="4567.90") == [large["id"]]
    assert await ids(amount_max="119.99") == []
    # across every customer the exact total still finds this one among others of the same amount
    everyone = await invoicing.client.get("/invoices", params={"amount": "4567.89", "limit": 100})
    assert middle["id"] in [i["id"] for i in everyone.json()["data"]]
    assert {i["total"] for i in everyone.json()["data"]} == {"4567.89"}


async def test_an_amount_that_is_no_amount_is_refused_in_the_callers_language(invoicing: RunningService) -> None:
    for params in ({"amount": "abc"}, {"amount_min": "-1"}, {"amount_max": "NaN"}, {"amount": "1e20"}):
        answer = await invoicing.client.get("/invoices", params=params, headers={"Accept-Language": "zh-CN"})
        assert answer.status_code == 422, (params, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json")


async def test_customers_are_listed_by_their_ids_at_once(invoicing: RunningService, new_customer: NewCustomer) -> None:
    first, second, third = [await new_customer() for _ in range(3)]
    archived = await new_customer()
    assert (await invoicing.client.post(f"/customers/{archived['id']}/archive")).status_code == 200
    asked = [first["id"], third["id"], archived["id"]]
    found = await invoicing.client.get("/customers", params={"id": asked, "include_archived": "true"})
    assert found.status_code == 200, found.text
    assert {c["id"] for c in found.json()["data"]} == set(asked)  # the second is not asked, so not there
    unarchived = await invoicing.client.get("/customers", params={"id": asked})
    assert {c["id"] for c in unarchived.json()["data"]} == {first["id"], third["id"]}
    too_many = await invoicing.client.get("/customers", params={"id": [second["id"]] * 101})
    assert too_many.status_code == 422
