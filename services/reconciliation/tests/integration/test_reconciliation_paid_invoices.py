"""A paid invoice never receives an automatic match (issue 21), through the API: a statement line and a signed
callback naming an invoice that is paid go to the review queue, and its open look-alike keeps its balance."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import uuid
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from arflow.events.catalog import InvoiceIssued, InvoicePaid
from arflow.testing.services import RunningService
from reconciliation.matching import service as matching
from reconciliation.matching.engine import Incoming, match

if TYPE_CHECKING:  # the fixtures' types; conftest is not importable at run time (--import-mode=importlib)
    from conftest import Books, GatewayKeys, ImportDone

D = Decimal


async def paid_and_look_alike(books: Books) -> tuple[uuid.UUID, str, InvoiceIssued, InvoiceIssued]:
    """A customer whose INV-2026-nnnnn0 is paid and whose INV-2026-nnnnn1 (one typo away) owes the same."""
    customer_id, name = await books.customer()
    serial = f"{secrets.randbelow(10**5):05d}"
    made = []
    for last in "01":
        invoice = await books.ledger.invoice(customer_id, "424.00", date(2026, 2, 28), publish=False)
        number = f"INV-2026-{serial}{last}"
        made.append(invoice.model_copy(update={"invoice_number": number, "payment_reference": f"RF00{number}"}))
    paid, look_alike = made
    await books.ledger.feed.publish(paid, look_alike)
    await books.ledger.feed.publish(
        InvoicePaid(
            customer_id=customer_id,
            invoice_id=paid.invoice_id,
            invoice_number=paid.invoice_number,
            total=paid.total,
            invoice_date=paid.invoice_date,
            due_date=paid.due_date,
            paid_on=date(2026, 3, 1),
            days_beyond_terms=1,
        )
    )
    await books.ledger.item_when(customer_id, paid.invoice_id, lambda item: item["status"] == "paid")
    await books.ledger.item_when(customer_id, look_alike.invoice_id)
    return customer_id, name, paid, look_alike


def camt_line(amount: str, remittance: str, name: str) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt>
<GrpHdr><MsgId>M1</MsgId><CreDtTm>2026-03-02T08:00:00+08:00</CreDtTm></GrpHdr>
<Stmt><Id>{secrets.token_hex(6)}</Id><Acct><Id><Othr><Id>ACCT-{secrets.token_hex(4)}</Id></Othr></Id></Acct>
<Ntry><Amt Ccy="CNY">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
<BookgDt><Dt>2026-03-01</Dt></BookgDt><AcctSvcrRef>{secrets.token_hex(8)}</AcctSvcrRef>
<NtryDtls><TxDtls><RltdPties><Dbtr><Pty><Nm>{name}</Nm></Pty></Dbtr></RltdPties>
<RmtInf><Ustrd>{remittance}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry></Stmt></BkToCstmrStmt></Document>""".encode()


async def test_a_statement_line_naming_a_paid_invoice_waits_for_review_and_pays_no_look_alike(
    reconciliation: RunningService, reconciliation_books: Books, import_done: ImportDone
) -> None:
    client = reconciliation.client
    customer_id, name, paid, look_alike = await paid_and_look_alike(reconciliation_books)
    response = await client.post(
        "/statement-imports",
        content=camt_line("424.00", f"{paid.invoice_number} 服务费", name),
        headers={"Content-Type": "application/xml"},
    )
    assert response.status_code == 202, response.text
    done = await import_done(client, response.json()["id"])
    assert done["summary"]["matched_automatically"] == 0 and done["summary"]["queued_for_review"] == 1
    lines = (await client.get(f"/statement-imports/{done['id']}/lines")).json()["data"]
    payment = (await client.get(f"/payments/{lines[0]['payment_id']}")).json()
    assert payment["status"] == "unmatched" and payment["allocations"] == []
    reasons = [r for s in payment["suggestions"] for r in s["reasons"]]
    assert any(f"names {paid.invoice_number}, which owes nothing" in r for r in reasons), reasons
    assert not any("resembles" in r for r in reasons)
    item = (await reconciliation_books.ledger.open_items(customer_id))[str(look_alike.invoice_id)]
    assert item["available"] == "424.00" and item["pending_allocations"] == "0.00"


async def test_a_callback_naming_a_paid_invoice_is_not_applied(
    reconciliation: RunningService, reconciliation_books: Books, gateway_keys: GatewayKeys
) -> None:
    customer_id, name, paid, look_alike = await paid_and_look_alike(reconciliation_books)
    data: dict[str, Any] = {
        "id": f"pay_{secrets.token_hex(6)}",
        "amount": "424.00",
        "currency": "CNY",
        "reference": paid.invoice_number,
        "payer_name": name,
    }
    body = json.dumps({"type": "payment.succeeded", "data": data}).encode()
    message_id, stamp = f"msg_{secrets.token_hex(8)}", int(reconciliation.app.state.clock.now().timestamp())
    key = base64.b64decode(gateway_keys.standard_secret.removeprefix("whsec_"))
    signature = base64.b64encode(hmac.new(key, f"{message_id}.{stamp}.".encode() + body, hashlib.sha256).digest())
    headers = {
        "webhook-id": message_id,
        "webhook-timestamp": str(stamp),
        "webhook-signature": f"v1,{signature.decode()}",
        "Content-Type": "application/json",
    }
    response = await reconciliation.client.post("/webhooks/standard", content=body, headers=headers)
    assert response.status_code == 200 and response.json()["outcome"] == "payment_unmatched", response.text
    item = (await reconciliation_books.ledger.open_items(customer_id))[str(look_alike.invoice_id)]
    assert item["available"] == "424.00"


async def test_the_lookup_and_the_whole_projection_both_know_the_invoice_is_paid(
    reconciliation: RunningService, reconciliation_books: Books
) -> None:
    _, name, paid, _ = await paid_and_look_alike(reconciliation_books)
    rules = matching.match_settings(reconciliation.app.state.settings)
    for text in (paid.invoice_number, paid.payment_reference or ""):
        payment = Incoming(D("424.00"), "CNY", text, payer_name=name)
        async with reconciliation.app.state.db.unit_of_work() as session:
            whole = match(payment, await matching.load_match_index(session), rules)
            small = match(payment, await matching.match_index_for(session, payment), rules)
        assert (small.best, small.automatic) == (whole.best, whole.automatic)
        assert not small.automatic
