"""A body the framework cannot read at all is a 400 (not JSON) or a 415 (not a type the route reads), not a 422
about fields it never saw; a readable body with a wrong field is still the 422."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel

from arflow.problems import PROBLEM_JSON, document_problems, install_problem_handlers


class Body(BaseModel):
    name: str


def app() -> FastAPI:
    made = FastAPI()
    install_problem_handlers(made)

    @made.post("/things")
    async def create(body: Body) -> dict[str, str]:
        return {"name": body.name}

    return made


@pytest.mark.parametrize(
    ("content", "content_type", "status", "code", "said"),
    [
        ('{"name": ', "application/json", 400, "bad_request", "请求体不是有效的 JSON"),
        ('{"name": "云帆"}', "text/plain", 415, "unsupported_media_type", "text/plain"),
        ("name=云帆", "text/csv; charset=utf-8", 415, "unsupported_media_type", "text/csv"),
        ('{"name": 1}', "application/json", 422, "validation_failed", "body.name"),
    ],
)
async def test_what_cannot_be_read_is_told_apart_from_what_does_not_validate(
    content: str, content_type: str, status: int, code: str, said: str
) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app()), base_url="http://t") as client:
        answer = await client.post(
            "/things", content=content.encode(), headers={"content-type": content_type, "accept-language": "zh-CN"}
        )
    assert (answer.status_code, answer.json()["code"]) == (status, code), answer.text
    assert answer.headers["content-type"] == PROBLEM_JSON and said in answer.json()["detail"]


async def test_a_json_kind_of_body_is_read() -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app()), base_url="http://t") as client:
        answer = await client.post(
            "/things", content='{"name": "云帆"}'.encode(), headers={"content-type": "application/merge-patch+json"}
        )
    assert answer.status_code == 200 and answer.json() == {"name": "云帆"}


def test_every_operation_with_a_body_documents_the_400_and_the_415() -> None:
    spec = document_problems(app().openapi())
    responses = spec["paths"]["/things"]["post"]["responses"]
    assert {"400", "415"} <= set(responses)
    assert PROBLEM_JSON in responses["415"]["content"]
