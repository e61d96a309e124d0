"""No payment acknowledged to a gateway is lost or applied twice, while services are killed and the broker restarts.

The four services run as processes on their own databases and Tansu broker.
A burst of genuine signed Stripe callbacks, one per issued invoice, is sent as a
gateway sends them: one that is not answered 2xx is sent again, later. Between
the waves each of the four services is SIGKILLed and started again, and then
the broker alone is restarted (Tansu forgets everything it held). Afterwards every
invoice whose callback was acknowledged is paid exactly once in invoicing, the
ledger ties to the cent, and the two services that learn of it by events agree:
the invoices were swept overdue first, so dunning resolves each customer's case,
and every credit file shows its invoice paid and none open. The figures are
printed with the test output.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import signal
import subprocess
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx
import pytest
import stripe

from arflow.auth import hash_key
from arflow.devstack.broker import free_port
from arflow.devstack.platform import SERVICES, ServiceSpec, spawn_service
from arflow.testing import eventually
from arflow.testing.infrastructure import TestInfrastructure

pytestmark = pytest.mark.e2e

INVOICES = 60
WAVES = 6  # a fault after each of the first five waves
SECRET = f"whsec_{secrets.token_hex(16)}"


@dataclass
class Faulty:
    """The platform as processes that a test may kill and start again."""

    infra: TestInfrastructure
    env: dict[str, str]
    replicas: int
    ports: dict[tuple[str, int], int] = field(default_factory=dict)
    processes: dict[tuple[str, int], subprocess.Popen[str]] = field(default_factory=dict)
    kills: int = 0
    broker_restarts: int = 0

    def url(self, service: str, replica: int = 0) -> str:
        return f"http://127.0.0.1:{self.ports[service, replica]}"

    def start(self, spec: ServiceSpec, replica: int) -> None:
        port = self.ports.setdefault((spec.name, replica), free_port())
        self.processes[spec.name, replica] = spawn_service(spec, self.env, port=port)

    async def ready(self, service: str, replica: int) -> None:
        async with httpx.AsyncClient(timeout=2) as client:

            async def answers() -> bool:
                try:
                    return (await client.get(f"{self.url(service, replica)}/readyz")).status_code == 200
                except httpx.HTTPError:
                    return False

            await eventually(answers, within=60, what=f"{service} #{replica} to be ready")

    async def kill_and_restart(self, service: str) -> None:
        """SIGKILL the service's first replica and start it again (a second one, if any, carries on)."""
        process = self.processes[service, 0]
        process.send_signal(signal.SIGKILL)
        process.wait(10)
        self.kills += 1
        self.start(next(s for s in SERVICES if s.name == service), 0)
        await self.ready(service, 0)

    async def restart_broker(self) -> None:
        self.infra.broker.stop()
        self.infra.broker.start()
        self.broker_restarts += 1

    def stop(self) -> None:
        for process in self.processes.values():
            process.send_signal(signal.SIGINT)
        for process in self.processes.values():
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.fixture(params=[1, 2], ids=["one-process-each", "two-replicas-each"])
async def faulty(infra: TestInfrastructure, api_key: str, request: pytest.FixtureRequest) -> AsyncIterator[Faulty]:
    own = infra.isolated()
    try:
        for spec in SERVICES:
            await own.migrated_database(spec)
        env = {
            **own.service_env(),
            "ARFLOW_API_KEYS": json.dumps([{"name": "faults", "sha256": hash_key(api_key), "scopes": ["*"]}]),
            "ARFLOW_JOBS_ENABLED": "false",
            "ARFLOW_RELAY_POLL_SECONDS": "0.2",
            "ARFLOW_RELAY_BROKER_CHECK_SECONDS": "1",
            "ARFLOW_LOG_LEVEL": "ERROR",
            "ARFLOW_STRIPE_WEBHOOK_SECRET": SECRET,
            # No mail server here: dunning's sender keeps its emails queued, which this test does not read.
            "ARFLOW_SMTP_HOST": "127.0.0.1",
            "ARFLOW_SMTP_PORT": str(free_port()),
        }
        platform = Faulty(infra=own, env=env, replicas=request.param)
        for spec in SERVICES:
            for replica in range(platform.replicas):
                platform.start(spec, replica)
        try:
            for spec in SERVICES:
                for replica in range(platform.replicas):
                    await platform.ready(spec.name, replica)
            yield platform
        finally:
            platform.stop()
    finally:
        await own.stop()


