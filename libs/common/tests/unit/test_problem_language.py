"""Problems in the caller's language: Accept-Language picks English or Chinese, validation reads as sentences."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel, Field, field_validator

from arflow.i18n import Invalid, preferred_language, validation_message
from arflow.problems import Conflict, install_problem_handlers


class Body(BaseModel):
    legal_name: str = Field(min_length=2)
    amount: Decimal
    due_date: date


class Period(BaseModel):
    months: int

    @field_validator("months")
    @classmethod
    def _whole_quarters(cls, value: int) -> int:
        if value % 3:
            raise Invalid(f"{value} months is not whole quarters.", f"{value} 个月不是整季度。")
        return value


class InvoiceNotOpen(Conflict):
    code, title, title_zh = "invoice_not_open", "Invoice is not open", "账单不是未结清状态"


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    install_problem_handlers(app)

    @app.post("/things")
    async def create(body: Body) -> dict[str, str]:
        return {"ok": body.legal_name}

    @app.post("/periods")
    async def period(body: Period) -> dict[str, int]:
        return {"months": body.months}

    @app.post("/things/void")
    async def void() -> None:
        raise InvoiceNotOpen("Invoice INV-1 is paid.", detail_zh="账单 INV-1 已付清。")

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        yield http


@pytest.mark.parametrize(
    ("header", "language"),
    [
        (None, "en"),
        ("zh-CN", "zh-CN"),
        ("zh", "zh-CN"),
        ("zh-TW;q=0.8, en;q=0.9", "en"),
        ("fr-FR, zh-Hans;q=0.5", "zh-CN"),
        ("en-GB,en;q=0.9,zh-CN;q=0.8", "en"),
        ("zh-CN;q=nonsense, en", "en"),
    ],
)
def test_the_preferred_language_follows_the_q_values(header: str | None, language: str) -> None:
    assert preferred_language(header) == language


def test_a_validation_message_fills_in_its_limits_in_both_languages() -> None:
    error = {"type": "string_too_short", "ctx": {"min_length": 2}, "msg": "String should have at least 2 characters"}
    assert validation_message(error, "en") == "Must be at least 2 character(s) long."
    assert validation_message(error, "zh-CN") == "至少需要 2 个字符。"
    custom = {"type": "value_error", "msg": "Value error, unknown currency 'XYZ'"}
    assert validation_message(custom, "zh-CN") == "unknown currency 'XYZ'"


async def test_validation_errors_are_sentences_in_chinese_when_asked(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/things", json={"legal_name": "x", "amount": "abc"}, headers={"Accept-Language": "zh-CN,zh;q=0.9"}
    )
    assert response.status_code == 422
    assert response.headers["content-language"] == "zh-CN"
    problem = response.json()
    messages = {e["location"]: e["message"] for e in problem["errors"]}
    assert messages == {
        "body.legal_name": "至少需要 2 个字符。",
        "body.amount": "必须是十进制数字，例如 1200.00。",
        "body.due_date": "此字段为必填项。",
    }
    assert problem["detail"].startswith("请求无效：")
    assert problem["title"] == "请求无法处理"


async def test_without_accept_language_the_answer_is_english(client: httpx.AsyncClient) -> None:
    response = await client.post("/things", json={"legal_name": "ok", "amount": "1.00"})
    assert response.headers["content-language"] == "en"
    assert response.json()["errors"][0]["message"] == "This field is required."


async def test_a_business_error_speaks_chinese_when_it_has_the_words(client: httpx.AsyncClient) -> None:
    chinese = (await client.post("/things/void", headers={"Accept-Language": "zh-CN"})).json()
    assert (chinese["title"], chinese["detail"], chinese["code"]) == (
        "账单不是未结清状态",
        "账单 INV-1 已付清。",
        "invoice_not_open",
    )
    english = (await client.post("/things/void")).json()
    assert (english["title"], english["detail"]) == ("Invoice is not open", "Invoice INV-1 is paid.")


async def test_an_unknown_route_is_a_chinese_404_when_asked(client: httpx.AsyncClient) -> None:
    response = await client.get("/nowhere", headers={"Accept-Language": "zh-CN"})
    assert response.status_code == 404
    assert (response.json()["code"], response.json()["detail"]) == ("not_found", "未找到")


@pytest.mark.parametrize(
    ("header", "sentence"), [("zh-CN", "4 个月不是整季度。"), ("en", "4 months is not whole quarters.")]
)
async def test_a_custom_validators_sentence_is_in_the_callers_language(
    client: httpx.AsyncClient, header: str, sentence: str
) -> None:
    response = await client.post("/periods", json={"months": 4}, headers={"Accept-Language": header})
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["location"] == "body.months" and error["message"] == sentence
    assert sentence in response.json()["detail"]
