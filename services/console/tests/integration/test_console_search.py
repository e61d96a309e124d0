"""搜索: customers by name or USCC, invoices by number or amount, through invoicing's list filters; empty states."""

from __future__ import annotations

import secrets
from decimal import Decimal

from stdnum.cn import uscc

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


def _uscc() -> str:
    first17 = f"913301{secrets.randbelow(10**11):011d}"
    return first17 + uscc.calc_check_digit(first17)


async def test_a_uscc_finds_its_customer(console: ConsoleFactory, platform: Platform) -> None:
    code = _uscc()
    async with platform.client("invoicing") as invoicing:
        made = await invoicing.post(
            "/customers",
            json={"legal_name": f"绍兴越城纺织有限公司 {secrets.token_hex(2)}", "unified_social_credit_code": code},
            headers={"Idempotency-Key": secrets.token_hex(8)},
        )
        assert made.status_code == 201, made.text
    username, password = await platform.person(["auditor"])
    browser = await console()
    await sign_in(browser, username, password)
    doc = page(await browser.get("/search", params={"q": code.lower()}))
    assert doc.xpath("//p[@id='search-kind']/@data-kind") == ["uscc"]
    assert doc.xpath("//table[@id='results']//tr/@data-customer") == [made.json()["id"]]
    assert text(doc, "//table[@id='results']//tbody/tr/td[2]") == code


async def test_an_invoice_number_or_an_amount_finds_its_invoices_with_their_customers(
    console: ConsoleFactory, platform: Platform
) -> None:
    name = f"嘉兴南湖电子有限公司 {secrets.token_hex(2)}"
    amount = f"{secrets.randbelow(900000) + 100000}.37"  # a total no other test's invoice has
    async with platform.client("invoicing") as invoicing:
        made = await invoicing.post(
            "/customers", json={"legal_name": name}, headers={"Idempotency-Key": secrets.token_hex(8)}
        )
        assert made.status_code == 201, made.text
    first = await platform.issued_invoice(made.json()["id"], amount)
    second = await platform.issued_invoice(made.json()["id"], amount)
    username, password = await platform.person(["auditor"])
    browser = await console()
    await sign_in(browser, username, password)

    by_number = page(await browser.get("/search", params={"q": first["number"].lower()}))
    assert by_number.xpath("//p[@id='search-kind']/@data-kind") == ["invoice_number"]
    assert by_number.xpath("//table[@id='invoice-results']//tr/@data-invoice") == [first["id"]]
    assert text(by_number, "//table[@id='invoice-results']//tbody/tr/td[2]") == name
    assert by_number.xpath("//tr[@data-invoice]//a/@href")[0] == f"/customers/{made.json()['id']}"

    shown = f"¥{int(amount[:-3]):,}.37"  # as a person types it: a yuan sign and thousands separators
    by_amount = page(await browser.get("/search", params={"q": shown, "limit": 1}))
    assert by_amount.xpath("//p[@id='search-kind']/@data-kind") == ["amount"]
    assert by_amount.xpath("//table[@id='invoice-results']//tr/@data-invoice") == [second["id"]]  # newest first
    assert text(by_amount, "//td[contains(@class, 'total')]") == f"{Decimal(amount):,.2f} CNY"
    rest = page(await browser.get(by_amount.xpath("//a[@id='next-page']/@href")[0]))
    assert rest.xpath("//table[@id='invoice-results']//tr/@data-invoice") == [first["id"]]

    nothing = page(await browser.get("/search", params={"q": "INV-1999-000001"}))
    assert text(nothing, "//p[@id='search-empty']") == "没有找到匹配的账单。"


async def test_the_search_page_asks_for_a_sign_in(console: ConsoleFactory) -> None:
    anonymous = await console()
    response = await anonymous.get("/search", params={"q": "杭州"})
    assert response.status_code == 303 and response.headers["location"] == "/"
