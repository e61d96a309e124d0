"""The console's tests stand on the real platform: the five services as processes, as `make run` starts them.

Page tests drive the console in process through an ASGI client pointed at those
services; the browser test drives a console process of its own through Chromium.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from console.config import ConsoleSettings
from console.main import create_app

from arflow.auth import hash_key
from arflow.devstack.broker import free_port
from arflow.testing import eventually
from arflow.testing.infrastructure import TestInfrastructure
from arflow.testing.platform import service_processes


@dataclass
class Platform:
    urls: dict[str, str]  # the five services and the console process
    api_key: str

    def client(self, service: str) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self.urls[service], headers={"Authorization": f"Bearer {self.api_key}"}, timeout=10
        )

    def console_settings(self) -> ConsoleSettings:
        return ConsoleSettings(
            console_secret=secrets.token_urlsafe(32),
            invoicing_url=self.urls["invoicing"],
            reconciliation_url=self.urls["reconciliation"],
            dunning_url=self.urls["dunning"],
            credit_scoring_url=self.urls["credit-scoring"],
            people_url=self.urls["people"],
        )

    async def person(self, roles: list[str], display_name: str = "李娜") -> tuple[str, str]:
        """A new person with `roles` who has set their own password: (username, password)."""
        username = f"p{secrets.token_hex(4)}"
        async with self.client("people") as people:
            made = await people.post(
                "/users",
                json={"username": username, "display_name": display_name, "roles": roles},
                headers={"Idempotency-Key": secrets.token_hex(8)},
            )
            assert made.status_code == 201, made.text
            first = made.json()["initial_password"]
            signed = await people.post(
                "/sessions", json={"username": username, "password": first}, headers={"Authorization": ""}
            )
            assert signed.status_code == 201, signed.text
            own = "控制台测试口令 " + secrets.token_hex(6)
            changed = await people.put(
                "/me/password",
                json={"current_password": first, "new_password": own},
                headers={"Authorization": f"Bearer {signed.json()['access_token']}"},
            )
            assert changed.status_code == 204, changed.text
        return username, own

    async def new_person(self, roles: list[str]) -> tuple[str, str]:
        """A new person who still has the first password an admin gave them."""
        username = f"n{secrets.token_hex(4)}"
        async with self.client("people") as people:
            made = await people.post(
                "/users",
                json={"username": username, "display_name": "王芳", "roles": roles},
                headers={"Idempotency-Key": secrets.token_hex(8)},
            )
            assert made.status_code == 201, made.text
        return username, made.json()["initial_password"]

    async def token(self, username: str, password: str) -> str:
        async with httpx.AsyncClient(base_url=self.urls["people"], timeout=10) as people:
            signed = await people.post("/sessions", json={"username": username, "password": password})
            assert signed.status_code == 201, signed.text
            return str(signed.json()["access_token"])

    async def overdue_case_for(
        self,
        collector: str,
        amount: str = "2000.00",
        name: str | None = None,
        also: tuple[str, ...] = (),
        **fields: Any,
    ) -> dict[str, Any]:
        """A customer whose invoice is overdue, its dunning case assigned to `collector`: the worklist's item.

        `also`: more invoices of the customer, issued before the overdue sweep (after it, the customer's
        credit hold would refuse them); `fields`: more of the customer's own fields.
        """
        async with self.client("invoicing") as invoicing, self.client("dunning") as dunning:
            customer = await invoicing.post(
                "/customers",
                json={"legal_name": name or f"杭州云帆科技有限公司 {secrets.token_hex(2)}", **fields},
                headers={"Idempotency-Key": secrets.token_hex(8)},
            )
            assert customer.status_code == 201, customer.text
            customer_id = customer.json()["id"]
            invoice = await self.issued_invoice(customer_id, amount)
            more = [await self.issued_invoice(customer_id, other) for other in also]
            swept = await invoicing.post("/admin/jobs/overdue-sweep/runs", json={"as_of": "2026-02-10T02:00:00Z"})
            assert swept.status_code == 200, swept.text

            async def case() -> dict[str, Any] | None:
                found = (await dunning.get("/cases", params={"customer_id": customer_id})).json()["data"]
                return found[0] if found else None

            opened = await eventually(case, within=30, what="a dunning case for the overdue invoice")
            assigned = await dunning.post(
                f"/cases/{opened['id']}/assignment", json={"collector": collector, "reason": "控制台测试"}
            )
            assert assigned.status_code == 200, assigned.text
            return {"case": opened, "invoice": invoice, "customer_id": customer_id, "also": more}

    async def issued_invoice(self, customer_id: str, amount: str) -> dict[str, Any]:
        async with self.client("invoicing") as invoicing:
            made = await invoicing.post(
                "/invoices",
                json={
                    "customer_id": customer_id,
                    "invoice_date": "2026-01-05",
                    "net_days": 30,
                    "issue": True,
                    "lines": [{"description": "代理记账服务费 2026年1月", "unit_price": amount, "tax_rate": "0"}],
                },
                headers={"Idempotency-Key": secrets.token_hex(8)},
            )
            assert made.status_code == 201, made.text
            return dict(made.json())

    async def write_off_requested(self, clerk: tuple[str, str], amount: str = "1500.00") -> dict[str, Any]:
        """A clerk asks to write off an invoice over the threshold: invoicing's pending approval."""
        async with self.client("invoicing") as invoicing:
            customer = await invoicing.post(
                "/customers",
                json={"legal_name": f"宁波海曙贸易有限公司 {secrets.token_hex(2)}"},
                headers={"Idempotency-Key": secrets.token_hex(8)},
            )
            assert customer.status_code == 201, customer.text
        invoice = await self.issued_invoice(customer.json()["id"], amount)
        token = await self.token(*clerk)
        async with httpx.AsyncClient(base_url=self.urls["invoicing"], timeout=10) as invoicing:
            asked = await invoicing.post(
                f"/invoices/{invoice['id']}/write-off",
                json={"reason": "客户已破产清算"},
                headers={"Authorization": f"Bearer {token}", "Idempotency-Key": secrets.token_hex(8)},
            )
        assert asked.status_code == 202, asked.text
        return {"approval": asked.json(), "invoice": invoice}

    async def collector(self, username: str) -> None:
        async with self.client("dunning") as dunning:
            put = await dunning.put(
                f"/collectors/{username}",
                # Rules that take no case by themselves: the tests hand each collector their cases.
                json={"display_name": "李娜", "active": True, "rules": {"min_amount": "0.00", "max_amount": "0.01"}},
            )
            assert put.status_code in (200, 201), put.text


