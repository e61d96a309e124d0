"""A dead invoice link renewed with the email on file, and the limits of the public pages.

Through the ASGI client as a browser (the clock moved 40 days on, so a link made today for an invoice due
2025-12-31 has expired): a matched request makes a new link at once and publishes it, with the address as on
file, for dunning to email; a wrong address, a revoked link or a token that never was publish nothing, and
every answer is the same page. The limits count misses per address and requests per link: a billing run's
PDFs fetched from one address all come, an address trying tokens is stopped, and PDFs count no view.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from arflow.testing.services import RunningService
from invoicing.hosted.links import token_hash
from invoicing.hosted.ratelimit import RateLimiter
from invoicing.models import HostedInvoiceLink, HostedLinkRenewal

NewCustomer = Callable[..., Awaitable[dict[str, Any]]]
NewInvoice = Callable[..., Awaitable[dict[str, Any]]]
Recorded = Callable[..., Awaitable[list[dict[str, Any]]]]
BASE = "http://127.0.0.1:8001"
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def browser(invoicing: RunningService, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=invoicing.app, client=(address, 50000))
    return httpx.AsyncClient(transport=transport, base_url="http://test", headers=BROWSER)


@pytest.fixture
async def visitor(invoicing: RunningService) -> AsyncIterator[httpx.AsyncClient]:
    invoicing.app.state.hosted_rate_limiter = RateLimiter(10_000)
    async with browser(invoicing, "203.0.113.21") as client:
        yield client


def path_of(url: str) -> str:
    assert re.fullmatch(rf"{re.escape(BASE)}/i/[A-Za-z0-9_-]{{22}}", url), url
    return url.removeprefix(BASE)


@contextmanager
def forty_days_later(invoicing: RunningService) -> Iterator[None]:
    clock = invoicing.app.state.clock
    clock.advance(timedelta(days=40))
    try:
        yield
    finally:
        clock.advance(timedelta(days=-40))


async def renewals_of(invoicing: RunningService, token: str) -> list[HostedLinkRenewal]:
    async with invoicing.app.state.db.unit_of_work() as session:
        query = select(HostedLinkRenewal).where(HostedLinkRenewal.token_sha256 == token_hash(token))
        return list((await session.execute(query.order_by(HostedLinkRenewal.id))).scalars())


async def an_expired_invoice(new_customer: NewCustomer, new_invoice: NewInvoice) -> tuple[dict[str, Any], str]:
    """A customer and the path of its invoice's link (dated 2025-12-01, due 2025-12-31): dead 40 days on."""
    customer = await new_customer()
    invoice = await new_invoice(customer["id"], invoice_date="2025-12-01")
    return {**customer, "invoice": invoice}, path_of(invoice["hosted_invoice_url"])


async def test_a_matched_renewal_makes_a_new_link_and_publishes_it_for_the_address_on_file(
    invoicing: RunningService,
    visitor: httpx.AsyncClient,
    new_customer: NewCustomer,
    new_invoice: NewInvoice,
    recorded: Recorded,
) -> None:
    customer, path = await an_expired_invoice(new_customer, new_invoice)
    invoice, on_file = customer["invoice"], customer["contacts"][0]["email"]
    with forty_days_later(invoicing):
        assert (await visitor.get(path)).status_code == 404
        answer = await visitor.post(path, data={"email": f"  {on_file.upper()} "}, params={"lang": "en"})
        assert answer.status_code == 202
        [renewed] = await recorded("InvoiceHostedLinkChanged", invoice_id=invoice["id"], reason="renewed")
        # the address as on file (not as typed), the page's language, the request it answers
        assert renewed["send_to_email"] == on_file and renewed["language"] == "en"
        assert renewed["invoice_number"] == invoice["number"]
        assert renewed["link_expires_on"] == "2026-05-11"  # 30 days from today (2026-04-11)
        [kept] = await renewals_of(invoicing, path.removeprefix("/i/"))
        assert (kept.status, kept.email_matched, str(kept.invoice_id)) == ("renewed", True, invoice["id"])
        assert renewed["renewal_id"] == str(kept.id)
        # the new link opens the page; the dead one stays dead
        assert (await visitor.get(path_of(renewed["hosted_invoice_url"]))).status_code == 200
        assert (await visitor.get(path)).status_code == 404
        link = (await invoicing.client.get(f"/invoices/{invoice['id']}/hosted-link")).json()
        assert (link["status"], link["expires_on"], link["renewals_pending"]) == ("active", "2026-05-11", 0)
    entries = (await invoicing.client.get("/audit", params={"object": invoice["id"]})).json()["data"]
    assert "hosted_link.renewed" in [e["action"] for e in entries]


async def test_a_wrong_address_a_revoked_link_or_no_link_publish_nothing_and_answer_alike(
    invoicing: RunningService,
    visitor: httpx.AsyncClient,
    new_customer: NewCustomer,
    new_invoice: NewInvoice,
    recorded: Recorded,
) -> None:
    customer, path = await an_expired_invoice(new_customer, new_invoice)
    revoked_customer, revoked_path = await an_expired_invoice(new_customer, new_invoice)
    revoked = revoked_customer["invoice"]
    assert (await invoicing.client.delete(f"/invoices/{revoked['id']}/hosted-link")).status_code == 204
    with forty_days_later(invoicing):
        wrong = await visitor.post(path, data={"email": "someone@else.example"})
        stopped = await visitor.post(revoked_path, data={"email": revoked_customer["contacts"][0]["email"]})
        never = await visitor.post("/i/" + "Q" * 22, data={"email": customer["contacts"][0]["email"]})
    assert [a.status_code for a in (wrong, stopped, never)] == [202, 202, 202]
    assert wrong.content == stopped.content == never.content
    for invoice in (customer["invoice"], revoked):
        assert await recorded("InvoiceHostedLinkChanged", invoice_id=invoice["id"], reason="renewed") == []
    assert [r.status for r in await renewals_of(invoicing, path.removeprefix("/i/"))] == ["refused"]
    assert [r.status for r in await renewals_of(invoicing, revoked_path.removeprefix("/i/"))] == ["refused"]


