"""A person signed in at the people service works at every service with the scopes of their roles, and
nothing more; a token no longer valid is refused everywhere."""

from __future__ import annotations

import secrets

import httpx
import pytest

from arflow.testing.platform import Platform

pytestmark = pytest.mark.e2e


async def signed_in(platform: Platform, roles: list[str]) -> str:
    """The access token of a new person with `roles` who has set their own password."""
    async with platform.client("people") as people:
        username = f"p{secrets.token_hex(4)}"
        made = await people.post(
            "/users",
            json={"username": username, "display_name": "李娜", "roles": roles},
            headers={"Idempotency-Key": secrets.token_hex(8)},
        )
        assert made.status_code == 201, made.text
        first = await people.post(
            "/sessions",
            json={"username": username, "password": made.json()["initial_password"]},
            headers={"Authorization": ""},
        )
        assert first.status_code == 201, first.text
        own = "一段足够长的口令 " + secrets.token_hex(4)
        changed = await people.put(
            "/me/password",
            json={"current_password": made.json()["initial_password"], "new_password": own},
            headers={"Authorization": f"Bearer {first.json()['access_token']}"},
        )
        assert changed.status_code == 204, changed.text
        session = await people.post(
            "/sessions", json={"username": username, "password": own}, headers={"Authorization": ""}
        )
        assert session.status_code == 201, session.text
        return session.json()["access_token"]  # type: ignore[no-any-return]


async def test_a_collector_reads_everywhere_chases_in_dunning_and_books_no_money(platform: Platform) -> None:
    token = await signed_in(platform, ["collector"])
    as_person = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(timeout=10) as client:
        for service, path in [
            ("invoicing", "/invoices"),
            ("reconciliation", "/payments"),
            ("dunning", "/cases"),
            ("credit-scoring", "/alerts"),
        ]:
            read = await client.get(platform.urls[service] + path, headers=as_person)
            assert read.status_code == 200, (service, read.text)
        booked = await client.post(
            platform.urls["reconciliation"] + "/payments",
            json={
                "customer_id": "00000000-0000-7000-8000-000000000001",
                "currency": "CNY",
                "amount": "1.00",
                "received_on": "2026-03-01",
            },
            headers={**as_person, "Idempotency-Key": secrets.token_hex(8)},
        )
        assert booked.status_code == 403 and booked.json()["code"] == "missing_scope", booked.text
        assert "reconciliation:write" in booked.json()["detail"]
        forged = token[:-6] + ("AAAAAA" if not token.endswith("AAAAAA") else "BBBBBB")
        refused = await client.get(platform.urls["dunning"] + "/cases", headers={"Authorization": f"Bearer {forged}"})
        assert refused.status_code == 401 and refused.json()["code"] == "invalid_token"