def _callback(invoice: dict[str, Any], customer_name: str) -> tuple[str, str]:
    """A payment_intent.succeeded for the invoice's total, signed as Stripe signs it."""
    minor = int(Decimal(invoice["total"]) * 100)
    payload = json.dumps(
        {
            "id": f"evt_{secrets.token_hex(8)}",
            "type": "payment_intent.succeeded",
            "data": {
                "object": {
                    "id": f"pi_{secrets.token_hex(8)}",
                    "amount": minor,
                    "amount_received": minor,
                    "currency": "cny",
                    "metadata": {"invoice_number": invoice["number"], "customer_name": customer_name},
                }
            },
        }
    )
    return payload, stripe.WebhookSignature.generate_signature_header(payload, SECRET, timestamp=int(time.time()))


async def _send_until_acknowledged(faulty: Faulty, payload: str, counts: dict[str, int]) -> None:
    """As a gateway does: send again (re-signed, later) until the answer is a 2xx; replicas take turns."""
    async with httpx.AsyncClient(timeout=10) as client:
        deadline = time.monotonic() + 120
        attempt = 0
        while time.monotonic() < deadline:
            attempt += 1
            replica = (len(payload) + attempt) % faulty.replicas
            header = stripe.WebhookSignature.generate_signature_header(payload, SECRET, timestamp=int(time.time()))
            try:
                response = await client.post(
                    f"{faulty.url('reconciliation', replica)}/webhooks/stripe",
                    content=payload,
                    headers={"Stripe-Signature": header, "Content-Type": "application/json"},
                )
            except httpx.HTTPError:
                counts["unanswered"] += 1
            else:
                if response.is_success:
                    counts["acknowledged"] += 1
                    return
                counts["refused"] += 1
            await asyncio.sleep(0.5)
        raise AssertionError("a callback was never acknowledged within 120 s")


