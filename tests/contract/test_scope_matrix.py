"""The scope matrix: no route of any service lets in a caller without its scope — not an API key of another
service, not a signed-in person whose roles grant nothing there, not a token the platform did not sign.

Every operation each service documents is called (path parameters filled with a made-up id, an empty JSON
body) as such callers; each answer must be a 401 or 403, except the routes that are public on purpose.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from arflow.openapi_examples import HTTP_METHODS
from arflow.testing.platform import Platform
from arflow.testing.tokens import person
from arflow.tokens import TokenClaims, generate_signing_key, sign

pytestmark = pytest.mark.e2e

# Open on purpose: probes, metrics, the API documents, gateways (their signatures are the check), signing in,
# and the customer's hosted pages (an unguessable token is the check).
PUBLIC_PREFIXES = ("/healthz", "/readyz", "/metrics", "/openapi.json", "/docs", "/webhooks/", "/sessions", "/i/", "/s/")
SERVICES = ["invoicing", "reconciliation", "dunning", "credit-scoring", "people"]
# A person's own account, open to every signed-in person (people:self) and to nobody else.
OWN_ACCOUNT = {"/me", "/me/password", "/sessions/current"}
OWN = "a person with only their own account"


def _operations(document: dict[str, Any]) -> list[tuple[str, str]]:
    found = []
    for path, item in document["paths"].items():
        if path.startswith(PUBLIC_PREFIXES):
            continue
        for method in item:
            if method in HTTP_METHODS:
                found.append((method.upper(), path))
    return found


def _url(path: str) -> str:
    filled = path
    while "{" in filled:
        start, end = filled.index("{"), filled.index("}")
        filled = filled[:start] + str(uuid.uuid4()) + filled[end + 1 :]
    return filled


def _foreign_token() -> str:
    claims = TokenClaims(
        subject=str(uuid.uuid4()),
        name="intruder",
        scopes=frozenset({"*"}),
        roles=("admin",),
        session_id="s",
        expires_at=datetime(2099, 1, 1, tzinfo=UTC),
    )
    return sign(generate_signing_key()[0], claims, issued_at=datetime.now(UTC), token_id=secrets.token_hex(8))


@pytest.mark.parametrize("service", SERVICES)
async def test_no_route_lets_in_a_caller_without_its_scope(platform: Platform, service: str) -> None:
    now = datetime.now(UTC)
    others = {f"{s}:{level}" for s in SERVICES if s != service for level in ("read", "write", "admin", "approve")}
    callers = {
        "no credentials": {},
        OWN: person("nobody", {"people:self"}, now=now),
        "a person with every other service's scopes": person("elsewhere", others, now=now),
        "a token another key signed, claiming everything": {"Authorization": f"Bearer {_foreign_token()}"},
    }
    bypasses: list[str] = []
    async with httpx.AsyncClient(base_url=platform.urls[service], timeout=10) as client:
        operations = _operations((await client.get("/openapi.json")).json())
        assert operations, f"{service} documents no protected operation"
        for method, path in operations:
            for who, headers in callers.items():
                if who == OWN and path in OWN_ACCOUNT:
                    continue
                response = await client.request(
                    method, _url(path), json={} if method in ("POST", "PUT", "PATCH") else None, headers=headers
                )
                if response.status_code not in (401, 403):
                    bypasses.append(f"{method} {path} as {who}: {response.status_code}")
    print(f"{service}: {len(operations)} operations x {len(callers)} callers, {len(bypasses)} bypasses")
    assert not bypasses, "\n".join(bypasses)
