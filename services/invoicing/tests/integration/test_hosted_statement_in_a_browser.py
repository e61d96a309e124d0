"""The hosted statement page in a real browser (Debian's Chromium driven by Playwright) over real HTTP.

The test's invoicing app is served by uvicorn on a free local port; the browser opens the statement's
link at phone width and disputes a line with a stamped reply chosen from disk, then opens another at
laptop width and confirms it, then asks a dead link for a new one. Screenshots go to
ARFLOW_STATEMENT_SCREENSHOTS when it is set (else to the test's temporary directory) so that a person can
look at them.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import shutil
import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from PIL import Image
from playwright.async_api import async_playwright, expect

from arflow.events.catalog import Allocation, PaymentReceived
from arflow.money import Money
from arflow.testing import eventually
from arflow.testing.infrastructure import TestInfrastructure
from arflow.testing.kafka import publish_events
from arflow.testing.services import RunningService
from invoicing.hosted.ratelimit import RateLimiter

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
NewCustomer = Callable[..., Awaitable[dict[str, Any]]]
NewInvoice = Callable[..., Awaitable[dict[str, Any]]]


@pytest.fixture
async def served(invoicing: RunningService) -> AsyncIterator[str]:
    """The running app over real HTTP on 127.0.0.1 (its lifespan already runs under the test's service)."""
    invoicing.app.state.hosted_rate_limiter = RateLimiter(10_000)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(invoicing.app, host="127.0.0.1", port=port, lifespan="off", log_level="warning")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())

    async def up() -> bool:
        return server.started

    await eventually(up, what="uvicorn serving the app")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def a_statement(
    invoicing: RunningService, infra: TestInfrastructure, new_customer: NewCustomer, new_invoice: NewInvoice, name: str
) -> dict[str, Any]:
    customer = await new_customer(legal_name=name)
    a = await new_invoice(customer["id"], "12800.00", invoice_date="2026-01-10", net_days=30)
    await new_invoice(customer["id"], "3600.00", invoice_date="2026-02-03", net_days=30)
    await new_invoice(customer["id"], "1580.50", invoice_date="2026-02-20", net_days=15)
    await publish_events(
        infra.bootstrap,
        PaymentReceived(
            customer_id=uuid.UUID(customer["id"]),
            payment_id=uuid.uuid4(),
            amount=Money.of("10000.00", "CNY"),
            received_on=date(2026, 2, 15),
            source="bank_statement",
            allocations=[Allocation(invoice_id=uuid.UUID(a["id"]), amount=Money.of("10000.00", "CNY"))],
        ),
    )

    async def applied() -> bool:
        return bool((await invoicing.client.get(f"/invoices/{a['id']}")).json()["balance"] == "2800.00")

    await eventually(applied, what="the February payment")
    response = await invoicing.client.post("/statements", json={"customer_id": customer["id"]})
    assert response.status_code == 201, response.text
    statement: dict[str, Any] = response.json()
    return statement


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("ARFLOW_STATEMENT_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def scan(tmp_path: Path) -> tuple[Path, int]:
    """A stamped reply as a customer would pick it from disk: a PNG, and its size."""
    out = io.BytesIO()
    Image.new("RGB", (600, 400), (255, 255, 255)).save(out, format="PNG")
    path = tmp_path / "盖章回函.png"
    path.write_bytes(out.getvalue())
    return path, len(out.getvalue())


async def test_a_customer_disputes_on_a_phone_and_another_confirms_on_a_laptop(
    invoicing: RunningService,
    infra: TestInfrastructure,
    new_customer: NewCustomer,
    new_invoice: NewInvoice,
    served: str,
    shots: Path,
    scan: tuple[Path, int],
) -> None:
    if CHROMIUM is None:
        pytest.fail("Debian's chromium is not installed: apt-get install chromium fonts-noto-cjk (.ci/run does)")
    disputed = await a_statement(invoicing, infra, new_customer, new_invoice, "杭州云帆科技有限公司")
    confirmed = await a_statement(invoicing, infra, new_customer, new_invoice, "苏州启明会计服务有限公司")

    def local(url: str) -> str:
        return served + url.removeprefix("http://127.0.0.1:8001")

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            phone = await browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
            tab = await phone.new_page()
            await tab.goto(local(disputed["hosted_statement_url"]))
            await expect(tab.locator("#closing-CNY")).to_have_text("¥7,980.50")
            await expect(tab.locator("#status")).to_have_text("待确认")
            # nothing wider than the phone: no sideways scrolling
            assert await tab.evaluate("document.documentElement.scrollWidth") <= 390
            await tab.screenshot(path=str(shots / "statement-phone.png"), full_page=True)
            await tab.click("#dispute summary")
            await tab.check("#pick-CNY\\:2")  # the 10,000.00 payment
            await tab.fill("input[name='amount:CNY:2']", "-12,800.00")
            await tab.fill("#dispute-comment", "我司已于2月15日付清1月账单12,800元，请核实。")
            await tab.set_input_files("#dispute-file", str(scan[0]))
            await tab.fill("#dispute-name", "李雷")
            await tab.fill("#dispute-title", "财务主管")
            await tab.screenshot(path=str(shots / "statement-phone-dispute.png"), full_page=True)
            await tab.click("#submit-dispute")
            await expect(tab.locator("#answered")).to_contain_text("提出差异")
            await expect(tab.locator("#answered")).to_contain_text("（北京时间）")
            await expect(tab.locator("#status")).to_have_text("已提出差异")
            await tab.screenshot(path=str(shots / "statement-phone-disputed.png"), full_page=True)

            laptop = await browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 800})
            wide = await laptop.new_page()
            await wide.goto(local(confirmed["hosted_statement_url"]) + "?lang=en")
            await expect(wide.locator("#closing-CNY")).to_have_text("CNY 7,980.50")
            await wide.screenshot(path=str(shots / "statement-laptop.png"), full_page=True)
            await wide.fill("#confirm-name", "Han Meimei")
            await wide.fill("#confirm-title", "Chief Accountant")
            await wide.click("#confirm")
            await expect(wide.locator("#answered")).to_contain_text("You confirmed this statement")
            await expect(wide.locator("#answered")).to_contain_text("(China Standard Time)")
            await wide.screenshot(path=str(shots / "statement-laptop-confirmed.png"), full_page=True)
            await wide.goto(local(confirmed["hosted_statement_url"]) + "x")  # a link that does not work
            await expect(wide.locator("input[type=email]")).to_be_visible()  # the renewal form
            await wide.screenshot(path=str(shots / "statement-not-found.png"), full_page=True)
            await wide.fill("input[type=email]", "wang.fang@example.cn")
            await wide.click("button[type=submit]")
            await expect(wide.locator("h1")).to_have_text("Request received")
            await wide.screenshot(path=str(shots / "statement-renewal-sent.png"), full_page=True)
        finally:
            await browser.close()

    evidence = (await invoicing.client.get(f"/statements/{disputed['id']}")).json()["response"]
    assert evidence["kind"] == "disputed" and evidence["ip"] == "127.0.0.1"
    assert "Chrome" in evidence["user_agent"]
    assert evidence["reply"]["size"] == scan[1]
    assert [line["amount_customer_sees"] for line in evidence["lines"]] == ["-12800.00"]
    assert (await invoicing.client.get(f"/statements/{confirmed['id']}")).json()["status"] == "confirmed"
