"""Reconciliation's own validators answer in the caller's language (arflow.i18n.Invalid): under Accept-Language
zh-CN a refused amount or CSV profile reads in Chinese, in English otherwise, and nothing is stored."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from arflow.testing.services import RunningService

ZH = {"Accept-Language": "zh-CN"}


def payment(amount: str, **more: Any) -> dict[str, Any]:
    return {"customer_id": str(uuid.uuid4()), "currency": "CNY", "amount": amount, "received_on": "2026-03-01", **more}


@pytest.mark.parametrize(
    ("body", "location", "english", "chinese"),
    [
        (payment("0.00"), "body.amount", "must be greater than zero", "必须大于零"),
        (payment("1000000000000000"), "body.amount", "is too large", "金额过大（小数点前最多 15 位）"),
        (
            payment("10.001"),
            "body.amount",
            "the amount 10.001 has more decimals than CNY allows",
            "金额 10.001 的小数位数超过了 CNY 允许的位数",
        ),
        (
            payment("10.00", allocations=[{"invoice_id": str(uuid.uuid4()), "amount": "1.005"}]),
            "body.allocations",
            "allocations[0].amount 1.005 has more decimals than CNY allows",
            "allocations[0].amount 1.005 的小数位数超过了 CNY 允许的位数",
        ),
    ],
)
async def test_a_refused_payment_says_why_in_the_callers_language(
    reconciliation: RunningService, body: dict[str, Any], location: str, english: str, chinese: str
) -> None:
    for headers, message in (({}, english), (ZH, chinese)):
        response = await reconciliation.client.post("/payments", json=body, headers=headers)
        assert (response.status_code, response.json()["code"]) == (422, "validation_failed"), response.text
        errors = {e["location"]: e["message"] for e in response.json()["errors"]}
        assert errors[location] == message, errors
    assert (await reconciliation.client.get("/payments", params={"customer_id": body["customer_id"]})).json()[
        "data"
    ] == []


async def test_a_csv_profile_without_an_amount_column_is_refused_in_chinese(reconciliation: RunningService) -> None:
    response = await reconciliation.client.put(
        "/csv-profiles/no_amounts", json={"name": "no_amounts", "date_column": "交易日期"}, headers=ZH
    )
    assert (response.status_code, response.json()["code"]) == (422, "validation_failed"), response.text
    [error] = response.json()["errors"]
    assert error["message"].startswith("请提供 amount_column"), error
    assert response.json()["detail"].startswith("请求无效：")


async def test_a_payment_attempt_for_nothing_is_refused_in_chinese(reconciliation: RunningService) -> None:
    body = {"provider": "alipay", "invoice_id": str(uuid.uuid4()), "amount": "-1.00"}
    response = await reconciliation.client.post("/payment-attempts", json=body, headers=ZH)
    assert (response.status_code, response.json()["code"]) == (422, "validation_failed"), response.text
    assert {e["location"]: e["message"] for e in response.json()["errors"]}["body.amount"] == "必须大于零"
