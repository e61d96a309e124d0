"""The hosted statement page as the customer who opens the link sees it, and the one answer it takes.

Through the ASGI client as a browser (no key, only the link; the HTML parsed with lxml): what the page
shows is the frozen statement and its hash; the answer forms carry this link's token; a confirmation or a
dispute (with a stamped reply) is taken once, kept with its evidence, told on arflow.statements and audited.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date
from typing import Any

import httpx
import pytest
from lxml import html
from PIL import Image
from sqlalchemy import update

from arflow.events.catalog import Allocation, PaymentReceived, StatementConfirmed, StatementDisputed
from arflow.money import Money
from arflow.testing import eventually
from arflow.testing.creditor import TEST_CREDITOR
from arflow.testing.infrastructure import TestInfrastructure
from arflow.testing.kafka import publish_events
from arflow.testing.services import RunningService
from invoicing.hosted.ratelimit import RateLimiter
from invoicing.statements.models import StatementLink

NewCustomer = Callable[..., Awaitable[dict[str, Any]]]
NewInvoice = Callable[..., Awaitable[dict[str, Any]]]
Recorded = Callable[..., Awaitable[list[dict[str, Any]]]]
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "User-Agent": "TestPhone/1.0"}


@pytest.fixture
async def visitor(invoicing: RunningService) -> AsyncIterator[httpx.AsyncClient]:
    """A browser at 203.0.113.9: no key, no cookies, only the link."""
    invoicing.app.state.hosted_rate_limiter = RateLimiter(10_000)
    transport = httpx.ASGITransport(app=invoicing.app, client=("203.0.113.9", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://test", headers=BROWSER) as client:
        yield client


@pytest.fixture
async def statement(
    invoicing: RunningService, infra: TestInfrastructure, new_customer: NewCustomer, new_invoice: NewInvoice
) -> dict[str, Any]:
    """February 2026: A 1,000.00 from January, B 500.00 dated 02-03, 600.00 of A paid 02-15; closing 900.00."""
    customer = await new_customer(legal_name="杭州云帆科技有限公司")
    a = await new_invoice(customer["id"], "1000.00", invoice_date="2026-01-10", net_days=30)
    b = await new_invoice(customer["id"], "500.00", invoice_date="2026-02-03", net_days=30)
    await publish_events(
        infra.bootstrap,
        PaymentReceived(
            customer_id=uuid.UUID(customer["id"]),
            payment_id=uuid.uuid4(),
            amount=Money.of("600.00", "CNY"),
            received_on=date(2026, 2, 15),
            source="bank_statement",
            allocations=[Allocation(invoice_id=uuid.UUID(a["id"]), amount=Money.of("600.00", "CNY"))],
        ),
    )

    async def applied() -> bool:
        return bool((await invoicing.client.get(f"/invoices/{a['id']}")).json()["balance"] == "400.00")

    await eventually(applied, what="the February payment")
    response = await invoicing.client.post("/statements", json={"customer_id": customer["id"]})
    assert response.status_code == 201, response.text
    issued: dict[str, Any] = response.json()
    return {**issued, "customer": customer, "a": a, "b": b, "path": path_of(issued["hosted_statement_url"])}


def path_of(url: str) -> str:
    assert re.fullmatch(r"http://127\.0\.0\.1:8001/s/[A-Za-z0-9_-]{22}", url), url
    return url.removeprefix("http://127.0.0.1:8001")


def text_of(document: Any, element_id: str) -> str:
    return " ".join(document.get_element_by_id(element_id).text_content().split())


def form_fields(document: Any, form_id: str) -> dict[str, str]:
    form = document.get_element_by_id(form_id)
    return {i.get("name"): i.get("value") for i in form.xpath(".//input[@type='hidden']")}


async def open_page(visitor: httpx.AsyncClient, path: str, **params: str) -> Any:
    response = await visitor.get(path, params=params)
    assert response.status_code == 200, response.text
    return html.fromstring(response.text)


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 20), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


async def test_page_shows_the_frozen_statement_and_its_hash(
    visitor: httpx.AsyncClient, statement: dict[str, Any]
) -> None:
    response = await visitor.get(statement["path"])
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert "script-src" not in response.headers["content-security-policy"]
    assert response.headers["content-security-policy"].startswith("default-src 'none'")
    page = html.fromstring(response.text)
    assert page.get("lang") == "zh-CN"
    assert TEST_CREDITOR["creditor_name"] in text_of(page, "creditor")
    assert text_of(page, "statement-number") == statement["number"]
    assert text_of(page, "period") == "2026-02-01 至 2026-02-28"
    assert text_of(page, "closing-CNY") == "¥900.00"
    assert text_of(page, "opening-CNY") == "¥1,000.00"
    assert text_of(page, "closing-words-CNY").endswith("玖佰元整")
    rows = page.xpath("//section[@id='lines-CNY']//tbody/tr[starts-with(@id, 'line-')]")
    assert [" ".join(" ".join(r.itertext()).split()) for r in rows] == [
        f"2026-02-03 开票 {statement['b']['number']} ¥500.00 ¥1,500.00",
        f"2026-02-15 收款 {statement['a']['number']} ¥-600.00 ¥900.00",
    ]
    assert text_of(page, "fingerprint") == statement["content_sha256"]
    assert form_fields(page, "confirm-form")["shown_sha256"] == statement["content_sha256"]
    assert text_of(page, "status") == "待确认"
    assert not page.xpath("//script") and not page.xpath("//*[@style]")
    assert statement["customer"]["contacts"][0]["email"] not in response.text
    assert page.get_element_by_id("pdf").get("href").endswith("/pdf?lang=zh-CN")


async def test_page_in_english(visitor: httpx.AsyncClient, statement: dict[str, Any]) -> None:
    page = await open_page(visitor, statement["path"], lang="en")
    assert page.get("lang") == "en"
    assert text_of(page, "closing-CNY") == "CNY 900.00"
    assert text_of(page, "status") == "Awaiting your confirmation"
    assert text_of(page, "confirm") == "Confirm: it is correct"


async def test_pdf_from_the_page(
    invoicing: RunningService, visitor: httpx.AsyncClient, statement: dict[str, Any]
) -> None:
    response = await visitor.get(f"{statement['path']}/pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf" and response.content.startswith(b"%PDF-")
    assert response.headers["cache-control"] == "no-store"
    # a download is no view of the page (dunning fetches it to attach): only the page counts
    link = (await invoicing.client.get(f"/statements/{statement['id']}")).json()["link"]
    assert link["view_count"] == 0
    assert (await visitor.get(statement["path"])).status_code == 200
    assert (await invoicing.client.get(f"/statements/{statement['id']}")).json()["link"]["view_count"] == 1


async def test_every_link_that_does_not_work_is_the_same_404(
    invoicing: RunningService, visitor: httpx.AsyncClient, statement: dict[str, Any], new_customer: NewCustomer
) -> None:
    unknown = await visitor.get("/s/" + "x" * 43)
    short = await visitor.get("/s/abc")
    # expired: the link's last day was yesterday (the customer's)
    other = await invoicing.client.post(
        "/statements",
        json={"customer_id": (await new_customer())["id"], "period_start": "2026-01-01", "period_end": "2026-01-31"},
    )
    async with invoicing.app.state.db.unit_of_work() as session:
        await session.execute(
            update(StatementLink)
            .where(StatementLink.statement_id == uuid.UUID(other.json()["id"]))
            .values(expires_on=date(2026, 3, 1))
        )
    expired = await visitor.get(path_of(other.json()["hosted_statement_url"]))
    revoked_now = await invoicing.client.delete(f"/statements/{statement['id']}/hosted-link")
    assert revoked_now.status_code == 204
    revoked = await visitor.get(statement["path"])
    revoked_post = await visitor.post(f"{statement['path']}/confirm", data={"responder_name": "x"})
    bodies = {r.text for r in (unknown, short, expired, revoked, revoked_post)}
    assert [r.status_code for r in (unknown, short, expired, revoked, revoked_post)] == [404] * 5
    assert len(bodies) == 1 and "链接无效" in bodies.pop()
    program = await invoicing.client.get(statement["path"], headers={"Accept": "application/json"})
    assert program.status_code == 404 and program.json()["code"] == "hosted_page_not_found"
    assert (await invoicing.client.get(f"/statements/{other.json()['id']}")).json()["link"]["status"] == "expired"


async def test_a_confirmation_is_taken_once_with_its_evidence(
    invoicing: RunningService, visitor: httpx.AsyncClient, statement: dict[str, Any], recorded: Recorded
) -> None:
    page = await open_page(visitor, statement["path"])
    form = {**form_fields(page, "confirm-form"), "responder_name": "王芳", "responder_title": "财务经理"}
    answered = await visitor.post(f"{statement['path']}/confirm", data=form)
    assert answered.status_code == 303 and answered.headers["location"].endswith("?lang=zh-CN")
    after = await open_page(visitor, statement["path"])
    assert "确认本对账单无误" in text_of(after, "answered") and "王芳" in text_of(after, "answered")
    assert not after.xpath("//form")  # nothing more to answer

    again = await visitor.post(f"{statement['path']}/confirm", data=form)
    disputed = await visitor.post(f"{statement['path']}/dispute", data={**form, "comment": "x", "line": "CNY:1"})
    assert (again.status_code, disputed.status_code) == (409, 409)
    assert "已回复" in html.fromstring(again.text).text_content()
    program = await invoicing.client.post(f"{statement['path']}/confirm", data=form)
    assert program.status_code == 409 and program.json()["code"] == "statement_already_answered"

    detail = (await invoicing.client.get(f"/statements/{statement['id']}")).json()
    assert detail["status"] == "confirmed"
    evidence = detail["response"]
    responder = (evidence["kind"], evidence["responder_name"], evidence["responder_title"])
    assert responder == ("confirmed", "王芳", "财务经理")
    assert (evidence["ip"], evidence["user_agent"]) == ("203.0.113.9", "TestPhone/1.0")
    assert evidence["responded_at"].startswith("2026-03-02T02:00:00") and evidence["business_date"] == "2026-03-02"
    # the hash kept is the hash of exactly the bytes the statement froze, which the page showed
    content = (await invoicing.client.get(f"/statements/{statement['id']}/content")).content
    assert evidence["shown_sha256"] == hashlib.sha256(content).hexdigest() == text_of(page, "fingerprint")
    assert evidence["shown_is_content"] is True

    [told] = await recorded("StatementConfirmed", statement_id=statement["id"])
    event = StatementConfirmed.model_validate(told)
    assert event.closing_balance == Money.of("900.00", "CNY")
    assert (event.responder.name, event.responder.title) == ("王芳", "财务经理")
    assert event.content_sha256 == statement["content_sha256"]
    audit = (await invoicing.client.get("/audit", params={"object": statement["id"]})).json()["data"]
    [entry] = [e for e in audit if e["action"] == "statement.confirmed"]
    assert entry["after"]["ip"] == "203.0.113.9" and entry["after"]["responder_name"] == "王芳"


async def test_a_dispute_names_lines_and_carries_a_stamped_reply(
    invoicing: RunningService, visitor: httpx.AsyncClient, statement: dict[str, Any], recorded: Recorded
) -> None:
    page = await open_page(visitor, statement["path"], lang="en")
    scan = png()
    fields = {
        **form_fields(page, "dispute-form"),
        "line": "CNY:2",  # the 600.00 payment: "we paid 1,000.00"
        "amount:CNY:2": "-1,000.00",
        "comment": "我司已于2月15日支付1000元，请核实。",
        "responder_name": "李雷",
        "responder_title": "出纳",
    }
    answered = await visitor.post(
        f"{statement['path']}/dispute?lang=en", data=fields, files={"reply": ("回函.png", scan, "image/png")}
    )
    assert answered.status_code == 303, answered.text
    after = await open_page(visitor, statement["path"], lang="en")
    assert "You disputed this statement" in text_of(after, "answered")

    detail = (await invoicing.client.get(f"/statements/{statement['id']}")).json()
    assert detail["status"] == "disputed"
    evidence = detail["response"]
    [line] = evidence["lines"]
    assert (line["kind"], line["invoice_id"], line["amount_on_statement"], line["amount_customer_sees"]) == (
        "payment",
        statement["a"]["id"],
        "-600.00",
        "-1000.00",
    )
    assert evidence["disputed_invoice_ids"] == [statement["a"]["id"]]
    assert evidence["reply"]["sha256"] == hashlib.sha256(scan).hexdigest()
    assert evidence["reply"]["media_type"] == "image/png" and evidence["reply"]["size"] == len(scan)
    stored = await invoicing.client.get(evidence["reply"]["href"])
    assert stored.status_code == 200 and stored.content == scan

    [told] = await recorded("StatementDisputed", statement_id=statement["id"])
    event = StatementDisputed.model_validate(told)
    assert [str(i) for i in event.disputed_invoice_ids] == [statement["a"]["id"]]
    assert event.invoices[0].open_amount == Money.of("400.00", "CNY")
    assert event.lines[0].amount_customer_sees == Money.of("-1000.00", "CNY")
    assert event.comment == fields["comment"] and event.responder.name == "李雷"
    assert event.reply_sha256 == hashlib.sha256(scan).hexdigest()
    assert event.balance_disputed is False and event.closing_balance == Money.of("900.00", "CNY")
    audit = (await invoicing.client.get("/audit", params={"object": statement["id"]})).json()["data"]
    assert [e for e in audit if e["action"] == "statement.disputed"]


async def test_disputing_the_balance_concerns_every_open_invoice(
    invoicing: RunningService, visitor: httpx.AsyncClient, statement: dict[str, Any], recorded: Recorded
) -> None:
    page = await open_page(visitor, statement["path"])
    fields = {
        **form_fields(page, "dispute-form"),
        "balance_currency": "CNY",
        "balance:CNY": "¥500.00",
        "comment": "余额不符",
        "responder_name": "韩梅梅",
        "responder_title": "会计",
    }
    answered = await visitor.post(f"{statement['path']}/dispute", data=fields, files={"reply": ("", b"", "")})
    assert answered.status_code == 303, answered.text
    [told] = await recorded("StatementDisputed", statement_id=statement["id"])
    event = StatementDisputed.model_validate(told)
    assert {str(i) for i in event.disputed_invoice_ids} == {statement["a"]["id"], statement["b"]["id"]}
    assert event.balance_disputed and event.balance_customer_sees == Money.of("500.00", "CNY")
    assert event.lines == [] and event.reply_sha256 is None


async def test_answers_that_cannot_be_taken_change_nothing(
    invoicing: RunningService, visitor: httpx.AsyncClient, statement: dict[str, Any], recorded: Recorded
) -> None:
    page = await open_page(visitor, statement["path"])
    base = {**form_fields(page, "dispute-form"), "responder_name": "李雷", "responder_title": "出纳"}
    path = f"{statement['path']}/dispute"
    nothing = await visitor.post(path, data={**base, "comment": "不对"})  # no line, no balance
    no_comment = await visitor.post(path, data={**base, "line": "CNY:1"})
    unknown_line = await visitor.post(path, data={**base, "line": "CNY:9", "comment": "x"})
    not_an_amount = await visitor.post(path, data={**base, "line": "CNY:1", "amount:CNY:1": "abc", "comment": "x"})
    not_an_image = await visitor.post(
        path, data={**base, "line": "CNY:1", "comment": "x"}, files={"reply": ("a.exe", b"MZ\x90\x00", "image/png")}
    )
    too_large = await visitor.post(
        path,
        data={**base, "line": "CNY:1", "comment": "x"},
        files={"reply": ("big.pdf", b"%PDF-" + b"0" * (6 * 1024 * 1024), "application/pdf")},
    )
    forged = await visitor.post(
        f"{statement['path']}/confirm", data={**base, "form_token": "0" * 64, "responder_title": "出纳"}
    )
    other_hash = await visitor.post(f"{statement['path']}/confirm", data={**base, "shown_sha256": "a" * 64})
    nameless = await visitor.post(f"{statement['path']}/confirm", data={**base, "responder_name": ""})
    refused = (nothing, no_comment, unknown_line, not_an_amount, not_an_image, too_large, forged, other_hash)
    statuses = [r.status_code for r in (*refused, nameless)]
    assert statuses == [422, 422, 422, 422, 422, 413, 403, 409, 422]
    assert "PDF、JPEG 或 PNG" in html.fromstring(not_an_image.text).text_content()
    assert "请重新打开" in html.fromstring(forged.text).text_content()
    detail = (await invoicing.client.get(f"/statements/{statement['id']}")).json()
    assert detail["status"] == "issued" and detail["response"] is None
    assert await recorded("StatementDisputed", statement_id=statement["id"]) == []
    assert await recorded("StatementConfirmed", statement_id=statement["id"]) == []


async def test_a_rotated_link_leaves_the_old_page_and_its_forms_dead(
    invoicing: RunningService, visitor: httpx.AsyncClient, statement: dict[str, Any]
) -> None:
    old = await open_page(visitor, statement["path"])
    rotated = await invoicing.client.post(f"/statements/{statement['id']}/hosted-link")
    assert rotated.status_code == 200, rotated.text
    new_path = path_of(rotated.json()["hosted_statement_url"])
    assert (await visitor.get(statement["path"])).status_code == 404
    form = {**form_fields(old, "confirm-form"), "responder_name": "王芳", "responder_title": "财务经理"}
    stale = await visitor.post(f"{new_path}/confirm", data=form)  # the old page's token on the new link
    assert stale.status_code == 403
    fresh = await open_page(visitor, new_path)
    taken = await visitor.post(f"{new_path}/confirm", data={**form, **form_fields(fresh, "confirm-form")})
    assert taken.status_code == 303


async def test_two_answers_at_once_one_is_taken(
    visitor: httpx.AsyncClient, statement: dict[str, Any], recorded: Recorded
) -> None:
    page = await open_page(visitor, statement["path"])
    confirm = {**form_fields(page, "confirm-form"), "responder_name": "王芳", "responder_title": "财务经理"}
    dispute = {**form_fields(page, "dispute-form"), "responder_name": "李雷", "responder_title": "出纳"}
    answers = await asyncio.gather(
        visitor.post(f"{statement['path']}/confirm", data=confirm),
        visitor.post(f"{statement['path']}/dispute", data={**dispute, "line": "CNY:1", "comment": "不对"}),
    )
    assert sorted(a.status_code for a in answers) == [303, 409]
    told = [
        *await recorded("StatementConfirmed", statement_id=statement["id"]),
        *await recorded("StatementDisputed", statement_id=statement["id"]),
    ]
    assert len(told) == 1
