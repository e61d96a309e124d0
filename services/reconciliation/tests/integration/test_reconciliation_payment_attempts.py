"""Payment attempts through the API: made only for what an invoice still owes, unique per gateway order."""

from __future__ import annotations

import secrets
from datetime import date
from typing import TYPE_CHECKING, Any

from arflow.testing.services import RunningService

if TYPE_CHECKING:  # the fixtures' types; conftest is not importable at run time (--import-mode=importlib)
    from conftest import Books


async def post(reconciliation: RunningService, body: dict[str, Any]) -> Any:
    return await reconciliation.client.post(
        "/payment-attempts", json=body, headers={"Idempotency-Key": secrets.token_hex(8)}
    )


async def test_an_attempt_asks_at_most_the_open_balance_and_each_order_id_is_used_once(
    reconciliation: RunningService, reconciliation_books: Books
) -> None:
    customer_id, _ = await reconciliation_books.customer()
    invoice = await reconciliation_books.issued(customer_id, "300.00", date(2026, 3, 31))
    base = {"provider": "wechat_pay", "invoice_id": str(invoice.invoice_id)}

    made = await post(reconciliation, base)
    assert made.status_code == 201, made.text
    body = made.json()
    # arflow's own order id fits WeChat Pay's out_trade_no (at most 32 characters).
    assert len(body["order_id"]) == 32 and body["amount"] == "300.00" and body["currency"] == "CNY"
    assert body["customer_id"] == str(customer_id) and body["created_by"]

    part = await post(reconciliation, {**base, "order_id": "ORDER-PART-0001", "amount": "100.00"})
    assert part.status_code == 201 and part.json()["amount"] == "100.00"
    taken = await post(reconciliation, {**base, "order_id": "order_part_0001"})  # the same order, spelled otherwise
    assert taken.status_code == 409 and taken.json()["code"] == "order_id_taken", taken.text
    assert "order 'order_part_0001' is already" in taken.json()["detail"]
    chinese = await reconciliation.client.post(
        "/payment-attempts",
        json={**base, "order_id": "ORDER_PART_0001"},
        headers={"Idempotency-Key": secrets.token_hex(8), "Accept-Language": "zh-CN"},
    )
    assert chinese.json()["detail"] == "wechat_pay 订单号“ORDER_PART_0001”已用于另一笔支付。"
    # The same order id at another gateway is another order.
    elsewhere = await post(reconciliation, {**base, "provider": "alipay", "order_id": "ORDER-PART-0001"})
    assert elsewhere.status_code == 201, elsewhere.text

    too_much = await post(reconciliation, {**base, "amount": "300.01"})
    assert too_much.status_code == 422 and too_much.json()["code"] == "attempt_amount_invalid"
    assert "300.00" in too_much.json()["detail"]
    finer = await post(reconciliation, {**base, "amount": "10.001"})
    assert finer.status_code == 422 and finer.json()["code"] == "attempt_amount_invalid"
    for bad in ({"order_id": "ab"}, {"order_id": "订单0000001"}, {"amount": "-1"}, {"provider": "paypal"}):
        refused = await post(reconciliation, {**base, **bad})
        assert refused.status_code == 422, (bad, refused.text)
    past = await post(reconciliation, {**base, "expires_at": "2020-01-01T00:00:00+08:00"})
    assert past.status_code == 422 and past.json()["code"] == "attempt_amount_invalid"
    unknown = await post(reconciliation, {**base, "invoice_id": "00000000-0000-7000-8000-000000000001"})
    assert unknown.status_code == 422 and unknown.json()["code"] == "invoice_unknown"

    listed = (
        await reconciliation.client.get("/payment-attempts", params={"invoice_id": str(invoice.invoice_id)})
    ).json()
    assert {a["order_id"] for a in listed["data"]} == {body["order_id"], "ORDER-PART-0001"}
    assert len(listed["data"]) == 3  # newest first, the Alipay one included
    assert listed["data"][0]["provider"] == "alipay"


async def test_an_attempt_is_closed_once(reconciliation: RunningService, reconciliation_books: Books) -> None:
    customer_id, _ = await reconciliation_books.customer()
    invoice = await reconciliation_books.issued(customer_id, "80.00", date(2026, 3, 31))
    made = (await post(reconciliation, {"provider": "alipay", "invoice_id": str(invoice.invoice_id)})).json()
    closed = await reconciliation.client.post(f"/payment-attempts/{made['id']}/close")
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    again = await reconciliation.client.post(f"/payment-attempts/{made['id']}/close")
    assert again.status_code == 409 and again.json()["code"] == "payment_attempt_not_open"
    missing = await reconciliation.client.get("/payment-attempts/00000000-0000-7000-8000-000000000002")
    assert missing.status_code == 404 and missing.json()["code"] == "payment_attempt_not_found"
    only_closed = (await reconciliation.client.get("/payment-attempts", params={"status": "closed"})).json()["data"]
    assert made["id"] in [a["id"] for a in only_closed]
