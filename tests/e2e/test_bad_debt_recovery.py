"""A written-off invoice recovered (坏账收回), across the services as processes: invoicing writes an invoice off,
a bank statement line naming it is matched by reconciliation as a recovery, a person allocates the rest by hand,
and invoicing's invoice and ledger follow to the cent (uncollectible with the balance left, then paid)."""

from __future__ import annotations

import secrets
import uuid
from decimal import Decimal
from typing import Any

import pytest

from arflow.testing import eventually
from arflow.testing.platform import Platform

pytestmark = pytest.mark.e2e


def camt_line(amount: str, remittance: str, name: str) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt>
<GrpHdr><MsgId>M1</MsgId><CreDtTm>2026-12-01T08:00:00+08:00</CreDtTm></GrpHdr>
<Stmt><Id>{secrets.token_hex(6)}</Id><Acct><Id><Othr><Id>ACCT-{secrets.token_hex(4)}</Id></Othr></Id></Acct>
<Ntry><Amt Ccy="CNY">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
<BookgDt><Dt>2026-12-01</Dt></BookgDt><AcctSvcrRef>{secrets.token_hex(8)}</AcctSvcrRef>
<NtryDtls><TxDtls><RltdPties><Dbtr><Pty><Nm>{name}</Nm></Pty></Dbtr></RltdPties>
<RmtInf><Ustrd>{remittance}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry></Stmt></BkToCstmrStmt></Document>""".encode()


async def test_a_written_off_invoice_is_recovered_through_reconciliation_and_invoicing_follows(
    platform: Platform,
) -> None:
    invoicing, reconciliation = platform.client("invoicing"), platform.client("reconciliation")
    name = f"宁波坏账收回{secrets.randbelow(10**6):06d}有限公司"
    made = await invoicing.post("/customers", json={"legal_name": name, "external_reference": f"crm-{uuid.uuid4()}"})
    assert made.status_code == 201, made.text
    customer_id = made.json()["id"]
    issued = await invoicing.post(
        "/invoices",
        json={
            "customer_id": customer_id,
            "invoice_date": "2026-09-01",
            "net_days": 30,
            "issue": True,
            "lines": [{"description": "代理记账服务费", "unit_price": "500.00"}],
        },
    )
    assert issued.status_code == 201, issued.text
    invoice = issued.json()
    written = await invoicing.post(
        f"/invoices/{invoice['id']}/write-off", json={"reason": "客户失联", "written_off_on": "2026-11-15"}
    )
    assert written.status_code == 200, written.text
    assert (written.json()["status"], written.json()["amount_written_off"]) == ("uncollectible", "500.00")

    async def item(condition: Any) -> Any:
        items = (await reconciliation.get("/open-items", params={"customer_id": customer_id})).json()["data"]
        found = next((i for i in items if i["invoice_id"] == invoice["id"]), None)
        return found if found is not None and condition(found) else None

    await eventually(lambda: item(lambda i: i["status"] == "written_off"), within=30, what="the write-off projected")

    # 1. The client pays 300.00 naming the invoice: matched automatically, as a recovery.
    upload = await reconciliation.post(
        "/statement-imports",
        content=camt_line("300.00", f"还款 {invoice['number']}", name),
        headers={"Content-Type": "application/xml"},
    )
    assert upload.status_code == 202, upload.text

    async def imported() -> Any:
        body = (await reconciliation.get(f"/statement-imports/{upload.json()['id']}")).json()
        return body if body["status"] in ("succeeded", "failed") else None

    done = await eventually(imported, within=30, what="the statement import")
    assert done["summary"]["matched_automatically"] == 1, done
    [line] = (await reconciliation.get(f"/statement-imports/{done['id']}/lines")).json()["data"]
    payment = (await reconciliation.get(f"/payments/{line['payment_id']}")).json()
    assert (payment["status"], payment["recovered"], payment["allocations"][0]["recovery"]) == (
        "matched",
        "300.00",
        True,
    )

    async def invoice_when(condition: Any) -> Any:
        state = (await invoicing.get(f"/invoices/{invoice['id']}")).json()
        return state if condition(state) else None

    partly = await eventually(
        lambda: invoice_when(lambda s: s["amount_paid"] == "300.00"), within=30, what="invoicing applying it"
    )
    assert (partly["status"], partly["balance"], partly["amount_written_off"]) == ("uncollectible", "200.00", "500.00")
    await eventually(lambda: item(lambda i: i["balance"] == "200.00"), within=30, what="the balance projected")

    # 2. The rest arrives naming nothing; a person allocates it to the written-off invoice (no more than it owes).
    cash = await reconciliation.post(
        "/payments",
        json={
            "customer_id": customer_id,
            "amount": "250.00",
            "currency": "CNY",
            "received_on": "2026-12-02",
            "allocations": [{"invoice_id": invoice["id"], "amount": "250.00"}],
        },
    )
    assert (cash.status_code, cash.json()["code"]) == (422, "allocation_exceeds_balance"), cash.text
    cash = await reconciliation.post(
        "/payments",
        json={
            "customer_id": customer_id,
            "amount": "200.00",
            "currency": "CNY",
            "received_on": "2026-12-02",
            "allocations": [{"invoice_id": invoice["id"], "amount": "200.00"}],
        },
    )
    assert cash.status_code == 201, cash.text
    assert cash.json()["recovered"] == "200.00"

    paid = await eventually(lambda: invoice_when(lambda s: s["status"] == "paid"), within=30, what="the invoice paid")
    assert (paid["amount_paid"], paid["balance"], paid["amount_written_off"]) == ("500.00", "0.00", "500.00")
    await eventually(
        lambda: item(lambda i: i["status"] == "paid"), within=30, what="the invoice paid in the projection"
    )
    balance = (await invoicing.get(f"/customers/{customer_id}/balance")).json()["balances"]
    [cny] = [b for b in balance if b["currency"] == "CNY"]
    assert (cny["invoiced"], cny["applied"], cny["balance"], cny["unapplied_credit"]) == (
        "500.00",
        "500.00",
        "0.00",
        "0.00",
    )
    for client in (invoicing, reconciliation):
        await client.aclose()
    assert Decimal(paid["total"]) == Decimal("500.00")
