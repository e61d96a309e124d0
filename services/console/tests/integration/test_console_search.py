"""搜索: customers by name through invoicing's list filter, paged; an empty state; kinds no API filters by yet."""

from __future__ import annotations

import secrets

import pytest

from .conftest import ConsoleFactory, Platform
from .pages import page, sign_in, text


async def test_a_name_finds_its_customers_page_by_page_each_linking_to_its_360(
    console: ConsoleFactory, platform: Platform
) -> None:
    word = f"瓯海{secrets.token_hex(3)}"
    made = []
    async with platform.client("invoicing") as invoicing:
        for suffix in ("机械有限公司", "电器有限公司", "鞋业有限公司"):
            response = await invoicing.post(
                "/customers",
                json={"legal_name": f"温州{word}{suffix}"},
                headers={"Idempotency-Key": secrets.token_hex(8)},
            )
            assert response.status_code == 201, response.text
            made.append(response.json()["id"])
        listed = (await invoicing.get("/customers", params={"search": word, "limit": 100})).json()["data"]
    username, password = await platform.person(["auditor"])
    browser = await console()
    await sign_in(browser, username, password)
    first = page(await browser.get("/search", params={"q": word, "limit": 2}))
    assert first.xpath("//p[@id='search-kind']/@data-kind") == ["name"]
    shown = first.xpath("//table[@id='results']//tr/@data-customer")
    assert shown == [c["id"] for c in listed][:2]  # in the API's order
    second = page(await browser.get(first.xpath("//a[@id='next-page']/@href")[0]))
    rest = second.xpath("//table[@id='results']//tr/@data-customer")
    assert sorted([*shown, *rest]) == sorted(made)
    assert not second.xpath("//a[@id='next-page']") and second.xpath("//a[@id='first-page']")
    link = second.xpath(f"//tr[@data-customer='{rest[0]}']//a/@href")[0]
    assert link == f"/customers/{rest[0]}"
    opened = page(await browser.get(link))
    assert word in text(opened, "//h1[@id='customer-name']")


async def test_a_search_that_finds_nothing_says_so(console: ConsoleFactory, platform: Platform) -> None:
    username, password = await platform.person(["auditor"])
    browser = await console()
    await sign_in(browser, username, password)
    doc = page(await browser.get("/search", params={"q": f"无此客户{secrets.token_hex(4)}"}))
    assert text(doc, "//p[@id='search-empty']") == "没有找到匹配的客户。"
    browser.cookies.set("console_lang", "en")
    english = page(await browser.get("/search", params={"q": f"nobody {secrets.token_hex(4)}"}))
    assert text(english, "//p[@id='search-empty']") == "No customer matches."


@pytest.mark.parametrize(
    ("query", "kind"), [("91350100M000100Y43", "uscc"), ("INV-2026-000002", "invoice_number"), ("8,600.00", "amount")]
)
async def test_a_kind_no_api_filters_by_is_reported_not_guessed(
    console: ConsoleFactory, platform: Platform, query: str, kind: str
) -> None:
    username, password = await platform.person(["auditor"])
    browser = await console()
    await sign_in(browser, username, password)
    response = await browser.get("/search", params={"q": query})
    doc = page(response)
    assert response.status_code == 200
    assert doc.xpath("//p[@id='search-kind']/@data-kind") == [kind]
    assert "暂不支持" in text(doc, "//p[@id='search-unsupported']")
    assert not doc.xpath("//table[@id='results']")


async def test_the_search_page_asks_for_a_sign_in(console: ConsoleFactory) -> None:
    anonymous = await console()
    response = await anonymous.get("/search", params={"q": "杭州"})
    assert response.status_code == 303 and response.headers["location"] == "/"
