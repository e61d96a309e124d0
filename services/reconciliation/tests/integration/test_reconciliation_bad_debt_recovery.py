"""Money for a written-off invoice (坏账收回), through the API: a statement line naming it is applied as a recovery,
never beyond what was written off; one naming nothing but paying by the payer's name and the amount waits for a
person with the write-off said in English and Chinese; a person may allocate to it; and the lookup decides as the
whole projection does."""

from __future__ import annotations

import secrets
import uuid
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from arflow.events.catalog import InvoiceIssued, InvoiceWrittenOff
from arflow.testing.services import RunningService
from reconciliation.matching import service as matching
from reconciliation.matching.engine import Incoming
from reconciliation.matching.recovery import decide

if TYPE_CHECKING:  # the fixtures' types; conftest is not importable at run time (--import-mode=importlib)
    from conftest import Books, ImportDone, PublishedPayments

D = Decimal


async def written_off(books: Books, total: str = "200.00") -> tuple[uuid.UUID, str, InvoiceIssued]:
    """A customer (a name of its own) whose only invoice was written off whole."""
    customer_id, name = await books.customer()
    invoice = await books.issued(customer_id, total, date(2026, 1, 31))
    await books.ledger.feed.publish(
        InvoiceWrittenOff(
            customer_id=customer_id,
            invoice_id=invoice.invoice_id,
            invoice_number=invoice.invoice_number,
            amount_written_off=invoice.total,
            reason="客户失联",
            written_off_on=date(2026, 2, 15),
        )
    )
    await books.ledger.item_when(customer_id, invoice.invoice_id, lambda i: i["status"] == "written_off")
    return customer_id, name, invoice


