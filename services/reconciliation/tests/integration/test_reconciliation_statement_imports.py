"""Statement imports through the REST API: a job with progress, payments matched or queued, idempotent."""

from __future__ import annotations

import secrets
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any
from uuid import UUID

from sqlalchemy import delete

from arflow.events.catalog import RECONCILIATION, topic_of
from arflow.testing.kafka import collect_events
from arflow.testing.services import RunningService
from reconciliation.models import StatementImport, StatementLine
from reconciliation.statements import rules as statements

if TYPE_CHECKING:  # the fixtures' types; conftest is not importable at run time (--import-mode=importlib)
    from conftest import Books, ImportDone, PublishedPayments

SHARED = Path(__file__).resolve().parents[5] / "shared" / "samples" / "statements"


def camt053(
    entries: list[str], *, statement_id: str | None = None, sequence: int = 1, account: str | None = None
) -> bytes:
    """A camt.053.001.08 statement with the given <Ntry> elements."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">
<BkToCstmrStmt><GrpHdr><MsgId>M1</MsgId><CreDtTm>2026-03-02T08:00:00+08:00</CreDtTm></GrpHdr>
<Stmt><Id>{statement_id or secrets.token_hex(6)}</Id><ElctrncSeqNb>{sequence}</ElctrncSeqNb>
<Acct><Id><Othr><Id>{account or "ACCT-" + secrets.token_hex(4)}</Id></Othr></Id><Ccy>CNY</Ccy></Acct>
{"".join(entries)}
</Stmt></BkToCstmrStmt></Document>""".encode()


def entry(
    amount: str,
    *,
    remittance: str = "",
    name: str = "",
    account: str = "",
    direction: str = "CRDT",
    reference: str | None = None,
    end_to_end: str | None = None,
    reversal: bool = False,
    status: str = "BOOK",
    booked: str = "2026-03-01",
) -> str:
    return f"""<Ntry><Amt Ccy="CNY">{amount}</Amt><CdtDbtInd>{direction}</CdtDbtInd>
<RvslInd>{"true" if reversal else "false"}</RvslInd><Sts><Cd>{status}</Cd></Sts>
<BookgDt><Dt>{booked}</Dt></BookgDt><ValDt><Dt>{booked}</Dt></ValDt>
<AcctSvcrRef>{reference or secrets.token_hex(8)}</AcctSvcrRef>
<NtryDtls><TxDtls><Refs><EndToEndId>{end_to_end or "NOTPROVIDED"}</EndToEndId></Refs>
<RltdPties><Dbtr><Pty><Nm>{name}</Nm></Pty></Dbtr><DbtrAcct><Id><Othr><Id>{account}</Id></Othr></Id></DbtrAcct></RltdPties>
<RmtInf><Ustrd>{remittance}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>"""


async def upload(client: Any, data: bytes, **params: str) -> Any:
    return await client.post(
        "/statement-imports", content=data, params=params, headers={"Content-Type": "application/octet-stream"}
    )