async def test_no_acknowledged_payment_is_lost_or_doubled_under_kills_and_broker_restarts(
    faulty: Faulty, api_key: str
) -> None:
    auth = {"Authorization": f"Bearer {api_key}"}
    async with httpx.AsyncClient(base_url=faulty.url("invoicing"), headers=auth, timeout=10) as invoicing:
        invoices: list[tuple[dict[str, Any], str]] = []
        for n in range(INVOICES):
            name = f"故障测试{n:03d}有限公司"
            customer = await invoicing.post(
                "/customers",
                json={
                    "legal_name": name,
                    "external_reference": secrets.token_hex(6),
                    "contacts": [{"name": "财务", "email": f"ap{n}@example.cn", "language": "zh-CN"}],
                },
            )
            assert customer.status_code == 201, customer.text
            body = {
                "customer_id": customer.json()["id"],
                "invoice_date": "2026-03-01",
                "net_days": 30,
                "issue": True,
                "lines": [{"description": "代理记账服务费", "unit_price": f"{300 + n}.00"}],
            }
            issued = await invoicing.post("/invoices", json=body)
            assert issued.status_code == 201, issued.text
            invoices.append((issued.json(), name))

    async with httpx.AsyncClient(base_url=faulty.url("reconciliation"), headers=auth, timeout=10) as reconciliation:

        async def projected() -> bool:
            page = (await reconciliation.get("/open-items", params={"limit": 100, "status": "open"})).json()
            return len(page["data"]) >= INVOICES

        await eventually(projected, within=60, what="reconciliation to know every invoice")

    # Ten days overdue before the money comes: dunning opens a case on every customer, to be resolved
    # by the payment, so that dunning's view is put to the same kills as invoicing's.
    customer_ids = [invoice["customer_id"] for invoice, _ in invoices]
    async with httpx.AsyncClient(base_url=faulty.url("invoicing"), headers=auth, timeout=30) as invoicing:
        swept = await invoicing.post("/admin/jobs/overdue-sweep/runs", json={"as_of": "2026-04-10T02:00:00Z"})
        assert swept.status_code == 200, swept.text
    async with httpx.AsyncClient(base_url=faulty.url("dunning"), headers=auth, timeout=10) as dunning:

        async def cases_opened() -> bool:
            return await _all_cases(dunning, customer_ids, "open")

        await eventually(cases_opened, within=90, interval=0.5, what="dunning to open a case on every overdue customer")

    counts = {"acknowledged": 0, "refused": 0, "unanswered": 0}
    faults = [
        lambda: faulty.kill_and_restart("reconciliation"),
        lambda: faulty.kill_and_restart("invoicing"),
        lambda: faulty.kill_and_restart("dunning"),
        lambda: faulty.kill_and_restart("credit-scoring"),
        faulty.restart_broker,
    ]
    per_wave = INVOICES // WAVES
    assert per_wave * WAVES == INVOICES
    sending: list[asyncio.Task[None]] = []
    for wave in range(WAVES):
        for invoice, name in invoices[wave * per_wave : (wave + 1) * per_wave]:
            payload, _ = _callback(invoice, name)
            sending.append(asyncio.create_task(_send_until_acknowledged(faulty, payload, counts)))
        await asyncio.sleep(0.3)  # mid-burst
        if wave < len(faults):
            await faults[wave]()
    await asyncio.gather(*sending)

    async with httpx.AsyncClient(base_url=faulty.url("invoicing"), headers=auth, timeout=10) as invoicing:

        async def states() -> list[dict[str, Any]]:
            return [(await invoicing.get(f"/invoices/{invoice['id']}")).json() for invoice, _ in invoices]

        async def all_paid() -> bool:
            return all(i["status"] == "paid" for i in await states())

        try:
            await eventually(all_paid, within=90, what="every acknowledged payment applied in invoicing")
        finally:
            final = await states()
            lost = [i["number"] for i in final if i["status"] != "paid"]
            doubled = [i["number"] for i in final if Decimal(i["amount_paid"]) > Decimal(i["total"])]
            print(
                f"\nfault test, {faulty.replicas} process(es) per service: {INVOICES} callbacks, "
                f"{counts['acknowledged']} acknowledged, "
                f"{counts['refused'] + counts['unanswered']} retried "
                f"({counts['unanswered']} unanswered, {counts['refused']} refused), "
                f"{faulty.kills} services killed, {faulty.broker_restarts} broker restarts; "
                f"lost {len(lost)}, doubled {len(doubled)}"
            )
        assert counts["acknowledged"] == INVOICES
        assert not lost and not doubled
        paid = sum(Decimal(i["amount_paid"]) for i in final)
        assert paid == sum(Decimal(invoice["total"]) for invoice, _ in invoices)
        assert all(Decimal(i["balance"]) == 0 for i in final)

    # Dunning and credit-scoring, each put to the same kills, agree with invoicing: every case
    # resolved, every credit file one invoice paid and none open.
    async with httpx.AsyncClient(base_url=faulty.url("dunning"), headers=auth, timeout=10) as dunning:

        async def cases_resolved() -> bool:
            return await _all_cases(dunning, customer_ids, "resolved")

        await eventually(cases_resolved, within=90, interval=0.5, what="dunning to resolve every case")
    async with httpx.AsyncClient(base_url=faulty.url("credit-scoring"), headers=auth, timeout=10) as credit:

        async def files_agree() -> bool:
            for customer_id in customer_ids:
                file = (await credit.get(f"/credit-files/{customer_id}")).json()
                if (file.get("invoices_paid"), file.get("invoices_open")) != (1, 0):
                    return False
            return True

        await eventually(files_agree, within=90, interval=0.5, what="every credit file to show its invoice paid")
    print(f"dunning: {INVOICES} cases opened and resolved; credit-scoring: {INVOICES} files, each 1 paid, 0 open")


async def _all_cases(dunning: httpx.AsyncClient, customer_ids: list[str], status: str) -> bool:
    """Each customer has exactly one dunning case, in that status."""
    for customer_id in customer_ids:
        page = (await dunning.get("/cases", params={"customer_id": customer_id})).json()
        if [case["status"] for case in page.get("data", [])] != [status]:
            return False
    return True
