"""The review queue: confirm a suggestion, allocate by hand, undo a match; what people decide is learned."""

from __future__ import annotations

import secrets
from datetime import date
from typing import TYPE_CHECKING, Any

import httpx

from arflow.events.catalog import RECONCILIATION, topic_of
from arflow.events.envelope import Envelope
from arflow.testing.kafka import collect_events
from arflow.testing.services import RunningService

if TYPE_CHECKING:  # the fixtures' types; conftest is not importable at run time (--import-mode=importlib)
    from conftest import Books, ImportDone, PublishedPayments


def camt053(entries: list[str]) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>
<Stmt><Id>{secrets.token_hex(6)}</Id><Acct><Id><IBAN>CN{secrets.randbelow(10**12)}</IBAN></Id></Acct>
{"".join(entries)}</Stmt></BkToCstmrStmt></Document>""".encode()


def credit(amount: str, *, name: str = "", account: str = "", remittance: str = "") -> str:
    return f"""<Ntry><Amt Ccy="CNY">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
<BookgDt><Dt>2026-03-01</Dt></BookgDt><AcctSvcrRef>{secrets.token_hex(8)}</AcctSvcrRef>
<NtryDtls><TxDtls><RltdPties><Dbtr><Nm>{name}</Nm></Dbtr><DbtrAcct><Id><Othr><Id>{account}</Id></Othr></Id></DbtrAcct>
</RltdPties><RmtInf><Ustrd>{remittance}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>"""


async def import_one(client: httpx.AsyncClient, import_done: ImportDone, line: str) -> dict[str, Any]:
    """Import a one-line statement and return the payment it became."""
    response = await client.post(
        "/statement-imports", content=camt053([line]), headers={"Content-Type": "application/xml"}
    )
    assert response.status_code == 202, response.text
    done = await import_done(client, response.json()["id"])
    lines = (await client.get(f"/statement-imports/{done['id']}/lines")).json()["data"]
    return (await client.get(f"/payments/{lines[0]['payment_id']}")).json()  # type: ignore[no-any-return]


async def test_a_confirmed_suggestion_is_applied_and_teaches_the_payer_account(
    reconciliation: RunningService,
    reconciliation_books: Books,
    reconciliation_published: PublishedPayments,
    import_done: ImportDone,
) -> None:
    client = reconciliation.client
    customer_id, _ = await reconciliation_books.customer()
    first = await reconciliation_books.issued(customer_id, "530.00", date(2026, 2, 28))
    second = await reconciliation_books.issued(customer_id, "530.00", date(2026, 3, 31))
    account = f"62220{secrets.randbelow(10**12):012d}"
    # A payer we do not know, paying an amount that two invoices have: a suggestion, not a match.
    queued = await import_one(client, import_done, credit("530.00", name="张三", account=account))
    assert queued["status"] == "unmatched"
    response = await client.post(
        f"/payments/{queued['id']}/allocate",
        json={
            "customer_id": str(customer_id),
            "allocations": [{"invoice_id": str(first.invoice_id), "amount": "530.00"}],
        },
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "matched" and response.json()["decided_by"] == "test"
    event = await reconciliation_published.payment_received(queued["id"])
    assert [a.invoice_id for a in event.allocations] == [first.invoice_id]
    mappings = (await client.get("/payer-mappings", params={"customer_id": str(customer_id)})).json()
    assert [m["account_key"] for m in mappings["data"]] == [account]
    # The next payment from that account is known: applied at once to the other invoice.
    again = await import_one(client, import_done, credit("530.00", name="张三", account=account))
    assert again["status"] == "matched" and again["customer_id"] == str(customer_id)
    assert again["allocations"][0]["invoice_id"] == str(second.invoice_id)
    assert any("paid this customer before" in r for r in again["match_reasons"])


async def test_confirming_the_best_suggestion(
    reconciliation: RunningService,
    reconciliation_books: Books,
    reconciliation_published: PublishedPayments,
    import_done: ImportDone,
) -> None:
    client = reconciliation.client
    customer_id, name = await reconciliation_books.customer()
    invoice = await reconciliation_books.issued(customer_id, "777.00", date(2026, 2, 28))
    queued = await import_one(client, import_done, credit("700.00", name=name))
    assert queued["status"] == "unmatched"
    assert queued["suggestions"][0]["customer_id"] == str(customer_id)
    response = await client.post(f"/payments/{queued['id']}/confirm", json={"rank": 0})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["allocations"][0]["invoice_id"] == str(invoice.invoice_id)
    assert body["allocations"][0]["amount"] == "700.00" and body["allocations"][0]["basis"] == "confirmed"
    await reconciliation_published.payment_received(queued["id"])
    again = await client.post(f"/payments/{queued['id']}/confirm", json={"rank": 0})
    assert again.status_code == 409 and again.json()["code"] == "payment_not_unmatched"


async def test_the_review_queue_says_why_in_chinese_too(
    reconciliation: RunningService, reconciliation_books: Books, import_done: ImportDone
) -> None:
    client = reconciliation.client
    customer_id, name = await reconciliation_books.customer()
    await reconciliation_books.issued(customer_id, "640.00", date(2026, 2, 28))
    queued = await import_one(client, import_done, credit("600.00", name=name))
    assert queued["status"] == "unmatched"
    (waiting,) = (await client.get("/review-queue", params={"customer_id": str(customer_id)})).json()["data"]
    best = waiting["suggestions"][0]
    assert best["customer_id"] == str(customer_id)
    assert f"付款人 '{name}' 即客户 {name}" in best["reasons_zh"]
    assert len(best["reasons_zh"]) == len(best["reasons"])


async def test_allocating_more_than_an_invoice_owes_is_refused(
    reconciliation: RunningService, reconciliation_books: Books, import_done: ImportDone
) -> None:
    client = reconciliation.client
    customer_id, _ = await reconciliation_books.customer()
    invoice = await reconciliation_books.issued(customer_id, "100.00", date(2026, 2, 28))
    queued = await import_one(client, import_done, credit("150.00", name="李四"))
    response = await client.post(
        f"/payments/{queued['id']}/allocate",
        json={
            "customer_id": str(customer_id),
            "allocations": [{"invoice_id": str(invoice.invoice_id), "amount": "150.00"}],
        },
    )
    assert response.status_code == 422 and response.json()["code"] == "allocation_exceeds_balance"
    still = (await client.get(f"/payments/{queued['id']}")).json()
    assert still["status"] == "unmatched"


async def test_undo_reverses_the_match_and_queues_the_money_again(
    reconciliation: RunningService,
    reconciliation_books: Books,
    reconciliation_published: PublishedPayments,
    import_done: ImportDone,
) -> None:
    client = reconciliation.client
    customer_id, name = await reconciliation_books.customer()
    invoice = await reconciliation_books.issued(customer_id, "888.00", date(2026, 2, 28))
    matched = await import_one(client, import_done, credit("888.00", name=name, remittance=invoice.invoice_number))
    assert matched["status"] == "matched"
    response = await client.post(f"/payments/{matched['id']}/undo")
    assert response.status_code == 201, response.text
    again = response.json()
    assert again["status"] == "unmatched" and again["supersedes_payment_id"] == matched["id"]
    # It says whose match was undone and by whom, in English and in Chinese (as stored, not only as answered).
    assert again["match_reasons"] == [f"match of payment {matched['id']} undone by test"]
    assert again["match_reasons_zh"] == [f"付款 {matched['id']} 的匹配已由 test 撤销"]
    assert (await client.get(f"/payments/{again['id']}")).json()["match_reasons_zh"] == again["match_reasons_zh"]
    old = (await client.get(f"/payments/{matched['id']}")).json()
    assert old["status"] == "reversed"
    await collect_events(
        reconciliation.app.state.settings.kafka_bootstrap,
        topic_of(RECONCILIATION),
        lambda e: (
            e.type == "PaymentReversed" and e.data["payment_id"] == matched["id"] and e.data["reason"] == "unmatched"
        ),
    )
    # The invoice is available again, and a person re-matches it: PaymentReceived says what it supersedes.
    items = await reconciliation_books.ledger.open_items(customer_id)
    assert items[str(invoice.invoice_id)]["available"] == "888.00"
    response = await client.post(
        f"/payments/{again['id']}/allocate",
        json={
            "customer_id": str(customer_id),
            "allocations": [{"invoice_id": str(invoice.invoice_id), "amount": "888.00"}],
        },
    )
    assert response.status_code == 200, response.text
    event = await reconciliation_published.payment_received(again["id"])
    assert event.supersedes_payment_id is not None and str(event.supersedes_payment_id) == matched["id"]


async def test_only_matched_payments_can_be_undone(reconciliation: RunningService, import_done: ImportDone) -> None:
    client = reconciliation.client
    queued = await import_one(client, import_done, credit("13.00", name="王五"))
    response = await client.post(f"/payments/{queued['id']}/undo")
    assert response.status_code == 409 and response.json()["code"] == "payment_not_matched"


async def test_disputes_open_and_resolve_with_events(
    reconciliation: RunningService, reconciliation_books: Books
) -> None:
    client = reconciliation.client
    customer_id, _ = await reconciliation_books.customer()
    invoice = await reconciliation_books.issued(customer_id, "300.00", date(2026, 2, 28))
    response = await client.post(
        "/disputes", json={"invoice_id": str(invoice.invoice_id), "reason": "对账有异议：重复计费"}
    )
    assert response.status_code == 201, response.text
    dispute = response.json()
    assert dispute["status"] == "open" and dispute["amount"] == "300.00"
    twice = await client.post("/disputes", json={"invoice_id": str(invoice.invoice_id), "reason": "again"})
    assert twice.status_code == 409 and twice.json()["code"] == "dispute_already_open"
    resolved = await client.post(f"/disputes/{dispute['id']}/resolve", json={"resolution": "customer_wrong"})
    assert resolved.status_code == 200 and resolved.json()["status"] == "resolved"
    listed = (await client.get("/disputes", params={"customer_id": str(customer_id)})).json()["data"]
    assert [d["id"] for d in listed] == [dispute["id"]]
    bootstrap = reconciliation.app.state.settings.kafka_bootstrap
    for kind in ("DisputeOpened", "DisputeResolved"):

        def is_the_dispute_event(e: Envelope, kind: str = kind) -> bool:
            return e.type == kind and e.data["dispute_id"] == dispute["id"]

        await collect_events(bootstrap, topic_of(RECONCILIATION), is_the_dispute_event)


async def test_a_dispute_on_an_unknown_invoice_is_refused(reconciliation: RunningService) -> None:
    response = await reconciliation.client.post(
        "/disputes", json={"invoice_id": "01900000-0000-7000-8000-000000000000", "reason": "x"}
    )
    assert response.status_code == 422 and response.json()["code"] == "invoice_unknown"


async def test_one_transfer_for_two_customers_is_split(
    reconciliation: RunningService,
    reconciliation_books: Books,
    reconciliation_published: PublishedPayments,
    import_done: ImportDone,
) -> None:
    client = reconciliation.client
    first_customer, _ = await reconciliation_books.customer()
    second_customer, _ = await reconciliation_books.customer()
    first = await reconciliation_books.issued(first_customer, "300.00", date(2026, 2, 28))
    second = await reconciliation_books.issued(second_customer, "200.00", date(2026, 2, 28))
    queued = await import_one(client, import_done, credit("500.00", name="某集团财务中心"))
    assert queued["status"] == "unmatched"
    wrong = await client.post(
        f"/payments/{queued['id']}/split",
        json={
            "parts": [
                {"customer_id": str(first_customer), "amount": "300.00"},
                {"customer_id": str(second_customer), "amount": "100.00"},
            ]
        },
    )
    assert wrong.status_code == 422 and wrong.json()["code"] == "split_does_not_add_up"
    response = await client.post(
        f"/payments/{queued['id']}/split",
        json={
            "parts": [
                {
                    "customer_id": str(first_customer),
                    "amount": "300.00",
                    "allocations": [{"invoice_id": str(first.invoice_id), "amount": "300.00"}],
                },
                {
                    "customer_id": str(second_customer),
                    "amount": "200.00",
                    "allocations": [{"invoice_id": str(second.invoice_id), "amount": "200.00"}],
                },
            ]
        },
    )
    assert response.status_code == 201, response.text
    parts = response.json()
    assert [p["supersedes_payment_id"] for p in parts] == [queued["id"], queued["id"]]
    for part in parts:
        assert part["match_reasons"] == [f"part of payment {queued['id']}, split by test"]
        assert part["match_reasons_zh"] == [f"付款 {queued['id']} 的一部分，由 test 拆分"]
    for part, invoice in zip(parts, (first, second), strict=True):
        event = await reconciliation_published.payment_received(part["id"])
        assert [a.invoice_id for a in event.allocations] == [invoice.invoice_id]
    assert (await client.get(f"/payments/{queued['id']}")).json()["status"] == "split"


async def test_a_split_finer_than_the_currency_allows_is_refused_and_creates_no_money(
    reconciliation: RunningService, reconciliation_books: Books, import_done: ImportDone
) -> None:
    client = reconciliation.client
    first_customer, _ = await reconciliation_books.customer()
    second_customer, _ = await reconciliation_books.customer()
    for customer_id in (first_customer, second_customer):  # (projected once their invoices are)
        await reconciliation_books.issued(customer_id, "50.00", date(2026, 2, 28))
    queued = await import_one(client, import_done, credit("100.00", name="某集团财务中心"))
    assert queued["status"] == "unmatched"
    # 33.335 + 66.665 is 100.00, but published to the cent they would be 33.34 + 66.67 = 100.01.
    response = await client.post(
        f"/payments/{queued['id']}/split",
        json={
            "parts": [
                {"customer_id": str(first_customer), "amount": "33.335"},
                {"customer_id": str(second_customer), "amount": "66.665"},
            ]
        },
    )
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["code"] == "amount_not_exact"
    assert problem["errors"][0]["location"] == "body.parts.0.amount"
    assert "CNY" in problem["detail"]
    assert problem["errors"][0]["message_zh"] == "parts.0.amount 的金额 33.335 小数位数超过了 CNY 允许的位数"
    assert (await client.get(f"/payments/{queued['id']}")).json()["status"] == "unmatched"


async def test_an_allocation_finer_than_the_currency_allows_is_refused(
    reconciliation: RunningService, reconciliation_books: Books, import_done: ImportDone
) -> None:
    client = reconciliation.client
    customer_id, _ = await reconciliation_books.customer()
    invoice = await reconciliation_books.issued(customer_id, "100.00", date(2026, 2, 28))
    queued = await import_one(client, import_done, credit("100.00", name="王五"))
    for amount in ("0.00001", "50.005"):
        response = await client.post(
            f"/payments/{queued['id']}/allocate",
            json={
                "customer_id": str(customer_id),
                "allocations": [{"invoice_id": str(invoice.invoice_id), "amount": amount}],
            },
        )
        assert response.status_code == 422, response.text
        assert response.json()["code"] == "amount_not_exact"
        assert response.json()["errors"][0]["location"] == "body.allocations.0.amount"
    split = await client.post(
        f"/payments/{queued['id']}/split",
        json={
            "parts": [
                {
                    "customer_id": str(customer_id),
                    "amount": "60.00",
                    "allocations": [{"invoice_id": str(invoice.invoice_id), "amount": "0.001"}],
                },
                {"customer_id": str(customer_id), "amount": "40.00"},
            ]
        },
    )
    assert split.status_code == 422 and split.json()["errors"][0]["location"] == "body.parts.0.allocations.0.amount"
    assert (await client.get(f"/payments/{queued['id']}")).json()["status"] == "unmatched"


async def test_a_retried_undo_and_allocation_happen_once(
    reconciliation: RunningService, reconciliation_books: Books, import_done: ImportDone
) -> None:
    # A client that lost the answer and retries with its Idempotency-Key must not undo twice
    # (the second undo would be a 409 today, and a second allocation a double application).
    client = reconciliation.client
    customer_id, name = await reconciliation_books.customer()
    invoice = await reconciliation_books.issued(customer_id, "640.00", date(2026, 2, 28))
    matched = await import_one(client, import_done, credit("640.00", name=name, remittance=invoice.invoice_number))
    undo_key = {"Idempotency-Key": f"undo-{matched['id']}"}
    undone = [await client.post(f"/payments/{matched['id']}/undo", headers=undo_key) for _ in range(2)]
    assert [r.status_code for r in undone] == [201, 201], undone[1].text
    assert undone[0].json() == undone[1].json() and undone[1].headers["idempotent-replayed"] == "true"
    again = undone[0].json()
    body = {
        "customer_id": str(customer_id),
        "allocations": [{"invoice_id": str(invoice.invoice_id), "amount": "640.00"}],
    }
    allocate_key = {"Idempotency-Key": f"allocate-{again['id']}"}
    allocated = [await client.post(f"/payments/{again['id']}/allocate", json=body, headers=allocate_key) for _ in "ab"]
    assert [r.status_code for r in allocated] == [200, 200] and allocated[0].json() == allocated[1].json()
    items = await reconciliation_books.ledger.open_items(customer_id)
    assert items[str(invoice.invoice_id)]["available"] == "0.00"


async def test_payer_mappings_are_listed_newest_first_in_pages(
    reconciliation: RunningService, reconciliation_books: Books
) -> None:
    client = reconciliation.client
    customer_id, _ = await reconciliation_books.customer()
    await reconciliation_books.issued(customer_id, "100.00", date(2026, 3, 31))  # (the customer is projected then)
    accounts = [f"62221{secrets.randbelow(10**12):012d}" for _ in range(3)]
    for account in accounts:
        response = await client.post(
            "/payer-mappings", json={"payer_account": account, "customer_id": str(customer_id)}
        )
        assert response.status_code == 201, response.text
    query: dict[str, str | int] = {"customer_id": str(customer_id), "limit": 2}
    first = (await client.get("/payer-mappings", params=query)).json()
    assert first["object"] == "list" and first["has_more"] is True
    assert first["next_cursor"] == first["data"][-1]["id"]
    second = (await client.get("/payer-mappings", params={**query, "starting_after": first["next_cursor"]})).json()
    assert second["has_more"] is False and second["next_cursor"] is None
    listed = [m["account_key"] for m in first["data"] + second["data"]]
    assert listed == accounts[::-1]