async def test_statement_import_matches_a_reference_and_queues_the_unsure(
    reconciliation: RunningService,
    reconciliation_books: Books,
    reconciliation_published: PublishedPayments,
    import_done: ImportDone,
) -> None:
    client = reconciliation.client
    customer_id, name = await reconciliation_books.customer()
    invoice = await reconciliation_books.issued(customer_id, "318.00", date(2026, 2, 28))
    data = camt053(
        [
            entry("318.00", remittance=f"货款 {invoice.invoice_number}", name=name),
            entry("99.00", name=name),
            entry("12.00", direction="DBIT", remittance="手续费"),
            entry("50.00", status="PDNG", name=name),
        ]
    )
    response = await upload(client, data)
    assert response.status_code == 202, response.text
    created = response.json()
    assert created["status"] in ("queued", "processing", "succeeded") and created["lines_total"] == 4
    done = await import_done(client, created["id"])
    assert done["status"] == "succeeded" and done["lines_read"] == 4 and done["progress"] == 1.0
    summary = done["summary"]
    assert summary["payments"] == 2 and summary["matched_automatically"] == 1 and summary["queued_for_review"] == 1
    assert summary["debits_ignored"] == 1 and summary["not_booked"] == 1
    lines = (await client.get(f"/statement-imports/{created['id']}/lines")).json()["data"]
    assert [line["outcome"] for line in lines] == ["payment", "payment", "ignored_debit", "not_booked"]
    # Paged like every list: the cursor is the last line's id, and the pages join up in file order.
    first = (await client.get(f"/statement-imports/{created['id']}/lines?limit=3")).json()
    assert first["has_more"] is True and first["next_cursor"] == lines[2]["id"]
    rest = (
        await client.get(f"/statement-imports/{created['id']}/lines?limit=3&starting_after={first['next_cursor']}")
    ).json()
    assert [line["id"] for line in first["data"] + rest["data"]] == [line["id"] for line in lines]
    assert rest["has_more"] is False and rest["next_cursor"] is None
    matched = (await client.get(f"/payments/{lines[0]['payment_id']}")).json()
    assert matched["status"] == "matched" and matched["source"] == "bank_statement"
    assert matched["allocations"][0]["invoice_id"] == str(invoice.invoice_id)
    assert any(invoice.invoice_number in reason for reason in matched["match_reasons"])
    event = await reconciliation_published.payment_received(lines[0]["payment_id"])
    assert event.match_confidence is not None and event.match_confidence >= 0.9
    assert [a.invoice_id for a in event.allocations] == [invoice.invoice_id]
    unsure = (await client.get(f"/payments/{lines[1]['payment_id']}")).json()
    assert unsure["status"] == "unmatched" and unsure["customer_id"] == str(customer_id)
    queue = (await client.get("/review-queue", params={"customer_id": str(customer_id)})).json()["data"]
    assert [p["id"] for p in queue] == [unsure["id"]]
    await collect_events(
        reconciliation.app.state.settings.kafka_bootstrap,
        topic_of(RECONCILIATION),
        lambda e: e.type == "PaymentUnmatched" and e.data["payment_id"] == unsure["id"],
    )


async def test_an_automatic_match_says_why_in_chinese_too(
    reconciliation: RunningService, reconciliation_books: Books, import_done: ImportDone
) -> None:
    client = reconciliation.client
    customer_id, name = await reconciliation_books.customer()
    invoice = await reconciliation_books.issued(customer_id, "426.00", date(2026, 2, 28))
    response = await upload(client, camt053([entry("426.00", remittance=f"货款 {invoice.invoice_number}", name=name)]))
    assert response.status_code == 202, response.text
    done = await import_done(client, response.json()["id"])
    (line,) = (await client.get(f"/statement-imports/{done['id']}/lines")).json()["data"]
    matched = (await client.get(f"/payments/{line['payment_id']}")).json()
    assert matched["status"] == "matched"
    assert f"remittance names {invoice.invoice_number}" in matched["match_reasons"]
    assert f"附言写明 {invoice.invoice_number}" in matched["match_reasons_zh"]
    assert f"付款人 '{name}' 即客户 {name}" in matched["match_reasons_zh"]
    assert len(matched["match_reasons_zh"]) == len(matched["match_reasons"])


async def test_the_same_file_twice_is_one_import(reconciliation: RunningService, import_done: ImportDone) -> None:
    client = reconciliation.client
    data = camt053([entry("10.00", name="路人甲")])
    first = await upload(client, data)
    assert first.status_code == 202
    await import_done(client, first.json()["id"])
    second = await upload(client, data)
    assert second.status_code == 200 and second.json()["id"] == first.json()["id"]


async def test_the_file_of_a_failed_import_uploaded_again_queues_it_again(
    reconciliation: RunningService, import_done: ImportDone
) -> None:
    client = reconciliation.client
    data = camt053([entry("63.00", name="路人癸"), entry("5.00", direction="DBIT", remittance="手续费")])
    first = await import_done(client, (await upload(client, data)).json()["id"])
    import_id = UUID(first["id"])
    # As a worker leaves an import that failed half-way: the first line committed, the second never read.
    async with reconciliation.app.state.db.unit_of_work() as session:
        await session.execute(
            delete(StatementLine).where(StatementLine.import_id == import_id, StatementLine.direction == "debit")
        )
        record = await session.get(StatementImport, import_id)
        assert record is not None
        record.status, record.error, record.lines_read = "failed", "OperationalError: connection lost", 1
    again = await upload(client, data)
    assert again.status_code == 202, again.text
    body = again.json()
    assert body["id"] == first["id"] and body["status"] == "queued" and body["error"] is None
    assert "import_requeued" in [w["code"] for w in body["warnings"]]
    done = await import_done(client, first["id"])
    assert done["status"] == "succeeded", done
    summary = done["summary"]
    assert (summary["payments"], summary["duplicates"], summary["debits_ignored"]) == (0, 1, 1)
    lines = (await client.get(f"/statement-imports/{done['id']}/lines")).json()["data"]
    assert [line["outcome"] for line in lines] == ["payment", "ignored_debit"]
    third = await upload(client, data)
    assert third.status_code == 200 and third.json()["status"] == "succeeded"


