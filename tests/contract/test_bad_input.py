"""Bad input to any endpoint of any service is a 4xx problem+json, never a 500.

Every operation in each running service's OpenAPI document is called with
malformed bodies, wrong types and unknown ids.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from arflow.testing.platform import Platform

pytestmark = pytest.mark.e2e

BAD_BODIES: list[Any] = [
    None,
    "not json",
    [],
    {},
    {"unexpected": True},
    {"amount": 1.5, "currency": "XXX"},
    # Fuzzing found these as 500s: an object where a currency code goes, a month of year 0, a NUL in text.
    {"currency": {}, "default_currency": [], "month": "0000-01"},
    {"legal_name": "甲\u0000乙", "reason": "\u0000", "name": "x\u0000y"},
]
# Path values: an unknown id, not an id at all, a number, and a month that is no month (year 0).
FILLERS = (str(uuid.uuid4()), "not-an-id", "0", "0000-01")


def _fill(path: str, value: str) -> str:
    while "{" in path:
        start, end = path.index("{"), path.index("}")
        path = path[:start] + value + path[end + 1 :]
    return path


async def _calls(client: httpx.AsyncClient) -> list[tuple[str, str, Any]]:
    spec = (await client.get("/openapi.json")).json()
    calls: list[tuple[str, str, Any]] = []
    for path, operations in spec["paths"].items():
        if path == "/readyz":  # 503 is its honest answer when a dependency is down
            continue
        for method in operations:
            for filler in FILLERS:
                url = _fill(path, filler)
                if method in ("post", "put", "patch"):
                    calls.extend((method, url, body) for body in BAD_BODIES)
                else:
                    calls.append((method, url, None))
                    calls.append((method, url + "?limit=0&starting_after=x&as_of=yesterday&customer_id=1", None))
    return calls


@pytest.mark.parametrize("service", ["invoicing", "reconciliation", "dunning", "credit-scoring", "people"])
async def test_no_endpoint_answers_bad_input_with_a_500(platform: Platform, service: str) -> None:
    failures = []
    async with platform.client(service) as client:
        calls = await _calls(client)
        assert calls, "the service documents no operations"
        for method, url, body in calls:
            if body is None:
                response = await client.request(method, url)
            elif isinstance(body, str):
                response = await client.request(method, url, content=body, headers={"Content-Type": "application/json"})
            else:
                response = await client.request(method, url, json=body)
            if response.status_code >= 500:
                failures.append(f"{method.upper()} {url} {body!r} → {response.status_code} {response.text[:200]}")
            elif response.status_code >= 400:
                assert response.headers["content-type"].startswith("application/problem+json"), (method, url)
    assert not failures, "\n".join(failures)
