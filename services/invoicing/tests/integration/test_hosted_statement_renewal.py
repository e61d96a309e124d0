"""A dead statement link asks for the email on file, as the invoice page does, and tells nobody what is on file.

Through the ASGI client as a browser: the 404 page of every statement link that does not work carries the
renewal form; what is typed is matched with the customer's contacts and kept as a request (never the
address), answered by one and the same page whether it matched, did not, or the link never was; a revoked
link is not renewed; the finance team sees the requests waiting on the statement's link.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date
from typing import Any

import httpx
import pytest
from lxml import html
from sqlalchemy import select, update

from arflow.testing.services import RunningService
from invoicing.hosted.links import token_hash
from invoicing.hosted.ratelimit import RateLimiter
from invoicing.statements.models import StatementLink, StatementLinkRenewal

NewCustomer = Callable[..., Awaitable[dict[str, Any]]]
NewInvoice = Callable[..., Awaitable[dict[str, Any]]]
Recorded = Callable[..., Awaitable[list[dict[str, Any]]]]
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
BASE = "http://127.0.0.1:8001"
EMAIL = "wang.fang@example.cn"  # conftest's customer contact


@pytest.fixture
async def visitor(invoicing: RunningService) -> AsyncIterator[httpx.AsyncClient]:
    invoicing.app.state.hosted_rate_limiter = RateLimiter(10_000)
    transport = httpx.ASGITransport(app=invoicing.app, client=("203.0.113.13", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://test", headers=BROWSER) as client:
        yield client


async def a_statement(invoicing: RunningService, new_customer: NewCustomer, new_invoice: NewInvoice) -> dict[str, Any]:
    customer = await new_customer()
    await new_invoice(customer["id"], "800.00", invoice_date="2026-02-03")
    response = await invoicing.client.post("/statements", json={"customer_id": customer["id"]})
    assert response.status_code == 201, response.text
    statement: dict[str, Any] = response.json()
    token = statement["hosted_statement_url"].removeprefix(f"{BASE}/s/")
    return {**statement, "token": token, "path": f"/s/{token}"}


@pytest.fixture
async def expired(invoicing: RunningService, new_customer: NewCustomer, new_invoice: NewInvoice) -> dict[str, Any]:
    """A statement whose link's last day was yesterday (1 March, the customer's)."""
    statement = await a_statement(invoicing, new_customer, new_invoice)
    async with invoicing.app.state.db.unit_of_work() as session:
        await session.execute(
            update(StatementLink)
            .where(StatementLink.statement_id == uuid.UUID(statement["id"]))
            .values(expires_on=date(2026, 3, 1))
        )
    return statement


async def renewals_of(invoicing: RunningService, token: str) -> list[StatementLinkRenewal]:
    async with invoicing.app.state.db.unit_of_work() as session:
        query = select(StatementLinkRenewal).where(StatementLinkRenewal.token_sha256 == token_hash(token))
        return list((await session.execute(query.order_by(StatementLinkRenewal.id))).scalars())


async def link_of(invoicing: RunningService, statement: dict[str, Any]) -> dict[str, Any]:
    link: dict[str, Any] = (await invoicing.client.get(f"/statements/{statement['id']}")).json()["link"]
    return link


async def test_the_dead_page_asks_for_the_email_on_file(visitor: httpx.AsyncClient, expired: dict[str, Any]) -> None:
    dead = await visitor.get(expired["path"])
    assert dead.status_code == 404
    page = html.fromstring(dead.text)
    [form] = page.xpath("//form[@method='post']")
    assert form.get("action") == ""  # to this very address: the page is the same whatever the link
    assert form.xpath(".//input[@type='email'][@name='email'][@required]")
    assert "请输入贵公司在我方登记的电子邮箱" in page.text_content()
    assert (await visitor.get("/s/" + "x" * 43)).content == dead.content
    english = html.fromstring((await visitor.get(expired["path"], params={"lang": "en"})).text)
    assert "enter the email address we have on file" in english.text_content()


async def test_a_renewal_is_kept_and_answered_the_same_whether_the_email_matched(
    invoicing: RunningService, visitor: httpx.AsyncClient, expired: dict[str, Any]
) -> None:
    wrong = await visitor.post(expired["path"], data={"email": "someone@else.example"})
    right = await visitor.post(expired["path"], data={"email": f"  {EMAIL.upper()} "})
    never = await visitor.post("/s/" + "q" * 43, data={"email": EMAIL})
    assert [r.status_code for r in (wrong, right, never)] == [202, 202, 202]
    assert wrong.content == right.content == never.content  # nothing says whether the address is on file
    assert wrong.headers["cache-control"] == "no-store"
    assert "新的对账单链接将发送至该邮箱" in html.fromstring(right.text).text_content()

    kept = await renewals_of(invoicing, expired["token"])
    assert [(r.email_matched, r.status, r.statement_id) for r in kept] == [
        (False, "refused", None),
        (True, "renewed", uuid.UUID(expired["id"])),
    ]
    assert (await renewals_of(invoicing, "q" * 43))[0].status == "refused"
    link = await link_of(invoicing, expired)
    assert (link["status"], link["renewals_pending"]) == ("active", 0)  # renewed at once, the new link sent

    # audited by the rows themselves: the request, never the address typed, the token's hash redacted
    entries = [
        e for r in kept for e in (await invoicing.client.get("/audit", params={"object": str(r.id)})).json()["data"]
    ]
    assert [e["action"] for e in entries] == ["statement_link_renewal.created"] * 2
    assert {e["after"]["token_sha256"] for e in entries} == {"[redacted]"}
    assert EMAIL not in str(entries) and "someone@else" not in str(entries)


async def test_a_matched_renewal_makes_a_new_link_and_publishes_it_for_the_address_on_file(
    invoicing: RunningService, visitor: httpx.AsyncClient, expired: dict[str, Any], recorded: Recorded
) -> None:
    assert (await visitor.post(expired["path"], data={"email": "nobody@else.example"})).status_code == 202
    assert await recorded("StatementHostedLinkChanged", statement_id=expired["id"]) == []
    assert (await visitor.post(expired["path"], data={"email": EMAIL.upper()})).status_code == 202
    [renewed] = await recorded("StatementHostedLinkChanged", statement_id=expired["id"])
    assert (renewed["reason"], renewed["send_to_email"], renewed["statement_number"]) == (
        "renewed",
        EMAIL,
        expired["number"],
    )
    assert date.fromisoformat(renewed["link_expires_on"]) >= date(2026, 4, 1)  # 30 days from today at least
    url = renewed["hosted_statement_url"]
    assert url.startswith(f"{BASE}/s/") and len(url.removeprefix(f"{BASE}/s/")) == 22
    assert (await visitor.get(url.removeprefix(BASE))).status_code == 200
    assert (await visitor.get(expired["path"])).status_code == 404


async def test_rotating_and_revoking_a_statement_link_are_published(
    invoicing: RunningService, new_customer: NewCustomer, new_invoice: NewInvoice, recorded: Recorded
) -> None:
    statement = await a_statement(invoicing, new_customer, new_invoice)
    rotated = (await invoicing.client.post(f"/statements/{statement['id']}/hosted-link")).json()
    assert (await invoicing.client.delete(f"/statements/{statement['id']}/hosted-link")).status_code == 204
    told = await recorded("StatementHostedLinkChanged", statement_id=statement["id"])
    assert [(e["reason"], e["hosted_statement_url"], e["send_to_email"]) for e in told] == [
        ("rotated", rotated["hosted_statement_url"], None),
        ("revoked", None, None),
    ]


async def test_a_revoked_or_rotated_link_is_not_renewed(
    invoicing: RunningService, visitor: httpx.AsyncClient, new_customer: NewCustomer, new_invoice: NewInvoice
) -> None:
    revoked = await a_statement(invoicing, new_customer, new_invoice)
    assert (await invoicing.client.delete(f"/statements/{revoked['id']}/hosted-link")).status_code == 204
    rotated = await a_statement(invoicing, new_customer, new_invoice)
    assert (await invoicing.client.post(f"/statements/{rotated['id']}/hosted-link")).status_code == 200
    for statement in (revoked, rotated):
        answer = await visitor.post(statement["path"], data={"email": EMAIL})
        assert answer.status_code == 202
        [kept] = await renewals_of(invoicing, statement["token"])
        assert (kept.email_matched, kept.status) == (False, "refused")
        assert (await link_of(invoicing, statement))["renewals_pending"] == 0


async def test_renewals_are_limited_per_address(
    invoicing: RunningService, visitor: httpx.AsyncClient, expired: dict[str, Any]
) -> None:
    invoicing.app.state.hosted_rate_limiter = RateLimiter(3)
    answers = [(await visitor.post(expired["path"], data={"email": EMAIL})).status_code for _ in range(5)]
    assert answers == [202, 202, 202, 429, 429]
    kept = await renewals_of(invoicing, expired["token"])
    assert len(kept) == 3  # the limited ones are not kept
    assert [r.status for r in kept] == ["renewed", "refused", "refused"]  # the first took the token away


async def test_a_renewal_without_an_email_is_refused(visitor: httpx.AsyncClient, expired: dict[str, Any]) -> None:
    answer = await visitor.post(expired["path"], data={}, headers={"Accept": "application/json"})
    assert answer.status_code == 422 and answer.json()["code"] == "validation_failed"
