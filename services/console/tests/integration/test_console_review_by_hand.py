"""待核对 by hand: a queued payment allocated or split from the page, and a real bank statement uploaded and watched.

Every outcome is read back from reconciliation's own API. The statement is a real file (a public
parser's camt.053 sample in ../shared/samples), not one written for the test.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path
from typing import Any

import httpx

from arflow.testing import eventually

from .conftest import ConsoleFactory, Platform
from .pages import csrf, page, sign_in, text
from .test_console_review import queued_payment

HTMX = {"HX-Request": "true"}
SAMPLES = Path(__file__).resolve().parents[5] / "shared" / "samples" / "statements"


async def clerk_browser(console: ConsoleFactory, platform: Platform) -> httpx.AsyncClient:
    clerk, password = await platform.person(["ar_clerk"])
    browser: httpx.AsyncClient = await console()
    await sign_in(browser, clerk, password)
    return browser


async def other_customer(platform: Platform, amount: str = "450.00") -> dict[str, Any]:
    name = f"宁波北仑港务服务有限公司{secrets.token_hex(2)}"
    async with platform.client("invoicing") as invoicing, platform.client("reconciliation") as reconciliation:
        made = await invoicing.post(
            "/customers", json={"legal_name": name}, headers={"Idempotency-Key": secrets.token_hex(8)}
        )
        assert made.status_code == 201, made.text
        customer_id = made.json()["id"]
        invoice = await platform.issued_invoice(customer_id, amount)

        async def projected() -> bool:
            items = (await reconciliation.get("/open-items", params={"customer_id": customer_id})).json()["data"]
            return len(items) == 1

        await eventually(projected, within=30, what="reconciliation's projection of the invoice")
    return {"id": customer_id, "name": name, "invoice": invoice}


async def test_a_payment_allocated_by_hand_goes_to_the_invoices_and_amounts_the_person_gave(
    console: ConsoleFactory, platform: Platform
) -> None:
    queued = await queued_payment(platform)
    payment, [invoice] = queued["payment"], queued["invoices"]
    browser = await clerk_browser(console, platform)
    listed = await browser.get("/review", params={"limit": 100})
    card = page(listed).xpath(f"//article[@data-payment='{payment['id']}']")[0]
    assert card.xpath(".//a[contains(@class,'allocate-link')]/@hx-get") == [f"/review/{payment['id']}/allocate"]
    form = page(await browser.get(f"/review/{payment['id']}/allocate", headers=HTMX))
    assert form.xpath("//select[@name='customer_id']/option[@selected]/@value") == [queued["customer_id"]]
    # the suggestion's own allocation, ready to confirm or change
    assert form.xpath(f"//input[@name='amount:{invoice['id']}']/@value") == ["700.00"]
    given = await browser.post(
        f"/review/{payment['id']}/allocate",
        data={"csrf_token": csrf(listed), "customer_id": queued["customer_id"], f"amount:{invoice['id']}": "650.00"},
        headers=HTMX,
    )
    assert given.status_code == 200, given.text
    assert "已确认" in text(page(given), "//span[contains(@class,'done')]")
    async with platform.client("reconciliation") as reconciliation:
        decided = (await reconciliation.get(f"/payments/{payment['id']}")).json()
    assert (decided["status"], decided["customer_id"]) == ("matched", queued["customer_id"])
    assert [(a["invoice_id"], a["amount"]) for a in decided["allocations"]] == [(invoice["id"], "650.00")]
    assert decided["unallocated"] == "50.00"  # the customer's credit


async def test_another_customer_is_found_by_name_and_a_refused_allocation_is_said_in_the_form(
    console: ConsoleFactory, platform: Platform
) -> None:
    queued = await queued_payment(platform)
    payment = queued["payment"]
    other = await other_customer(platform)
    browser = await clerk_browser(console, platform)
    found = page(await browser.get(f"/review/{payment['id']}/allocate", params={"q": other["name"]}, headers=HTMX))
    assert other["id"] in found.xpath("//select[@name='customer_id']/option/@value")
    chosen = page(await browser.get(f"/review/{payment['id']}/allocate", params={"customer_id": other["id"]}))
    assert chosen.xpath(f"//tr[@data-invoice='{other['invoice']['id']}']")
    token = csrf(await browser.get("/review"))
    too_much = await browser.post(
        f"/review/{payment['id']}/allocate",
        data={"csrf_token": token, "customer_id": other["id"], f"amount:{other['invoice']['id']}": "999.00"},
        headers=HTMX,
    )
    assert too_much.headers["HX-Retarget"] == f"#work-{payment['id']}"
    assert text(page(too_much), "//p[@id='allocate-error']")  # reconciliation's reason, in Chinese
    not_money = await browser.post(
        f"/review/{payment['id']}/allocate",
        data={"csrf_token": token, "customer_id": other["id"], f"amount:{other['invoice']['id']}": "四百"},
    )
    assert not_money.status_code == 422 and text(page(not_money), "//p[@id='allocate-error']") == "金额格式不正确。"
    async with platform.client("reconciliation") as reconciliation:
        assert (await reconciliation.get(f"/payments/{payment['id']}")).json()["status"] == "unmatched"


async def test_a_payment_is_split_between_two_customers(console: ConsoleFactory, platform: Platform) -> None:
    queued = await queued_payment(platform)
    payment = queued["payment"]
    other = await other_customer(platform)
    browser = await clerk_browser(console, platform)
    form = page(await browser.get(f"/review/{payment['id']}/split", params={"q": other["name"]}, headers=HTMX))
    assert set(form.xpath("//select[@name='customer:0']/option/@value")) >= {queued["customer_id"], other["id"]}
    token = csrf(await browser.get("/review"))
    parts = {"customer:0": queued["customer_id"], "amount:0": "400.00", "customer:1": other["id"]}
    short = await browser.post(
        f"/review/{payment['id']}/split", data={"csrf_token": token, **parts, "amount:1": "200.00"}, headers=HTMX
    )
    assert "拆分金额合计为 600.00" in text(page(short), "//p[@id='split-error']")
    done = await browser.post(
        f"/review/{payment['id']}/split", data={"csrf_token": token, **parts, "amount:1": "300.00"}, headers=HTMX
    )
    made = page(done).xpath("//ul[@id='split-made']/li")
    assert [li.get("data-customer") for li in made] == [queued["customer_id"], other["id"]]
    async with platform.client("reconciliation") as reconciliation:
        original = (await reconciliation.get(f"/payments/{payment['id']}")).json()
        children = [(await reconciliation.get(f"/payments/{li.get('data-payment')}")).json() for li in made]
    assert original["status"] == "split"
    assert [(c["customer_id"], c["amount"], c["supersedes_payment_id"]) for c in children] == [
        (queued["customer_id"], "400.00", payment["id"]),
        (other["id"], "300.00", payment["id"]),
    ]


async def test_a_bank_statement_uploaded_is_watched_to_the_end_and_its_payment_waits_in_the_queue(
    console: ConsoleFactory, platform: Platform
) -> None:
    data = (SAMPLES / "camt" / "camt053.v2.minimal.xml").read_bytes()
    browser = await clerk_browser(console, platform)
    listed = await browser.get("/review")
    assert page(listed).xpath("//form[@action='/review/imports']//input[@type='file']")
    started = await browser.post(
        "/review/imports",
        data={"csrf_token": csrf(listed), "format": ""},
        files={"file": ("camt053.v2.minimal.xml", data, "application/xml")},
        headers=HTMX,
    )
    assert started.status_code == 200, started.text
    [import_id] = [i[len("import-") :] for i in page(started).xpath("//div[@class='import']/@id")]

    async def finished() -> Any:
        shown = page(await browser.get(f"/review/imports/{import_id}", headers=HTMX))
        state = shown.xpath("//div[@class='import']/@data-status")[0]
        polling = shown.xpath("//div[@class='import']/@hx-trigger")
        assert polling == ([] if state in ("succeeded", "failed") else ["load delay:1s"])
        return [shown] if state in ("succeeded", "failed") else None  # a list: an lxml element is no truth value

    [done] = await eventually(finished, within=30, what="the import to finish")
    assert done.xpath("//div[@class='import']/@data-status") == ["succeeded"]
    async with platform.client("reconciliation") as reconciliation:
        record = (await reconciliation.get(f"/statement-imports/{import_id}")).json()
        [line] = (await reconciliation.get(f"/statement-imports/{import_id}/lines")).json()["data"]
    assert record["format"] == "camt.053" and record["filename"] == "camt053.v2.minimal.xml"
    assert text(done, "//dd[@data-key='payments']") == str(record["summary"]["payments"]) == "1"
    [row] = done.xpath("//table[@id='import-lines']/tbody/tr")
    assert row.get("data-payment") == line["payment_id"] and row.get("data-outcome") == "payment"
    assert text(row, "./td[3]") == "8.85 EUR" and text(row, "./td[4]") == "NAME NAME"  # as the sample says
    assert done.xpath("//div[@hx-select='#queue']/@hx-trigger") == ["load"]  # the queue reloads itself
    queue = page(await browser.get("/review", params={"limit": 100}))
    assert queue.xpath(f"//article[@id='payment-{line['payment_id']}']")
    # the same file again is that import, said so; without htmx the page reloads itself while it runs
    again = await browser.post(
        "/review/imports",
        data={"csrf_token": csrf(listed)},
        files={"file": ("camt053.v2.minimal.xml", data, "application/xml")},
    )
    assert again.status_code == 303 and again.headers["location"] == f"/review/imports/{import_id}?again=1"
    shown = page(await browser.get(again.headers["location"]))
    assert "已导入过" in text(shown, "//div[@class='import']/p[1]")
    assert not shown.xpath("//meta[@http-equiv='refresh']")  # finished: no reload


async def test_an_upload_without_a_file_or_the_csrf_token_changes_nothing(
    console: ConsoleFactory, platform: Platform
) -> None:
    browser = await clerk_browser(console, platform)
    listed = await browser.get("/review")
    forged = await browser.post(
        "/review/imports", files={"file": ("x.xml", b"<Document/>", "application/xml")}, headers=HTMX
    )
    assert forged.status_code == 403
    empty = await browser.post("/review/imports", data={"csrf_token": csrf(listed)}, headers=HTMX)
    assert text(page(empty), "//p[@id='import-error']") == "请选择要上传的文件。"
    broken = await browser.post(
        "/review/imports",
        data={"csrf_token": csrf(listed)},
        files={"file": ("broken.xml", b"<Document><BkToCstmrStmt>", "application/xml")},
        headers=HTMX,
    )
    assert text(page(broken), "//p[@id='import-error']")  # reconciliation's words for it


async def test_a_statements_balance_warning_is_said_in_chinese_on_a_chinese_page(
    console: ConsoleFactory, platform: Platform
) -> None:
    """ING's sample MT940 does not add up (its closing balance is not its opening plus its entries): reconciliation
    warns with its figures in English and Chinese; the zh page says its detail_zh, the English page its detail."""
    data = (SAMPLES / "mt940" / "jejik-ing.sta").read_bytes()
    browser = await clerk_browser(console, platform)
    listed = await browser.get("/review")
    started = await browser.post(
        "/review/imports",
        data={"csrf_token": csrf(listed), "format": ""},
        files={"file": ("jejik-ing.sta", data, "application/octet-stream")},
    )
    assert started.status_code == 303, started.text
    location = started.headers["location"]

    async def finished() -> Any:
        shown = page(await browser.get(location, headers=HTMX))
        return [shown] if shown.xpath("//div[@class='import' and @data-status='succeeded']") else None

    [done] = await eventually(finished, within=30, what="the import to finish")
    import_id = done.xpath("//div[@class='import']/@id")[0][len("import-") :]
    async with platform.client("reconciliation") as reconciliation:
        record = (await reconciliation.get(f"/statement-imports/{import_id}")).json()
    [warning] = [w for w in record["warnings"] if w["code"] == "balance_mismatch"]
    [said] = done.xpath("//ul[contains(@class,'warnings')]/li[@data-code='balance_mismatch']")
    chinese = text(said, ".")
    assert chinese.startswith("余额不符：期初余额 ") and "但对账单的期末余额为" in chinese, chinese
    figures = re.findall(r"-?\d+\.\d{2}", warning["detail"])
    assert figures and all(f in chinese for f in figures)  # every figure reconciliation gave, none lost
    assert not re.search(r"[A-Za-z]", chinese)
    assert text(said, ".//span[contains(@class,'detail')]") == warning["detail_zh"]  # reconciliation's own Chinese
    browser.cookies.set("console_lang", "en")
    english = page(await browser.get(f"/review/imports/{import_id}", headers=HTMX))
    said_en = english.xpath("//li[@data-code='balance_mismatch']")[0]
    assert text(said_en, ".//span[contains(@class,'detail')]") == warning["detail"]