async def test_an_overlapping_statement_skips_lines_already_imported(
    reconciliation: RunningService, import_done: ImportDone
) -> None:
    client = reconciliation.client
    same = entry("20.00", name="路人乙", reference=f"REF-{secrets.token_hex(4)}")
    account = f"ACCT-{secrets.token_hex(4)}"
    first = await upload(client, camt053([same], account=account))
    await import_done(client, first.json()["id"])
    again = await upload(client, camt053([same, entry("21.00", name="路人乙")], account=account))
    done = await import_done(client, again.json()["id"])
    assert done["summary"]["duplicates"] == 1 and done["summary"]["payments"] == 1


async def test_a_pending_entry_booked_later_becomes_a_payment(
    reconciliation: RunningService, import_done: ImportDone
) -> None:
    client = reconciliation.client
    account, reference = f"ACCT-{secrets.token_hex(4)}", f"REF-{secrets.token_hex(4)}"
    intraday = camt053([entry("777.00", name="路人庚", reference=reference, status="PDNG")], account=account)
    pending = await import_done(client, (await upload(client, intraday)).json()["id"])
    assert pending["summary"]["not_booked"] == 1 and pending["summary"]["payments"] == 0
    end_of_day = camt053([entry("777.00", name="路人庚", reference=reference)], account=account)
    booked = await import_done(client, (await upload(client, end_of_day)).json()["id"])
    assert booked["status"] == "succeeded", booked
    assert booked["summary"]["payments"] == 1 and booked["summary"]["duplicates"] == 0
    (line,) = (await client.get(f"/statement-imports/{booked['id']}/lines")).json()["data"]
    payment = (await client.get(f"/payments/{line['payment_id']}")).json()
    assert payment["amount"] == "777.00"
    # The same booked entry in another file (the statement sent again) is a duplicate, not a second payment.
    again = await import_done(client, (await upload(client, end_of_day + b"\n")).json()["id"])
    assert again["summary"]["payments"] == 0 and again["summary"]["duplicates"] == 1


async def test_two_identical_transfers_without_reference_both_survive(
    reconciliation: RunningService, import_done: ImportDone
) -> None:
    client = reconciliation.client
    twin = (
        entry("30.00", name="路人丙", remittance="same day same amount")
        .replace("<AcctSvcrRef>", "<AddtlNtryInf>")
        .replace("</AcctSvcrRef>", "</AddtlNtryInf>")
    )
    twin = twin.split("<AddtlNtryInf>")[0] + twin.split("</AddtlNtryInf>")[1]
    data = camt053([twin, twin])
    done = await import_done(client, (await upload(client, data)).json()["id"])
    assert done["summary"]["payments"] == 2 and done["summary"]["duplicates"] == 0


async def test_a_malformed_file_is_rejected_whole_naming_the_element(reconciliation: RunningService) -> None:
    client = reconciliation.client
    data = camt053([entry("40.00", name="路人丁"), entry("4O.00", name="路人丁")])
    response = await upload(client, data)
    assert response.status_code == 422
    problem = response.json()
    assert problem["code"] == "statement_malformed" and "(Amt)" in problem["location"]
    assert "4O.00" in problem["detail"]


async def test_an_entry_in_an_unknown_currency_is_refused_at_upload_naming_the_entry(
    reconciliation: RunningService,
) -> None:
    client = reconciliation.client
    offshore = entry("60.00", name="路人辛").replace('Ccy="CNY"', 'Ccy="CNH"')
    data = camt053([entry("61.00", name="路人辛"), offshore])
    response = await upload(client, data)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["code"] == "statement_malformed" and "'CNH'" in problem["detail"]
    assert problem["location"].endswith("(Ntry)")
    imports = (await client.get("/statement-imports", params={"limit": 100})).json()["data"]
    assert statements.file_hash(data) not in [i["file_sha256"] for i in imports]  # nothing of it was kept