@pytest.fixture(scope="session")
async def platform(infra: TestInfrastructure, api_key: str) -> AsyncIterator[Platform]:
    own = infra.isolated()
    env = {
        "ARFLOW_API_KEYS": json.dumps([{"name": "console-tests", "sha256": hash_key(api_key), "scopes": ["*"]}]),
        "ARFLOW_SMTP_HOST": "127.0.0.1",
        "ARFLOW_SMTP_PORT": str(free_port()),  # no mail server: dunning's emails stay queued
        "ARFLOW_CONSOLE_SECRET": secrets.token_urlsafe(32),
        # No quiet hours: "send the next step now" (an SMS may be next) answers the same at any hour of the run.
        "ARFLOW_QUIET_HOURS_START": "00:00:00",
        "ARFLOW_QUIET_HOURS_END": "00:00:00",
    }
    try:
        async with service_processes(own, env) as urls:
            yield Platform(urls=urls, api_key=api_key)
    finally:
        await own.stop()


ConsoleFactory = Callable[..., Awaitable[httpx.AsyncClient]]


@pytest.fixture
async def console(platform: Platform) -> AsyncIterator[ConsoleFactory]:
    """Browsers of their own: each call is a new cookie jar on one in-process console."""
    app = create_app(platform.console_settings())
    clients: list[httpx.AsyncClient] = []

    async def browser(**headers: str) -> httpx.AsyncClient:
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
            base_url="http://console.test",
            headers=headers,
            follow_redirects=False,
        )
        clients.append(client)
        return client

    yield browser
    for client in clients:
        await client.aclose()
    await app.state.backend.close()
