"""A customer whose link has expired gets a new one by typing the email on file, every service a process.

The invoice's (the statement's) link is made to have expired; the customer opens it (the dead page), types the
address on file, and an email arrives — at a real SMTP sink — with a fresh link that opens the page. A wrong
address gets the same answer and sends nothing. Invoicing's public pages are reached through a front proxy whose
port is fixed before the services start, so the links invoicing makes work for the customer here.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import text as sql

from arflow.auth import hash_key
from arflow.db import Database, database_url
from arflow.devstack.broker import free_port
from arflow.testing import eventually
from arflow.testing.infrastructure import TestInfrastructure
from arflow.testing.platform import Platform, service_processes
from arflow.testing.proxy import TcpProxy
from arflow.testing.smtp import SmtpSink

pytestmark = pytest.mark.e2e
BROWSER = {"Accept": "text/html"}


@dataclass
class Office:
    platform: Platform
    smtp: SmtpSink
    public: str  # invoicing's public pages, as customers reach them
    invoicing_db: Database


@pytest.fixture(scope="module")
async def office(infra: TestInfrastructure, api_key: str) -> AsyncIterator[Office]:
    own = infra.isolated()
    smtp = SmtpSink().start()
    front = TcpProxy(free_port(), 0)
    public = f"http://127.0.0.1:{front.listen_port}"
    env = {
        "ARFLOW_API_KEYS": json.dumps([{"name": "e2e", "sha256": hash_key(api_key), "scopes": ["*"]}]),
        "ARFLOW_SMTP_HOST": "127.0.0.1",
        "ARFLOW_SMTP_PORT": str(smtp.port),
        "ARFLOW_PUBLIC_BASE_URL": public,
    }
    try:
        async with service_processes(own, env) as urls:
            front.target_port = urlsplit(urls["invoicing"]).port or 0
            await front.start()
            db = Database(database_url(own.server_url, own.database_name("invoicing")), pool_size=1)
            try:
                yield Office(Platform(urls=urls, smtp=smtp, api_key=api_key), smtp, public, db)
            finally:
                await db.dispose()
                await front.cut()
    finally:
        smtp.stop()
        await own.stop()


async def a_customer(office: Office, email: str) -> dict[str, Any]:
    async with office.platform.client("invoicing") as invoicing:
        customer = await invoicing.post(
            "/customers",
            json={
                "legal_name": f"苏州工业园区{secrets.token_hex(3)}科技有限公司",
                "external_reference": f"crm-{secrets.token_hex(6)}",
                "contacts": [{"name": "陈静", "role": "billing", "email": email, "language": "zh-CN"}],
            },
        )
    assert customer.status_code == 201, customer.text
    found: dict[str, Any] = customer.json()
    return found


async def an_invoice(office: Office, customer: dict[str, Any], dated: date | None = None) -> dict[str, Any]:
    async with office.platform.client("invoicing") as invoicing:
        made = await invoicing.post(
            "/invoices",
            json={
                "customer_id": customer["id"],
                "invoice_date": (dated or datetime.now(UTC).date()).isoformat(),
                "net_days": 30,
                "issue": True,
                "lines": [{"description": "代理记账服务费", "unit_price": "800.00", "tax_rate": "0.06"}],
            },
        )
    assert made.status_code == 201, made.text
    invoice: dict[str, Any] = made.json()
    return invoice


async def expire(office: Office, table: str, key: str, document_id: str) -> None:
    """The link's last day set two days back (in any customer's zone, it has expired)."""
    two_days_ago = datetime.now(UTC).date() - timedelta(days=2)
    async with office.invoicing_db.unit_of_work() as session:
        await session.execute(
            sql(f"UPDATE {table} SET expires_on = :day WHERE {key} = :id"), {"day": two_days_ago, "id": document_id}
        )


def mail_to(office: Office, address: str, subject_has: str = "") -> list[EmailMessage]:
    return [m for m in office.smtp.messages if m["To"] == address and subject_has in str(m["Subject"])]


async def mailed(office: Office, address: str, subject_has: str = "") -> list[EmailMessage]:
    return mail_to(office, address, subject_has)


def body_of(message: EmailMessage) -> str:
    plain = message.get_body(("plain",))
    assert plain is not None
    content: str = plain.get_content()
    return content


async def renewal_delivery(office: Office, kind: str, document_id: str) -> dict[str, Any]:
    async with office.platform.client("dunning") as dunning:

        async def sent() -> dict[str, Any] | None:
            answer = await dunning.get(
                f"/{kind}-deliveries", params={f"{kind}_id": document_id, "purpose": "link_renewal"}
            )
            assert answer.status_code == 200, answer.text
            found = answer.json()["data"]
            return found[0] if found and found[0]["status"] == "sent" else None

        return await eventually(sent, within=30, what=f"the renewal of {kind} {document_id}'s link")


async def renew(office: Office, dead_link: str, on_file: str) -> None:
    """The customer on the dead page: a wrong address first, then the one on file; the same answer to both."""
    async with httpx.AsyncClient(headers=BROWSER, timeout=20) as customer:
        dead = await customer.get(dead_link)
        assert dead.status_code == 404 and 'name="email"' in dead.text
        wrong = await customer.post(dead_link, data={"email": "someone@else.example.cn"})
        right = await customer.post(dead_link, data={"email": f" {on_file.upper()} "})
    assert wrong.status_code == right.status_code == 202
    assert wrong.content == right.content


async def test_an_expired_invoice_link_is_renewed_by_email_and_the_new_link_opens_the_page(office: Office) -> None:
    email = f"ap.{secrets.token_hex(4)}@example.cn"
    customer = await a_customer(office, email)
    invoice = await an_invoice(office, customer)
    await eventually(lambda: mailed(office, email), within=30, what="the invoice's email on issue")
    await expire(office, "hosted_invoice_link", "invoice_id", invoice["id"])

    await renew(office, invoice["hosted_invoice_url"], email)
    [renewal] = await eventually(
        lambda: mailed(office, email, "新链接"), within=30, what=f"the renewed link's email to {email}"
    )
    assert renewal["Subject"] == f"账单 {invoice['number']} 的新链接"
    [fresh] = re.findall(rf"{re.escape(office.public)}/i/[A-Za-z0-9_-]{{22}}", body_of(renewal))
    assert fresh != invoice["hosted_invoice_url"]
    async with httpx.AsyncClient(headers=BROWSER, timeout=20) as browser:
        opened = await browser.get(fresh)
        assert opened.status_code == 200 and invoice["number"] in opened.text
        assert (await browser.get(invoice["hosted_invoice_url"])).status_code == 404

    sent = await renewal_delivery(office, "invoice", invoice["id"])
    assert (sent["recipient"], sent["channel"], sent["subject"]) == (email, "email", renewal["Subject"])
    # the wrong address got nothing, and the customer one renewal email only
    assert [m for m in office.smtp.messages if "someone@else" in str(m["To"])] == []
    assert len(mail_to(office, email, "新链接")) == 1


async def test_an_expired_statement_link_is_renewed_by_email_and_the_new_link_opens_the_page(office: Office) -> None:
    email = f"stmt.{secrets.token_hex(4)}@example.cn"
    customer = await a_customer(office, email)
    # A period over on every calendar whatever the hour (today in UTC may not be over in Shanghai, nor
    # yesterday in Honolulu), with the invoice in it.
    period_end = datetime.now(UTC).date() - timedelta(days=2)
    await an_invoice(office, customer, dated=period_end)
    async with office.platform.client("invoicing") as invoicing:
        made = await invoicing.post(
            "/statements",
            json={
                "customer_id": customer["id"],
                "period_start": (period_end - timedelta(days=30)).isoformat(),
                "period_end": period_end.isoformat(),
            },
        )
    assert made.status_code == 201, made.text
    statement = made.json()
    await expire(office, "statement_link", "statement_id", statement["id"])

    await renew(office, statement["hosted_statement_url"], email)
    [renewal] = await eventually(
        lambda: mailed(office, email, "新链接"), within=30, what=f"the renewed statement link's email to {email}"
    )
    assert renewal["Subject"] == f"对账单 {statement['number']} 的新链接"
    [fresh] = re.findall(rf"{re.escape(office.public)}/s/[A-Za-z0-9_-]{{22}}", body_of(renewal))
    async with httpx.AsyncClient(headers=BROWSER, timeout=20) as browser:
        opened = await browser.get(fresh)
        assert opened.status_code == 200 and statement["number"] in opened.text
    sent = await renewal_delivery(office, "statement", statement["id"])
    assert sent["recipient"] == email
    assert [m for m in office.smtp.messages if "someone@else" in str(m["To"])] == []
