"""The request guard: bounded bodies, no NUL characters, safe response headers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse

from arflow.guards import RequestGuard, has_json_nul, nul_locations
from arflow.problems import install_problem_handlers

LIMIT = 2048


@pytest.fixture
def calls() -> list[Any]:
    return []


@pytest.fixture
async def client(calls: list[Any]) -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    install_problem_handlers(app)

    @app.post("/echo")
    async def echo(request: Request) -> dict[str, Any]:
        body = await request.body()
        calls.append(body)
        return {"bytes": len(body)}

    @app.get("/page")
    async def page(q: str = "") -> HTMLResponse:
        calls.append(q)
        return HTMLResponse("<p>hi</p>")

    app.add_middleware(RequestGuard, max_body_bytes=LIMIT)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://guarded") as http:
        yield http


@pytest.mark.parametrize(
    ("body", "nul"),
    [
        (rb'{"a": "x\u0000y"}', True),
        (rb'{"a": "x\\u0000"}', False),
        (rb'{"a": "x\\\u0000"}', True),
        (rb'{"a": "\U0000"}', True),
        (rb'{"a": "u0000"}', False),
    ],
)
def test_a_nul_escape_is_told_from_an_escaped_backslash(body: bytes, nul: bool) -> None:
    assert has_json_nul(body) is nul


def test_nul_locations_name_the_field_inside_nested_json() -> None:
    body = rb'{"legal_name": "ok", "contacts": [{"name": "a"}, {"name": "b\u0000"}]}'
    assert nul_locations(body, "json") == ["body.contacts.1.name"]
    assert nul_locations(b"trade_no=1&memo=a%00b", "form") == ["body.memo"]
    assert nul_locations(b"trade_no=1&memo=ab", "form") == []


async def test_a_json_body_with_a_nul_is_refused_before_the_route(client: httpx.AsyncClient, calls: list[Any]) -> None:
    response = await client.post(
        "/echo", content=rb'{"legal_name": "A\u0000B"}', headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == "validation_failed"
    assert [e["location"] for e in problem["errors"]] == ["body.legal_name"]
    assert calls == []


async def test_an_escaped_backslash_before_u0000_is_ordinary_text(client: httpx.AsyncClient, calls: list[Any]) -> None:
    body = rb'{"memo": "C:\\u0000dir"}'
    response = await client.post("/echo", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 200
    assert calls == [body]  # the route got the body exactly as sent


async def test_a_nul_in_the_query_string_is_refused(client: httpx.AsyncClient, calls: list[Any]) -> None:
    response = await client.get("/page?q=a%00b")
    assert response.status_code == 422
    assert response.json()["errors"][0]["location"] == "query.q"
    assert calls == []


async def test_a_body_declared_too_large_is_refused_unread(client: httpx.AsyncClient, calls: list[Any]) -> None:
    response = await client.post(
        "/echo", content=b"[" + b"1," * LIMIT + b"1]", headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"
    assert calls == []


async def test_a_streamed_body_is_cut_off_once_over_the_limit(client: httpx.AsyncClient, calls: list[Any]) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b"["
        for _ in range(LIMIT):
            yield b"1,"
        yield b"1]"

    response = await client.post("/echo", content=chunks(), headers={"content-type": "application/json"})
    assert "content-length" not in response.request.headers
    assert response.status_code == 413
    assert calls == []


async def test_an_upload_is_left_to_its_route(client: httpx.AsyncClient, calls: list[Any]) -> None:
    data = b"a;b\n" * LIMIT
    response = await client.post("/echo", content=data, headers={"content-type": "text/csv"})
    assert response.status_code == 200
    assert response.json() == {"bytes": len(data)}


async def test_responses_carry_the_security_headers(client: httpx.AsyncClient) -> None:
    anonymous = await client.get("/page")
    assert anonymous.headers["x-content-type-options"] == "nosniff"
    assert anonymous.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in anonymous.headers["content-security-policy"]
    assert "cache-control" not in anonymous.headers
    signed_in = await client.get("/page", headers={"authorization": "Bearer k"})
    assert signed_in.headers["cache-control"] == "no-store"
