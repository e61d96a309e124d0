"""待核对: reconciliation's queued payments with their suggestions; one suggestion confirmed with a key press's form."""

from __future__ import annotations

import secrets
from typing import Any

from arflow.testing import eventually

from .conftest import ConsoleFactory, Platform
from .pages import csrf, page, sign_in, text


def camt053(amount: str, name: str) -> bytes:
    """A one-line bank statement (ISO 20022 camt.053): money in from a payer nobody knows yet."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>
<Stmt><Id>{secrets.token_hex(6)}</Id><Acct><Id><IBAN>CN{secrets.randbelow(10**12)}</IBAN></Id></Acct>
<Ntry><Amt Ccy="CNY">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
<BookgDt><Dt>2026-03-01</Dt></BookgDt><AcctSvcrRef>{secrets.token_hex(8)}</AcctSvcrRef>
<NtryDtls><TxDtls><RltdPties><Dbtr><Nm>{name}</Nm></Dbtr><DbtrAcct><Id><Othr><Id>62220{secrets.randbelow(10**12):012d}</Id></Othr></Id></DbtrAcct>
</RltdPties><RmtInf><Ustrd></Ustrd></RmtInf></TxDtls></NtryDtls></Ntry></Stmt></BkToCstmrStmt></Document>""".encode()


async def queued_payment(platform: Platform) -> dict[str, Any]:
    """A customer paying less than their invoice says, under their own name: suggested, not matched."""
    name = f"绍兴柯桥印染有限公司{secrets.token_hex(2)}"
    async with platform.client("invoicing") as invoicing, platform.client("reconciliation") as reconciliation:
        made = await invoicing.post(
            "/customers", json={"legal_name": name}, headers={"Idempotency-Key": secrets.token_hex(8)}
        )
        customer_id = made.json()["id"]
        invoices = [await platform.issued_invoice(customer_id, "777.00")]

        async def projected() -> bool:
            items = (await reconciliation.get("/open-items", params={"customer_id": customer_id})).json()["data"]
            return len(items) == 1

        await eventually(projected, within=30, what="reconciliation's projection of both invoices")
        started = await reconciliation.post(
            "/statement-imports", content=camt053("700.00", name), headers={"Content-Type": "application/xml"}
        )
        assert started.status_code == 202, started.text

        async def done() -> Any:
            body = (await reconciliation.get(f"/statement-imports/{started.json()['id']}")).json()
            return body if body["status"] in ("succeeded", "failed") else None

        imported = await eventually(done, within=30, what="the statement import")
        [line] = (await reconciliation.get(f"/statement-imports/{imported['id']}/lines")).json()["data"]
        payment = (await reconciliation.get(f"/payments/{line['payment_id']}")).json()
    assert payment["status"] == "unmatched", payment
    return {"payment": payment, "customer_id": customer_id, "invoices": invoices, "name": name}


async def test_the_queue_shows_each_suggestion_with_its_confidence_and_confirming_applies_it(
    console: ConsoleFactory, platform: Platform
) -> None:
    queued = await queued_payment(platform)
    payment = queued["payment"]
    clerk, password = await platform.person(["ar_clerk"])
    browser = await console()
    await sign_in(browser, clerk, password)
    listed = await browser.get("/review", params={"limit": 100})
    doc = page(listed)
    [card] = doc.xpath(f"//article[@data-payment='{payment['id']}']")
    shown = card.xpath(".//ol[@class='suggestions']/li")
    assert [li.get("data-rank") for li in shown] == [str(s["rank"]) for s in payment["suggestions"]]
    best = payment["suggestions"][0]
    assert text(shown[0], ".//span[@class='confidence']") == f"{best['confidence'] * 100:.0f}%"
    assert text(shown[0], ".//b/a") == queued["name"]  # the customer's name, not its id
    assert shown[0].xpath(".//button/@accesskey") == ["1"]
    assert shown[0].xpath(".//input[@name='rank']/@value") == [str(best["rank"])]
    # why, in reconciliation's own Chinese of each note (never the English read back)
    assert best["notes"] and [text(li, ".") for li in shown[0].xpath(".//ul[contains(@class,'why')]/li")] == [
        n["text_zh"] for n in best["notes"]
    ]
    confirmed = await browser.post(
        f"/review/{payment['id']}/confirm",
        data={"rank": str(best["rank"]), "csrf_token": csrf(listed)},
        headers={"HX-Request": "true"},
    )
    assert confirmed.status_code == 200 and "已确认" in text(page(confirmed), "//span")
    async with platform.client("reconciliation") as reconciliation:
        after = (await reconciliation.get(f"/payments/{payment['id']}")).json()
    assert after["status"] == "matched"
    assert [a["invoice_id"] for a in after["allocations"]] == [a["invoice_id"] for a in best["allocations"]]
    again = page(await browser.get("/review", params={"limit": 100}))
    assert not again.xpath(f"//article[@data-payment='{payment['id']}']")

    undone = await browser.post(
        f"/review/{payment['id']}/undo", data={"csrf_token": csrf(listed)}, headers={"HX-Request": "true"}
    )
    assert undone.status_code == 200, undone.text
    [back] = page(undone).xpath("//span[contains(@class,'undone')]/@data-payment")
    async with platform.client("reconciliation") as reconciliation:
        returned = (await reconciliation.get(f"/payments/{back}")).json()
    assert returned["status"] == "unmatched" and returned["supersedes_payment_id"] == payment["id"]
    queue = page(await browser.get("/review", params={"limit": 100}))
    assert queue.xpath(f"//article[@data-payment='{back}']")


async def test_a_confirmation_without_the_csrf_token_changes_nothing(
    console: ConsoleFactory, platform: Platform
) -> None:
    queued = await queued_payment(platform)
    clerk, password = await platform.person(["ar_clerk"])
    browser = await console()
    await sign_in(browser, clerk, password)
    forged = await browser.post(f"/review/{queued['payment']['id']}/confirm", data={"rank": "0"})
    assert forged.status_code == 403
    async with platform.client("reconciliation") as reconciliation:
        still = (await reconciliation.get(f"/payments/{queued['payment']['id']}")).json()
    assert still["status"] == "unmatched"