async def test_a_link_that_still_works_is_not_renewed(
    invoicing: RunningService,
    visitor: httpx.AsyncClient,
    new_customer: NewCustomer,
    new_invoice: NewInvoice,
    recorded: Recorded,
) -> None:
    customer = await new_customer()
    invoice = await new_invoice(customer["id"])
    path = path_of(invoice["hosted_invoice_url"])
    assert (await visitor.post(path, data={"email": customer["contacts"][0]["email"]})).status_code == 202
    assert await recorded("InvoiceHostedLinkChanged", invoice_id=invoice["id"], reason="renewed") == []
    assert (await visitor.get(path)).status_code == 200  # the customer's link was not rotated away


async def test_a_link_is_renewed_at_most_once_an_hour(
    invoicing: RunningService,
    visitor: httpx.AsyncClient,
    new_customer: NewCustomer,
    new_invoice: NewInvoice,
    recorded: Recorded,
) -> None:
    customer, path = await an_expired_invoice(new_customer, new_invoice)
    invoice, on_file = customer["invoice"], customer["contacts"][0]["email"]
    with forty_days_later(invoicing):
        assert (await visitor.post(path, data={"email": on_file})).status_code == 202
        [first] = await recorded("InvoiceHostedLinkChanged", invoice_id=invoice["id"], reason="renewed")
        new_path = path_of(first["hosted_invoice_url"])
        # the new link dead again within the hour (its last day set back): asked again, it is not sent again
        async with invoicing.app.state.db.unit_of_work() as session:
            await session.execute(
                update(HostedInvoiceLink)
                .where(HostedInvoiceLink.invoice_id == uuid.UUID(invoice["id"]))
                .values(expires_on=date(2026, 4, 1))
            )
        again = await visitor.post(new_path, data={"email": on_file})
        assert again.status_code == 202
        assert len(await recorded("InvoiceHostedLinkChanged", invoice_id=invoice["id"], reason="renewed")) == 1
        assert [r.status for r in await renewals_of(invoicing, new_path.removeprefix("/i/"))] == ["throttled"]
        invoicing.app.state.clock.advance(timedelta(hours=1, minutes=1))
        try:
            assert (await visitor.post(new_path, data={"email": on_file})).status_code == 202
        finally:
            invoicing.app.state.clock.advance(-timedelta(hours=1, minutes=1))
        assert len(await recorded("InvoiceHostedLinkChanged", invoice_id=invoice["id"], reason="renewed")) == 2


async def test_one_address_fetches_more_pdfs_a_minute_than_the_limit_and_they_count_no_view(
    invoicing: RunningService, new_customer: NewCustomer, new_invoice: NewInvoice
) -> None:
    """Dunning fetches every invoice's PDF of a billing run from one address: valid links are not limited as such."""
    invoicing.app.state.hosted_rate_limiter = RateLimiter(60)  # the default ARFLOW_HOSTED_PAGE_REQUESTS_PER_MINUTE
    customer = await new_customer()
    invoices = [await new_invoice(customer["id"]) for _ in range(65)]
    async with browser(invoicing, "198.51.100.5") as dunning:
        answers = [
            await dunning.get(path_of(i["hosted_invoice_url"]) + "/pdf", headers={"Accept": "application/pdf"})
            for i in invoices
        ]
    assert {a.status_code for a in answers} == {200}
    assert all(a.content.startswith(b"%PDF") for a in answers)
    views = {(await invoicing.client.get(f"/invoices/{i['id']}/hosted-link")).json()["view_count"] for i in invoices}
    assert views == {0}


async def test_an_address_that_misses_too_often_is_stopped_even_on_a_valid_link(
    invoicing: RunningService, new_customer: NewCustomer, new_invoice: NewInvoice
) -> None:
    invoicing.app.state.hosted_rate_limiter = RateLimiter(5)
    valid = path_of((await new_invoice((await new_customer())["id"]))["hosted_invoice_url"])
    async with browser(invoicing, "198.51.100.6") as guesser, browser(invoicing, "198.51.100.7") as customer:
        misses = [(await guesser.get(f"/i/{'G' * 21}{n}")).status_code for n in range(7)]
        assert misses == [404] * 5 + [429] * 2
        stopped = await guesser.get(valid)
        assert stopped.status_code == 429 and int(stopped.headers["retry-after"]) > 0
        assert (await customer.get(valid)).status_code == 200  # another address is not held by it


async def test_one_link_asked_too_often_is_limited(
    invoicing: RunningService, new_customer: NewCustomer, new_invoice: NewInvoice
) -> None:
    invoicing.app.state.hosted_rate_limiter = RateLimiter(5)
    valid = path_of((await new_invoice((await new_customer())["id"]))["hosted_invoice_url"])
    answers = []
    for n in range(7):  # from as many addresses: a loop on one link is held whoever runs it
        async with browser(invoicing, f"198.51.100.{20 + n}") as client:
            answers.append((await client.get(valid)).status_code)
    assert answers == [200] * 5 + [429] * 2
