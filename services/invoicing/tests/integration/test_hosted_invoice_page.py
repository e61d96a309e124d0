"""The hosted invoice page as the customer who opens the emailed link sees it.

Through the ASGI client, with no key, the HTML parsed (lxml): who it is from, the figures and 人民币大写,
the RF reference to quote, the language switch; every link that does not work answers one and the same
404 page; the safety headers; the PDF behind it carries the link as a QR code inside the page.
"""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
import pypdfium2
import pypdfium2.raw as pdfium_c
import pytest
import segno
from lxml import html
from PIL import Image
from pypdf import PdfReader

from arflow.documents.amounts import rmb_in_words
from arflow.testing.creditor import TEST_CREDITOR
from arflow.testing.pdf import fonts, layout_problems
from arflow.testing.services import RunningService
from invoicing.hosted.ratelimit import RateLimiter
from invoicing.invoices.documents import QR_BORDER, QR_PIXELS_PER_MODULE

NewCustomer = Callable[..., Awaitable[dict[str, Any]]]
NewInvoice = Callable[..., Awaitable[dict[str, Any]]]
LINES = [
    {"description": "代理记账服务费（2026年1月）", "unit_price": "1000.00", "tax_rate": "0.06"},
    {"description": "年度汇算清缴申报", "unit_price": "234.50"},
]


@pytest.fixture
async def visitor(invoicing: RunningService) -> AsyncIterator[httpx.AsyncClient]:
    """A browser: no key, no cookies, only the link. The address limit is set high for all but its own test."""
    invoicing.app.state.hosted_rate_limiter = RateLimiter(10_000)
    transport = httpx.ASGITransport(app=invoicing.app, client=("203.0.113.7", 50000))
    browser = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
    async with httpx.AsyncClient(transport=transport, base_url="http://test", headers=browser) as client:
        yield client


def path_of(url: str) -> str:
    assert re.fullmatch(r"http://127\.0\.0\.1:8001/i/[A-Za-z0-9_-]{22}", url), url
    return url.removeprefix("http://127.0.0.1:8001")


@contextmanager
def forty_days_later(invoicing: RunningService) -> Iterator[None]:
    """Today (2026-03-02) plus 40 days: a link made today for an invoice due 2025-12-31 has expired (it had 30 days
    from the day it was made, the due date's 30 being over already)."""
    clock = invoicing.app.state.clock
    clock.advance(timedelta(days=40))
    try:
        yield
    finally:
        clock.advance(timedelta(days=-40))


def text_of(document: Any, element_id: str) -> str:
    found = document.get_element_by_id(element_id)
    return " ".join(found.text_content().split())


async def test_issued_invoice_answer_and_event_carry_the_link(
    invoicing: RunningService, new_customer: NewCustomer, new_invoice: NewInvoice, recorded: Any
) -> None:
    customer = await new_customer()
    invoice = await new_invoice(customer["id"], lines=LINES)
    url = invoice["hosted_invoice_url"]
    path_of(url)
    [issued] = await recorded("InvoiceIssued", invoice_id=invoice["id"])
    assert issued["hosted_invoice_url"] == url
    # Only the hash is kept: a later read cannot show it.
    again = (await invoicing.client.get(f"/invoices/{invoice['id']}")).json()
    assert again["hosted_invoice_url"] is None
    link = (await invoicing.client.get(f"/invoices/{invoice['id']}/hosted-link")).json()
    # due 02-04 + 30 days is 03-06, but a link made today (03-02) works at least 30 days: to 04-01
    assert link["status"] == "active" and link["expires_on"] == "2026-04-01"
    assert link["hosted_invoice_url"] is None


async def test_an_invoice_issued_already_due_gets_a_link_that_opens_for_30_days(
    invoicing: RunningService, visitor: httpx.AsyncClient, new_customer: NewCustomer, new_invoice: NewInvoice
) -> None:
    """Back-dated (dated 2025-12-01, due 2025-12-31, issued 2026-03-02): the due date's 30 days are over, but the
    link its email carries must open, so it works for 30 days from the day it was made."""
    back_dated = await new_invoice((await new_customer())["id"], invoice_date="2025-12-01")
    link = (await invoicing.client.get(f"/invoices/{back_dated['id']}/hosted-link")).json()
    assert link["status"] == "active" and link["expires_on"] == "2026-04-01"
    assert (await visitor.get(path_of(back_dated["hosted_invoice_url"]))).status_code == 200