def camt_line(amount: str, remittance: str, name: str) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt>
<GrpHdr><MsgId>M1</MsgId><CreDtTm>2026-03-02T08:00:00+08:00</CreDtTm></GrpHdr>
<Stmt><Id>{secrets.token_hex(6)}</Id><Acct><Id><Othr><Id>ACCT-{secrets.token_hex(4)}</Id></Othr></Id></Acct>
<Ntry><Amt Ccy="CNY">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
<BookgDt><Dt>2026-03-01</Dt></BookgDt><AcctSvcrRef>{secrets.token_hex(8)}</AcctSvcrRef>
<NtryDtls><TxDtls><RltdPties><Dbtr><Pty><Nm>{name}</Nm></Pty></Dbtr></RltdPties>
<RmtInf><Ustrd>{remittance}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry></Stmt></BkToCstmrStmt></Document>""".encode()


async def imported_payment(client: Any, import_done: ImportDone, statement: bytes) -> dict[str, Any]:
    response = await client.post("/statement-imports", content=statement, headers={"Content-Type": "application/xml"})
    assert response.status_code == 202, response.text
    done = await import_done(client, response.json()["id"])
    assert done["status"] == "succeeded", done
    [line] = (await client.get(f"/statement-imports/{done['id']}/lines")).json()["data"]
    payment: dict[str, Any] = (await client.get(f"/payments/{line['payment_id']}")).json()
    return payment


async def test_a_line_naming_a_written_off_invoice_is_applied_as_a_recovery_up_to_what_was_written_off(
    reconciliation: RunningService,
    reconciliation_books: Books,
    import_done: ImportDone,
    reconciliation_published: PublishedPayments,
) -> None:
    customer_id, name, invoice = await written_off(reconciliation_books, "200.00")
    payment = await imported_payment(
        reconciliation.client, import_done, camt_line("250.00", f"还款 {invoice.invoice_number}", name)
    )
    assert payment["status"] == "matched" and payment["customer_id"] == str(customer_id)
    [allocation] = payment["allocations"]
    assert (allocation["invoice_id"], allocation["amount"], allocation["recovery"]) == (
        str(invoice.invoice_id),
        "200.00",
        True,
    )
    assert (payment["recovered"], payment["unallocated"]) == ("200.00", "50.00")
    assert any("written off as a bad debt" in r and invoice.invoice_number in r for r in payment["match_reasons"])
    assert any("坏账收回" in r for r in payment["match_reasons_zh"]), payment["match_reasons_zh"]
    [recovery] = [n for n in payment["match_notes"] if n["code"] == "recovery"]
    assert recovery["invoice_numbers"] == [invoice.invoice_number] and "坏账收回" in recovery["text_zh"]
    received = await reconciliation_published.payment_received(uuid.UUID(payment["id"]))
    assert [(a.invoice_id, a.amount.amount) for a in received.allocations] == [(invoice.invoice_id, D("200.00"))]
    item = (await reconciliation_books.ledger.open_items(customer_id))[str(invoice.invoice_id)]
    assert (item["available"], item["pending_allocations"]) == ("0.00", "200.00")


async def test_a_line_paying_by_name_and_amount_only_waits_for_a_person_told_of_the_write_off(
    reconciliation: RunningService, reconciliation_books: Books, import_done: ImportDone
) -> None:
    client = reconciliation.client
    customer_id, name, invoice = await written_off(reconciliation_books, "300.00")
    payment = await imported_payment(client, import_done, camt_line("300.00", "货款", name))
    assert payment["status"] == "unmatched" and payment["allocations"] == []
    best = payment["suggestions"][0]
    assert best["customer_id"] == str(customer_id) and best["confidence"] < 0.9
    assert [(a["invoice_id"], D(a["amount"])) for a in best["allocations"]] == [(str(invoice.invoice_id), D("300"))]
    assert any(f"{invoice.invoice_number} was written off as a bad debt" in r for r in best["reasons"])
    assert any("已核销为坏账" in r and "坏账收回" in r for r in best["reasons_zh"]), best["reasons_zh"]
    # The console reads it as a note: code, figures, both languages.
    [note] = [n for n in best["notes"] if n["code"] == "written_off_suggested"]
    assert (note["invoice_numbers"], note["owed"]) == ([invoice.invoice_number], "300.00")
    assert note["text_zh"].startswith(f"该客户的 {invoice.invoice_number} 已核销为坏账（尚欠 300.00）")
    assert best["notes"][0]["code"] == "name_is"
    # A person confirms it: a recovery.
    confirmed = await client.post(f"/payments/{payment['id']}/confirm", json={"rank": 0})
    assert confirmed.status_code == 200, confirmed.text
    body = confirmed.json()
    assert body["status"] == "matched" and body["recovered"] == "300.00"
    assert [a["recovery"] for a in body["allocations"]] == [True]


async def test_a_person_allocates_a_queued_payment_to_a_written_off_invoice_but_not_beyond_it(
    reconciliation: RunningService, reconciliation_books: Books, import_done: ImportDone
) -> None:
    client = reconciliation.client
    customer_id, _, invoice = await written_off(reconciliation_books, "120.00")
    payment = await imported_payment(client, import_done, camt_line("150.00", "转账", "张三"))
    assert payment["status"] == "unmatched"
    url = f"/payments/{payment['id']}/allocate"
    too_much = {
        "customer_id": str(customer_id),
        "allocations": [{"invoice_id": str(invoice.invoice_id), "amount": "120.01"}],
    }
    refused = await client.post(url, json=too_much, headers={"Accept-Language": "zh-CN"})
    assert (refused.status_code, refused.json()["code"]) == (422, "allocation_exceeds_balance"), refused.text
    assert "最多可核销 120.00" in refused.json()["detail"]
    given = {
        "customer_id": str(customer_id),
        "allocations": [{"invoice_id": str(invoice.invoice_id), "amount": "120.00"}],
    }
    allocated = await client.post(url, json=given)
    assert allocated.status_code == 200, allocated.text
    body = allocated.json()
    assert (body["recovered"], body["unallocated"], body["allocations"][0]["recovery"]) == ("120.00", "30.00", True)


async def test_a_payment_entered_by_hand_recovers_a_written_off_invoice_only_when_told_to(
    reconciliation: RunningService, reconciliation_books: Books
) -> None:
    client = reconciliation.client
    customer_id, _, invoice = await written_off(reconciliation_books, "80.00")
    open_one = await reconciliation_books.issued(customer_id, "40.00", date(2026, 3, 31))
    base = {"customer_id": str(customer_id), "currency": "CNY", "received_on": "2026-03-01"}
    by_age = await client.post("/payments", json={**base, "amount": "100.00"})
    assert by_age.status_code == 201, by_age.text
    assert [(a["invoice_id"], a["recovery"]) for a in by_age.json()["allocations"]] == [
        (str(open_one.invoice_id), False)
    ]
    told = await client.post(
        "/payments",
        json={**base, "amount": "50.00", "allocations": [{"invoice_id": str(invoice.invoice_id), "amount": "50.00"}]},
    )
    assert told.status_code == 201, told.text
    assert (told.json()["recovered"], told.json()["allocations"][0]["recovery"]) == ("50.00", True)


async def test_the_lookup_and_the_whole_projection_decide_a_recovery_alike(
    reconciliation: RunningService, reconciliation_books: Books
) -> None:
    _, name, invoice = await written_off(reconciliation_books, "260.00")
    rules = matching.match_settings(reconciliation.app.state.settings)
    for text, automatic in ((invoice.invoice_number, True), (invoice.payment_reference or "", True), ("货款", False)):
        payment = Incoming(D("260.00"), "CNY", text, payer_name=name)
        async with reconciliation.app.state.db.unit_of_work() as session:
            whole = decide(payment, await matching.load_match_index(session), rules)
            small = decide(payment, await matching.match_index_for(session, payment), rules)
        assert (small.best, small.automatic) == (whole.best, whole.automatic)
        assert small.automatic is automatic, (text, small)