async def test_a_zero_amount_entry_is_ignored_and_the_rest_is_booked(
    reconciliation: RunningService, import_done: ImportDone
) -> None:
    client = reconciliation.client
    data = camt053([entry("0.00", name="路人壬", remittance="余额通知"), entry("62.00", name="路人壬")])
    response = await upload(client, data)
    assert response.status_code == 202, response.text
    done = await import_done(client, response.json()["id"])
    assert done["status"] == "succeeded", done
    assert done["summary"]["payments"] == 1 and done["summary"]["zero_amounts_ignored"] == 1
    lines = (await client.get(f"/statement-imports/{done['id']}/lines")).json()["data"]
    assert [line["outcome"] for line in lines] == ["ignored_zero_amount", "payment"]
    assert lines[0]["payment_id"] is None


async def test_json_is_not_a_statement(reconciliation: RunningService) -> None:
    response = await reconciliation.client.post("/statement-imports", json={"amount": 1})
    assert response.status_code == 415
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_multipart_mt940_upload_reports_integrity_warnings(
    reconciliation: RunningService, import_done: ImportDone
) -> None:
    client = reconciliation.client
    data = (SHARED / "mt940" / "jejik-abnamro.sta").read_bytes() + f"\n:86:{secrets.token_hex(4)}\n".encode()
    response = await client.post(
        "/statement-imports", files={"file": ("abnamro.sta", data, "application/octet-stream")}
    )
    assert response.status_code in (200, 202), response.text
    done = await import_done(client, response.json()["id"])
    assert done["format"] == "mt940" and done["filename"] == "abnamro.sta"
    codes = [w["code"] for w in done["warnings"]]
    # The sample's first statement does not add up: 3236.28 − 2038.00 of debits ≠ 876.84 (as the bank sent it).
    assert "balance_mismatch" in codes
    assert done["summary"]["debits_ignored"] == 10


async def test_a_sequence_gap_and_a_broken_balance_chain_are_warned(
    reconciliation: RunningService, import_done: ImportDone
) -> None:
    client = reconciliation.client
    account = f"ACCT-{secrets.token_hex(4)}"

    def statement(sequence: int, opening: str, closing: str, amount: str) -> bytes:
        data = camt053([entry(amount, name="路人戊")], sequence=sequence, account=account)
        balances = (
            f'<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="CNY">{opening}</Amt>'
            f"<CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-03-01</Dt></Dt></Bal>"
            f'<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="CNY">{closing}</Amt>'
            f"<CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-03-0{sequence}</Dt></Dt></Bal>"
        )
        return data.replace(b"<Ntry>", balances.encode() + b"<Ntry>", 1)

    first = await import_done(client, (await upload(client, statement(1, "100.00", "150.00", "50.00"))).json()["id"])
    assert first["warnings"] == []
    third = await import_done(client, (await upload(client, statement(3, "160.00", "170.00", "11.00"))).json()["id"])
    codes = sorted(w["code"] for w in third["warnings"])
    assert codes == ["balance_mismatch", "opening_not_previous_closing", "sequence_gap"]
    # Each in Chinese beside the English, its figures as fields of their own.
    warned = {w["code"]: w for w in third["warnings"]}
    mismatch = warned["balance_mismatch"]
    assert (mismatch["opening_balance"], mismatch["entries_total"], mismatch["closing_balance"]) == (
        "160.00",
        "11.00",
        "170.00",
    )
    assert mismatch["detail_zh"] == "期初余额 160.00 加本期发生额 11.00 应为 171.00，但对账单的期末余额为 170.00"
    assert warned["opening_not_previous_closing"]["previous_closing_balance"] == "150.00"
    assert (warned["sequence_gap"]["missing_statements"], warned["sequence_gap"]["detail_zh"]) == (
        1,
        "对账单序号 3 紧接在 1 之后，中间缺少 1 份对账单",
    )