async def test_page_shows_the_invoice_in_chinese_by_default(
    invoicing: RunningService, visitor: httpx.AsyncClient, new_customer: NewCustomer, new_invoice: NewInvoice
) -> None:
    customer = await new_customer(legal_name="杭州云帆科技有限公司")
    invoice = await new_invoice(customer["id"], lines=LINES)
    response = await visitor.get(path_of(invoice["hosted_invoice_url"]))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = html.fromstring(response.text)
    assert page.get("lang") == "zh-CN"
    assert TEST_CREDITOR["creditor_name"] in text_of(page, "creditor")
    assert text_of(page, "invoice-number") == invoice["number"]
    assert text_of(page, "due-date") == invoice["due_date"] == "2026-02-04"
    assert invoice["total"] == "1294.50"  # 1,060.00 + 234.50
    assert text_of(page, "total") == "¥1,294.50"
    assert text_of(page, "balance") == "¥1,294.50"
    assert text_of(page, "total-words") == f"人民币大写：{rmb_in_words(Decimal(invoice['total']))}"
    assert rmb_in_words(Decimal(invoice["total"])) == "壹仟贰佰玖拾肆元伍角"
    assert text_of(page, "reference") == invoice["payment_reference"]
    assert invoice["payment_reference"].startswith("RF")
    assert TEST_CREDITOR["bank_account_number"] in text_of(page, "account-number")
    rows = page.xpath("//section[@id='lines']//tbody/tr")
    assert [r.xpath("td")[0].text_content() for r in rows] == [line["description"] for line in LINES]
    assert "已逾期" in text_of(page, "status")  # due 02-04, today 03-02
    assert not page.xpath("//script") and not page.xpath("//*[@style]")
    # no personal data beyond the invoice: the contact's email and phone are not on it
    assert customer["contacts"][0]["email"] not in response.text
    assert customer["contacts"][0]["phone"] not in response.text
    assert page.get_element_by_id("pdf").get("href").endswith("/pdf?lang=zh-CN")


async def test_page_switches_to_english(
    visitor: httpx.AsyncClient, new_customer: NewCustomer, new_invoice: NewInvoice
) -> None:
    invoice = await new_invoice((await new_customer())["id"], lines=LINES)
    path = path_of(invoice["hosted_invoice_url"])
    by_query = html.fromstring((await visitor.get(path, params={"lang": "en"})).text)
    by_header = html.fromstring((await visitor.get(path, headers={"Accept-Language": "en-GB,en;q=0.8"})).text)
    for page in (by_query, by_header):
        assert page.get("lang") == "en"
        assert text_of(page, "total") == "CNY 1,294.50"
        assert "Overdue" in text_of(page, "status")
        assert "Amount due" in page.text_content()
    chinese = html.fromstring((await visitor.get(path, headers={"Accept-Language": "zh-CN,en;q=0.5"})).text)
    assert chinese.get("lang") == "zh-CN"
    switch = by_query.xpath("//a[@class='lang']")[0]
    assert switch.get("href") == "?lang=zh-CN" and switch.text_content() == "中文"


async def test_page_headers_keep_it_private(
    visitor: httpx.AsyncClient, new_customer: NewCustomer, new_invoice: NewInvoice
) -> None:
    invoice = await new_invoice((await new_customer())["id"])
    response = await visitor.get(path_of(invoice["hosted_invoice_url"]))
    csp = response.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp and "'unsafe-inline'" not in csp
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-frame-options"] == "DENY"


async def test_rotation_and_revocation_are_published_for_the_emails(
    invoicing: RunningService, new_customer: NewCustomer, new_invoice: NewInvoice, recorded: Any
) -> None:
    invoice = await new_invoice((await new_customer())["id"])
    rotated = (await invoicing.client.post(f"/invoices/{invoice['id']}/hosted-link")).json()
    assert (await invoicing.client.delete(f"/invoices/{invoice['id']}/hosted-link")).status_code == 204
    changes = await recorded("InvoiceHostedLinkChanged", invoice_id=invoice["id"])
    assert [c["hosted_invoice_url"] for c in changes] == [rotated["hosted_invoice_url"], None]


