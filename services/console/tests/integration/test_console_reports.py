"""报表: each report's table and chart equal the service endpoint's figures; CSV and XLSX hold the same."""

from __future__ import annotations

import csv
import io
import zipfile
from decimal import Decimal
from typing import Any

from lxml import etree, html

from .conftest import ConsoleFactory, Platform
from .pages import page, sign_in, text

PERIOD = {"as_of": "2026-02-28", "months": "3"}
MONTHS = [("2025-12-01", "2025-12-31"), ("2026-01-01", "2026-01-31"), ("2026-02-01", "2026-02-28")]
MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


async def api(platform: Platform, service: str, path: str, **params: Any) -> Any:
    async with platform.client(service) as client:
        response = await client.get(path, params=params)
        assert response.status_code == 200, response.text
        return response.json()


def rows(section: html.HtmlElement) -> list[list[str]]:
    return [[" ".join(td.text_content().split()) for td in tr.xpath("./td")] for tr in section.xpath(".//tbody/tr")]


def shown(amount: str) -> str:
    return f"{Decimal(amount):,.2f}"


def xlsx_rows(content: bytes) -> list[list[str]]:
    """The first sheet's cells as text (shared strings resolved): what Excel would show unformatted."""
    with zipfile.ZipFile(io.BytesIO(content)) as book:
        strings = [
            "".join(si.itertext()) for si in etree.fromstring(book.read("xl/sharedStrings.xml")).iter(f"{MAIN}si")
        ]
        sheet = etree.fromstring(book.read("xl/worksheets/sheet1.xml"))
    out = []
    for row in sheet.iter(f"{MAIN}row"):
        cells = []
        for cell in row.iter(f"{MAIN}c"):
            value = cell.findtext(f"{MAIN}v") or ""
            cells.append(strings[int(value)] if cell.get("t") == "s" else value)
        out.append(cells)
    return out


async def test_every_report_shows_the_services_figures_with_a_chart(
    console: ConsoleFactory, platform: Platform
) -> None:
    collector, password = await platform.person(["finance_manager"])
    await platform.collector(collector)
    await platform.overdue_case_for(collector, amount="4321.00")  # at least one open invoice overdue at the as-of
    browser = await console()
    await sign_in(browser, collector, password)
    response = await browser.get("/reports", params=PERIOD)
    assert response.status_code == 200, response.text
    doc = page(response)
    aging = await api(platform, "invoicing", "/reports/aging", as_of="2026-02-28")
    kpis = [await api(platform, "invoicing", "/reports/kpis", **{"from": f, "to": t}) for f, t in MONTHS]
    portfolio = await api(platform, "credit-scoring", "/portfolio")
    results = await api(platform, "dunning", "/collector-results", **{"from": "2025-12-01", "to": "2026-02-28"})

    for name in ("aging", "dso_cei", "collection", "bad_debt", "portfolio", "collectors"):
        section = doc.xpath(f"//section[@id='report-{name}']")
        assert section and section[0].xpath(".//svg[@class='chart']"), name
        assert section[0].xpath(f".//a[@href='/reports/{name}.xlsx?months=3&as_of=2026-02-28']"), name

    [section] = doc.xpath("//section[@id='report-aging']")
    buckets = ("current", "1-30", "31-60", "61-90", "90+", "total")
    assert rows(section) == [
        [t["currency"], *(shown(t["buckets"][b]) for b in buckets), str(t["invoices"])] for t in aging["totals"]
    ]
    cny = next(t for t in aging["totals"] if t["currency"] == "CNY")
    bars = section.xpath(".//*[local-name()='rect']/*[local-name()='title']/text()")
    assert f"逾期 31-60 天 · CNY: {shown(cny['buckets']['31-60']).rstrip('0').rstrip('.')}" in bars

    [section] = doc.xpath("//section[@id='report-dso_cei']")
    expected = [
        [
            month[0][:7],
            k["currency"],
            *(k[f] or "—" for f in ("dso", "best_possible_dso", "average_days_delinquent", "cei")),
        ]
        for month, body in zip(MONTHS, kpis, strict=True)
        for k in body["data"]
    ]
    assert rows(section) == expected and expected
    [section] = doc.xpath("//section[@id='report-bad_debt']")
    assert [r[2] for r in rows(section)] == [k["bad_debt_rate"] or "—" for body in kpis for k in body["data"]]

    [section] = doc.xpath("//section[@id='report-portfolio']")
    assert {r[0]: r[1] for r in rows(section)} == {t["tier"]: str(t["clients"]) for t in portfolio["tiers"]}
    [section] = doc.xpath("//section[@id='report-collectors']")
    mine = [r for r in rows(section) if r[0] == collector]
    [theirs] = [c for c in results["data"] if c["collector"] == collector]
    assert mine and mine[0][2] == str(theirs["cases_worked"])
    assert text(doc, "//h1") == "报表"


async def test_a_report_downloads_as_csv_and_xlsx_with_the_same_figures(
    console: ConsoleFactory, platform: Platform
) -> None:
    username, password = await platform.person(["auditor"])
    browser = await console()
    await sign_in(browser, username, password)
    aging = await api(platform, "invoicing", "/reports/aging", as_of="2026-02-28")
    expected = [
        [t["currency"], *(t["buckets"][b] for b in ("current", "1-30", "31-60", "61-90", "90+", "total"))]
        for t in aging["totals"]
    ]

    got = await browser.get("/reports/aging.csv", params=PERIOD)
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv")
    assert 'filename="aging-2026-02-28.csv"' in got.headers["content-disposition"]
    table = list(csv.reader(io.StringIO(got.content.decode("utf-8-sig"))))
    assert table[0][:3] == ["币种", "未到期", "逾期 1-30 天"]
    assert [r[:7] for r in table[1:]] == expected

    got = await browser.get("/reports/aging.xlsx", params=PERIOD)
    assert got.status_code == 200 and got.content.startswith(b"PK")
    sheet = xlsx_rows(got.content)
    assert sheet[0][:3] == ["币种", "未到期", "逾期 1-30 天"]
    assert [[r[0], *(f"{Decimal(v):.2f}" for v in r[1:7])] for r in sheet[1:]] == expected

    assert (await browser.get("/reports/nothing.csv")).status_code == 404
    assert (await browser.get("/reports/aging.pdf")).status_code == 404
