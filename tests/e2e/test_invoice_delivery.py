"""An invoice issued at invoicing reaches its customer through dunning, every service a process: the email from
the creditor with the invoice's PDF (fetched from its hosted page, the link's QR code in it) and the link that
opens that page; an SMS with the short link for a customer who prefers SMS, within two parts; the delivery status
at dunning.

Invoicing's public pages are reached through a front proxy whose port is fixed before the services start, so the
hosted links invoicing makes (ARFLOW_PUBLIC_BASE_URL) work for dunning's fetch and for the customer.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import httpx
import pytest

from arflow.auth import hash_key
from arflow.devstack.broker import free_port
from arflow.testing import eventually
from arflow.testing.creditor import TEST_CREDITOR
from arflow.testing.infrastructure import TestInfrastructure
from arflow.testing.pdf import layout_problems, text
from arflow.testing.platform import Platform, service_processes
from arflow.testing.proxy import TcpProxy
from arflow.testing.smtp import SmtpSink
from dunning.deliveries.rules import SMS_PARTS_AT_MOST, sms_parts

pytestmark = pytest.mark.e2e


class Carrier:
    """The SMS provider at the edge of the world: a local HTTP server keeping every message posted to it."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        carrier = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                carrier.messages.append(json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0)))))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sms"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@dataclass
class Office:
    platform: Platform
    smtp: SmtpSink
    carrier: Carrier
    public: str  # invoicing's public pages, as customers reach them


@pytest.fixture(scope="module")
def carrier() -> Iterator[Carrier]:
    running = Carrier()
    try:
        yield running
    finally:
        running.server.shutdown()


@pytest.fixture(scope="module")
async def office(infra: TestInfrastructure, api_key: str, carrier: Carrier) -> AsyncIterator[Office]:
    own = infra.isolated()
    smtp = SmtpSink().start()
    front = TcpProxy(free_port(), 0)
    public = f"http://127.0.0.1:{front.listen_port}"
    env = {
        "ARFLOW_API_KEYS": json.dumps([{"name": "e2e", "sha256": hash_key(api_key), "scopes": ["*"]}]),
        "ARFLOW_SMTP_HOST": "127.0.0.1",
        "ARFLOW_SMTP_PORT": str(smtp.port),
        "ARFLOW_PUBLIC_BASE_URL": public,
        "ARFLOW_SMS_PROVIDER_URL": carrier.url,
    }
    try:
        async with service_processes(own, env) as urls:
            front.target_port = urlsplit(urls["invoicing"]).port or 0
            await front.start()
            yield Office(Platform(urls=urls, smtp=smtp, api_key=api_key), smtp, carrier, public)
            await front.cut()
    finally:
        smtp.stop()
        await own.stop()


def daytime_zone() -> str:
    """A time zone where it is daytime now: no SMS goes in the customer's quiet hours (21:00-08:00 local)."""
    zones = ("Asia/Shanghai", "Europe/Berlin", "America/New_York", "America/Los_Angeles", "Pacific/Auckland")
    return next(z for z in zones if 9 <= datetime.now(ZoneInfo(z)).hour < 20)


async def issue(
    office: Office, contact: dict[str, Any], amount: str, *, time_zone: str = "Asia/Shanghai"
) -> dict[str, Any]:
    async with office.platform.client("invoicing") as invoicing:
        customer = await invoicing.post(
            "/customers",
            json={
                "legal_name": f"苏州工业园区{secrets.token_hex(3)}科技有限公司",
                "external_reference": f"crm-{secrets.token_hex(6)}",
                "time_zone": time_zone,
                "contacts": [{"name": "陈静", "role": "billing", **contact}],
            },
        )
        assert customer.status_code == 201, customer.text
        made = await invoicing.post(
            "/invoices",
            json={
                "customer_id": customer.json()["id"],
                "invoice_date": datetime.now(UTC).date().isoformat(),
                "net_days": 30,
                "issue": True,
                "lines": [{"description": "代理记账服务费", "unit_price": amount, "tax_rate": "0.06"}],
            },
        )
        assert made.status_code == 201, made.text
    invoice: dict[str, Any] = made.json()
    assert invoice["hosted_invoice_url"].startswith(office.public + "/i/")
    return invoice


async def delivery_of(office: Office, invoice: dict[str, Any]) -> dict[str, Any]:
    async with office.platform.client("dunning") as dunning:

        async def sent() -> dict[str, Any] | None:
            answer = await dunning.get("/invoice-deliveries", params={"invoice_id": invoice["id"]})
            assert answer.status_code == 200, answer.text
            found = answer.json()["data"]
            return found[0] if found and found[0]["status"] == "sent" else None

        return await eventually(sent, within=30, what=f"the delivery of {invoice['number']}")


async def test_an_issued_invoice_is_emailed_with_its_pdf_and_a_link_that_opens_its_page(office: Office) -> None:
    email = f"ap.{secrets.token_hex(4)}@example.cn"
    invoice = await issue(office, {"email": email, "language": "zh-CN"}, "3000.00")
    link = invoice["hosted_invoice_url"]

    async def mailed() -> list[EmailMessage]:
        return [m for m in office.smtp.messages if m["To"] == email]

    [message] = await eventually(mailed, within=30, what=f"the invoice email to {email}")
    assert message["From"].addresses[0].display_name == TEST_CREDITOR["creditor_name"]
    assert invoice["number"] in message["Subject"] and "CNY 3,180.00" in message["Subject"]
    plain = message.get_body(("plain",))
    assert plain is not None
    body = plain.get_content()
    assert link in body and invoice["payment_reference"] in body and "人民币叁仟壹佰捌拾元整" in body

    [attachment] = list(message.iter_attachments())
    pdf = attachment.get_content()
    assert attachment.get_filename() == f"{invoice['number']}.pdf" and pdf.startswith(b"%PDF")
    assert layout_problems(pdf) == []
    said = text(pdf).replace("\n", "")
    assert invoice["number"] in said and "3,180.00" in said and "叁仟壹佰捌拾元整" in said

    # The link in the email is the invoice's page, as a customer opens it.
    async with httpx.AsyncClient(headers={"Accept": "text/html"}, timeout=20) as customer:
        page = await customer.get(link)
    assert page.status_code == 200 and invoice["number"] in page.text

    sent = await delivery_of(office, invoice)
    assert (sent["channel"], sent["recipient"], sent["attempts"], sent["subject"]) == (
        "email",
        email,
        1,
        message["Subject"],
    )


async def test_a_customer_who_prefers_sms_is_texted_the_link_instead(office: Office) -> None:
    phone, email = f"+86137{secrets.randbelow(10**8):08d}", f"ap.{secrets.token_hex(4)}@example.cn"
    contact = {"email": email, "phone": phone, "preferred_channel": "sms"}
    invoice = await issue(office, contact, "500.00", time_zone=daytime_zone())

    async def texted() -> list[dict[str, Any]]:
        return [m for m in office.carrier.messages if m["to"] == phone]

    [sms] = await eventually(texted, within=30, what=f"the SMS to {phone}")
    assert invoice["hosted_invoice_url"] in sms["text"] and invoice["number"] in sms["text"]
    # the short link (a 128-bit token, 22 characters) keeps the text within the parts dunning documents
    assert len(invoice["hosted_invoice_url"].rsplit("/", 1)[1]) == 22
    assert sms_parts(sms["text"]) <= SMS_PARTS_AT_MOST, sms["text"]
    sent = await delivery_of(office, invoice)
    assert (sent["channel"], sent["recipient"], sms["reference"]) == ("sms", phone, sent["id"])
    assert [m for m in office.smtp.messages if m["To"] == email] == []