async def test_every_link_that_does_not_work_gets_the_same_404(
    invoicing: RunningService, visitor: httpx.AsyncClient, new_customer: NewCustomer, new_invoice: NewInvoice
) -> None:
    customer = await new_customer()
    revoked = await new_invoice(customer["id"])
    assert (await invoicing.client.delete(f"/invoices/{revoked['id']}/hosted-link")).status_code == 204
    # due 2025-12-31, made today (2026-03-02): the link works until 2026-04-01, and is read 40 days later
    expired = await new_invoice(customer["id"], invoice_date="2025-12-01")
    rotated = await new_invoice(customer["id"])
    new = await invoicing.client.post(f"/invoices/{rotated['id']}/hosted-link")
    assert new.status_code == 200, new.text
    assert new.json()["hosted_invoice_url"] != rotated["hosted_invoice_url"]
    voided = await new_invoice(customer["id"])
    await invoicing.client.post(f"/invoices/{voided['id']}/void", json={"reason": "开错"})
    unknown = "/i/" + "A" * 43
    with forty_days_later(invoicing):
        answers = [
            await visitor.get(path)
            for path in (
                unknown,
                "/i/short",
                path_of(revoked["hosted_invoice_url"]),
                path_of(expired["hosted_invoice_url"]),
                path_of(rotated["hosted_invoice_url"]),
                path_of(voided["hosted_invoice_url"]),
            )
        ]
        expired_pdf = (await visitor.get(path_of(expired["hosted_invoice_url"]) + "/pdf")).content
    assert {a.status_code for a in answers} == {404}
    assert len({a.content for a in answers}) == 1  # byte for byte: nothing tells them apart
    assert (
        len({tuple(sorted((k, v) for k, v in a.headers.items() if k not in ("date", "traceparent"))) for a in answers})
        == 1
    )
    assert answers[0].headers["cache-control"] == "no-store"
    assert html.fromstring(answers[0].text).xpath("//form[@method='post']//input[@type='email']")
    assert (await visitor.get(unknown + "/pdf")).content == expired_pdf == answers[0].content
    # the new link works, and the restored one after a revocation too
    assert (await visitor.get(path_of(new.json()["hosted_invoice_url"]))).status_code == 200
    restored = (await invoicing.client.post(f"/invoices/{revoked['id']}/hosted-link")).json()
    assert restored["status"] == "active"
    assert (await visitor.get(path_of(restored["hosted_invoice_url"]))).status_code == 200


async def test_a_program_gets_problem_json_for_every_link_that_does_not_work(
    invoicing: RunningService, visitor: httpx.AsyncClient, new_customer: NewCustomer, new_invoice: NewInvoice
) -> None:
    expired = await new_invoice((await new_customer())["id"], invoice_date="2025-12-01")
    with forty_days_later(invoicing):
        answers = [
            await visitor.get(path, headers={"Accept": "application/json"})
            for path in ("/i/" + "C" * 43, path_of(expired["hosted_invoice_url"]))
        ]
    assert {a.status_code for a in answers} == {404}
    assert {a.headers["content-type"] for a in answers} == {"application/problem+json"}
    assert {a.json()["code"] for a in answers} == {"hosted_page_not_found"}
    assert len({a.json()["detail"] for a in answers}) == 1
    assert answers[0].headers["cache-control"] == "no-store"


async def test_page_views_are_counted_and_pdf_downloads_are_not(
    invoicing: RunningService, visitor: httpx.AsyncClient, new_customer: NewCustomer, new_invoice: NewInvoice
) -> None:
    invoice = await new_invoice((await new_customer())["id"])
    path = path_of(invoice["hosted_invoice_url"])
    await visitor.get(path)
    assert (await visitor.get(path + "/pdf")).status_code == 200  # dunning fetches it to attach: nobody looked
    link = (await invoicing.client.get(f"/invoices/{invoice['id']}/hosted-link")).json()
    assert link["view_count"] == 1
    assert link["last_viewed_at"] is not None