async def test_a_saved_csv_profile_maps_a_banks_columns(
    reconciliation: RunningService, reconciliation_books: Books, import_done: ImportDone
) -> None:
    client = reconciliation.client
    customer_id, name = await reconciliation_books.customer()
    invoice = await reconciliation_books.issued(customer_id, "1060.00", date(2026, 2, 28))
    profile = {
        "name": "icbc_export",
        "date_column": "交易时间",
        "credit_column": "收入金额",
        "debit_column": "支出金额",
        "reference_column": "交易流水号",
        "remittance_columns": ["用途", "附言"],
        "payer_name_column": "对方单位",
        "date_format": "%Y年%m月%d日",
        "delimiter": ";",
    }
    saved = await client.put("/csv-profiles/icbc_export", json=profile)
    assert saved.status_code == 200, saved.text
    profiles = (await client.get("/csv-profiles")).json()
    assert profiles["object"] == "list" and profiles["has_more"] is False
    names = [p["name"] for p in profiles["data"]]
    assert {"generic", "cn_bank", "icbc_export"} <= set(names)
    data = (
        "交易时间;交易流水号;收入金额;支出金额;对方单位;用途;附言\n"
        f"2026年03月01日;ICBC{secrets.token_hex(4)};1060.00;;{name};服务费;{invoice.invoice_number}\n"
        f"2026年03月01日;ICBC{secrets.token_hex(4)};;25.00;银行;手续费;\n"
    ).encode("gbk")
    response = await upload(client, data, format="csv", profile="icbc_export")
    assert response.status_code == 202, response.text
    done = await import_done(client, response.json()["id"])
    assert done["format"] == "csv:icbc_export"
    assert done["summary"]["matched_automatically"] == 1 and done["summary"]["debits_ignored"] == 1
    unknown = await upload(client, data + b"\n", format="csv", profile="nobody")
    assert unknown.status_code == 422 and unknown.json()["code"] == "csv_profile_unknown"


async def test_a_reversal_in_the_same_file_reverses_the_payment_booked_just_before(
    reconciliation: RunningService, reconciliation_books: Books, import_done: ImportDone
) -> None:
    client = reconciliation.client
    customer_id, name = await reconciliation_books.customer()
    invoice = await reconciliation_books.issued(customer_id, "420.00", date(2026, 2, 28))
    bank_reference = f"REF-{secrets.token_hex(4)}"
    data = camt053(
        [
            entry("420.00", remittance=f"货款 {invoice.invoice_number}", name=name, reference=bank_reference),
            entry("99.00", name="路人己"),
            entry("420.00", direction="DBIT", reversal=True, reference=bank_reference, name=name),
        ]
    )
    done = await import_done(client, (await upload(client, data)).json()["id"])
    summary = done["summary"]
    assert (summary["payments"], summary["matched_automatically"], summary["reversals"]) == (2, 1, 1)
    lines = (await client.get(f"/statement-imports/{done['id']}/lines")).json()["data"]
    assert [line["outcome"] for line in lines] == ["payment", "payment", "reversal"]
    assert lines[2]["payment_id"] == lines[0]["payment_id"]
    reversed_payment = (await client.get(f"/payments/{lines[0]['payment_id']}")).json()
    assert reversed_payment["status"] == "reversed"
    assert (await client.get(f"/payments/{lines[1]['payment_id']}")).json()["status"] == "unmatched"


async def test_a_line_booked_one_day_ahead_imports_as_a_payment_entered_by_hand_would(
    reconciliation: RunningService, reconciliation_books: Books, import_done: ImportDone
) -> None:
    # The clock stands at 2026-03-02 10:00 in Shanghai: the 3rd is as far ahead as money may be dated.
    client = reconciliation.client
    customer_id, name = await reconciliation_books.customer()
    await reconciliation_books.issued(customer_id, "88.00", date(2026, 3, 31))
    data = camt053([entry("88.00", name=name, booked="2026-03-03"), entry("1.00", status="PDNG", booked="2026-03-20")])
    response = await upload(client, data)
    assert response.status_code == 202, response.text
    done = await import_done(client, response.json()["id"])
    lines = (await client.get(f"/statement-imports/{done['id']}/lines")).json()["data"]
    payment = (await client.get(f"/payments/{lines[0]['payment_id']}")).json()
    assert payment["received_on"] == "2026-03-03"
    assert lines[1]["outcome"] == "not_booked"


async def test_a_line_booked_further_ahead_refuses_the_file_as_post_payments_refuses_the_date(
    reconciliation: RunningService,
) -> None:
    client = reconciliation.client
    account = "ACCT-" + secrets.token_hex(4)
    data = camt053([entry("10.00"), entry("20.00", booked="2026-03-04")], account=account)
    response = await client.post(
        "/statement-imports",
        content=data,
        headers={"Content-Type": "application/octet-stream", "Accept-Language": "zh-CN"},
    )
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["code"] == "statement_malformed" and problem["location"].endswith("(Ntry)")
    assert problem["detail"] == (
        "对账单无法导入：记账日期 2026-03-04 是未来日期：收款日期最晚只能比今天（2026-03-02）晚 1 天，"
        "即不晚于 2026-03-03。未导入任何内容。"
    )
    english = (await upload(client, data)).json()
    assert "booking date 2026-03-04 is in the future" in english["detail"]
    assert (await client.get("/statements", params={"account": account})).json()["data"] == []