async def test_expired_link_asks_for_the_email_on_file(
    invoicing: RunningService, visitor: httpx.AsyncClient, new_customer: NewCustomer, new_invoice: NewInvoice
) -> None:
    customer = await new_customer()
    expired = await new_invoice(customer["id"], invoice_date="2025-12-01")
    path = path_of(expired["hosted_invoice_url"])
    with forty_days_later(invoicing):
        wrong = await visitor.post(path, data={"email": "someone@else.example"})
        right = await visitor.post(path, data={"email": customer["contacts"][0]["email"].upper()})
        link = (await invoicing.client.get(f"/invoices/{expired['id']}/hosted-link")).json()
    assert wrong.status_code == right.status_code == 202
    assert wrong.content == right.content  # the answer does not say whether the address is on file
    assert link["status"] == "active"  # renewed at once: the new link is emailed (test_hosted_link_renewal)
    assert link["renewals_pending"] == 0


async def test_public_pages_are_limited_per_address(invoicing: RunningService, visitor: httpx.AsyncClient) -> None:
    invoicing.app.state.hosted_rate_limiter = RateLimiter(5)
    answers = [(await visitor.get("/i/" + "B" * 43)).status_code for _ in range(7)]
    assert answers == [404] * 5 + [429] * 2
    limited = await visitor.get("/i/" + "B" * 43)
    assert int(limited.headers["retry-after"]) > 0
    assert limited.headers["cache-control"] == "no-store"


def qr_images(pdf: bytes) -> list[tuple[tuple[float, float, float, float], tuple[float, float]]]:
    """Each image on page 1 with its box (left, bottom, right, top) and the page's size, in points."""
    document = pypdfium2.PdfDocument(pdf)
    page = document[0]
    boxes = [o.get_bounds() for o in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE])]
    return [(box, (page.get_width(), page.get_height())) for box in boxes]


def modules_of(image: Image.Image, size: int) -> list[list[bool]]:
    """The dark modules of a QR code drawn QR_PIXELS_PER_MODULE pixels each inside a QR_BORDER quiet zone."""
    grey = image.convert("L")
    step = QR_PIXELS_PER_MODULE
    offset = QR_BORDER * step + step // 2

    def dark(x: int, y: int) -> bool:
        value = grey.getpixel((offset + x * step, offset + y * step))
        assert isinstance(value, int)
        return value < 128

    return [[dark(x, y) for x in range(size)] for y in range(size)]


async def test_hosted_pdf_carries_the_link_as_a_qr_code(
    invoicing: RunningService, visitor: httpx.AsyncClient, new_customer: NewCustomer, new_invoice: NewInvoice
) -> None:
    invoice = await new_invoice((await new_customer())["id"], lines=LINES)
    url = invoice["hosted_invoice_url"]
    response = await visitor.get(path_of(url) + "/pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["cache-control"] == "no-store"
    pdf = response.content
    assert layout_problems(pdf) == []
    assert fonts(pdf) and all(fonts(pdf).values())
    [(box, (width, height))] = qr_images(pdf)
    left, bottom, right, top = box
    assert 0 < left < right < width and 0 < bottom < top < height
    assert right - left > 60  # over 21 mm: scannable from the paper
    # Read the code back from the image itself: its modules are the link's and no other's.
    [embedded] = PdfReader(io.BytesIO(pdf)).pages[0].images
    assert embedded.image is not None
    expected = segno.make(url, error="m", micro=False)
    size = int(expected.symbol_size(border=0)[0])
    assert modules_of(embedded.image, size) == [[bool(m) for m in row] for row in expected.matrix]
    other = segno.make(url[:-1] + ("A" if url[-1] != "A" else "B"), error="m", micro=False)
    assert modules_of(embedded.image, size) != [[bool(m) for m in row] for row in other.matrix]
    # The API's PDF is the same document without the code: the link is not kept in clear.
    api = await invoicing.client.get(f"/invoices/{invoice['id']}/pdf", params={"language": "zh-CN"})
    assert qr_images(api.content) == []
