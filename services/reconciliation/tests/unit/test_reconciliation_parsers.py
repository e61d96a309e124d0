"""Statement parsers on real files (camt, MT940 from public parsers' suites) and on our own samples."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from reconciliation.statements.parsers import (
    BUILT_IN_PROFILES,
    StatementFormatError,
    detect_format,
    parse_statement,
)

SHARED = Path(__file__).resolve().parents[5] / "shared" / "samples" / "statements"
OWN = Path(__file__).resolve().parents[1] / "samples"


def _read(path: Path) -> bytes:
    return path.read_bytes()


# --- camt -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["camt053.v2.minimal.xml", "camt053.v4.xml", "camt053.v8.xml"])
def test_camt053_versions_read_the_same_entry(name: str) -> None:
    parsed = parse_statement(_read(SHARED / "camt" / name))
    assert parsed.format == "camt.053"
    (statement,) = parsed.statements
    assert statement.statement_id == "253EURNL26VAYB8060476890"
    assert statement.account == "NL26VAYB8060476890"
    assert statement.sequence == "12312"
    opening = statement.balance("opening")
    assert opening is not None and opening.amount == Decimal("18.15") and opening.on == date(2014, 12, 30)
    (line,) = statement.lines
    assert (line.amount, line.currency, line.direction) == (Decimal("8.85"), "EUR", "credit")
    assert line.booking_date == date(2014, 12, 31) and line.value_date == date(2015, 1, 2)
    assert line.status == "booked" and not line.reversal
    assert line.counterparty_name == "NAME NAME"
    assert line.counterparty_account == "NL56AGDH9619008421"
    assert line.remittance == "4654654654654654"


def test_camt053_v8_reads_the_account_servicer_reference_and_end_to_end_id() -> None:
    (line,) = parse_statement(_read(SHARED / "camt" / "camt053.v8.xml")).lines
    assert line.bank_reference == "AAAASESS-FP-CN_98765/01"
    assert line.end_to_end_id == "MUELL/FINP/RA12345"


def test_camt053_closing_balance_is_signed_by_its_indicator() -> None:
    (statement,) = parse_statement(_read(SHARED / "camt" / "camt053.v2.minimal.xml")).statements
    closing = statement.balance("closing")
    assert closing is not None and closing.amount == Decimal("-27.00") and closing.currency == "SEK"


def test_camt053_multi_statement_file_gives_each_statement_its_lines() -> None:
    first, second = parse_statement(_read(SHARED / "camt" / "camt053.v2.multi.statement.xml")).statements
    assert [first.statement_id, second.statement_id] == ["253EURNL26VAYB8060476890", "254EURNL26VAYB8060476890"]
    assert [(line.amount, line.direction, line.end_to_end_id, line.remittance) for line in first.lines] == [
        (Decimal("8.85"), "credit", "000000001", "Transaction Description 1")
    ]
    assert [(line.amount, line.direction, line.counterparty_name) for line in second.lines] == [
        (Decimal("7.00"), "debit", "Company Name 2")
    ]
    opening, closing = second.balance("opening"), second.balance("closing")
    assert opening is not None and opening.amount == Decimal("27.00")
    assert closing is not None and closing.amount == Decimal("20.00")


def test_camt054_entry_with_several_details_without_amounts_stays_one_line() -> None:
    parsed = parse_statement(_read(SHARED / "camt" / "camt054.v2.xml"))
    assert parsed.format == "camt.054"
    (line,) = parsed.lines
    assert (line.amount, line.currency, line.direction) == (Decimal("200000"), "SEK", "debit")
    assert line.bank_reference == "AAAASESS-FP-ACCR001"
    assert "Unstructured Remittance Information V3 block 2" in (line.remittance or "")
    assert "ISR ref number V1" in (line.remittance or "")


def test_camt054_v8_status_code_and_uetr() -> None:
    (line,) = parse_statement(_read(SHARED / "camt" / "camt054.v8-with-UETR.xml")).lines
    assert line.status == "booked"
    assert line.end_to_end_id == "255ae394-9965-4438-ac86-f406feada396"


_BATCH = """<?xml version="1.0"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.06"><BkToCstmrStmt><Stmt><Id>S1</Id>
<Acct><Id><IBAN>CN00TEST</IBAN></Id></Acct>
<Ntry><Amt Ccy="CNY">300.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
<BookgDt><Dt>2026-03-01</Dt></BookgDt><AcctSvcrRef>BATCH-1</AcctSvcrRef>
<NtryDtls><Btch><NbOfTxs>2</NbOfTxs></Btch>
<TxDtls><Amt Ccy="CNY">100.00</Amt>
<RltdPties><Dbtr><Pty><Nm>甲公司</Nm></Pty></Dbtr></RltdPties><RmtInf><Ustrd>INV-1</Ustrd></RmtInf></TxDtls>
<TxDtls><Amt Ccy="CNY">200.00</Amt>
<RltdPties><Dbtr><Pty><Nm>乙公司</Nm></Pty></Dbtr></RltdPties><RmtInf><Ustrd>INV-2</Ustrd></RmtInf></TxDtls>
</NtryDtls></Ntry>
<Ntry><Amt Ccy="CNY">50.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><RvslInd>true</RvslInd><Sts><Cd>BOOK</Cd></Sts></Ntry>
<Ntry><Amt Ccy="CNY">70.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>PDNG</Cd></Sts></Ntry>
</Stmt></BkToCstmrStmt></Document>""".encode()


def test_camt_batch_with_amounts_splits_into_one_line_per_transaction() -> None:
    lines = parse_statement(_BATCH).lines
    assert [(line.amount, line.counterparty_name, line.remittance, line.bank_reference) for line in lines[:2]] == [
        (Decimal("100.00"), "甲公司", "INV-1", "BATCH-1/1"),
        (Decimal("200.00"), "乙公司", "INV-2", "BATCH-1/2"),
    ]


def test_camt_reversal_and_pending_entries_are_not_incoming_money() -> None:
    lines = parse_statement(_BATCH).lines
    assert lines[2].reversal and lines[2].direction == "debit" and not lines[2].incoming
    assert lines[3].status == "pending" and not lines[3].incoming
    assert lines[0].incoming


def test_malformed_camt_names_the_element_at_fault() -> None:
    broken = _BATCH.replace(b">200.00<", b">2OO.00<")
    with pytest.raises(StatementFormatError) as raised:
        parse_statement(broken)
    line_number = broken[: broken.index(b"2OO.00")].count(b"\n") + 1
    assert raised.value.location == f"line {line_number} (Amt)"


def test_camt_entry_in_a_currency_money_cannot_be_booked_in_names_the_entry() -> None:
    offshore = _BATCH.replace(b'<Amt Ccy="CNY">50.00<', b'<Amt Ccy="CNH">50.00<')
    with pytest.raises(StatementFormatError) as raised:
        parse_statement(offshore)
    assert "'CNH' is not an ISO 4217 currency code" in raised.value.detail
    line_number = offshore[: offshore.index(b"CNH")].count(b"\n") + 1
    assert raised.value.location == f"line {line_number} (Ntry)"


def test_broken_xml_names_the_line() -> None:
    with pytest.raises(StatementFormatError) as raised:
        parse_statement(b'<?xml version="1.0"?>\n<Document>\n<BkToCstmrStmt>\n</Document>')
    assert raised.value.location == "line 4"


# --- MT940 ----------------------------------------------------------------------------


def test_mt940_abnamro_two_statements_with_intermediate_balances() -> None:
    first, second = parse_statement(_read(SHARED / "mt940" / "jejik-abnamro.sta")).statements
    assert first.account == "517852257" and first.sequence == "19321/1"
    opening, closing = first.balance("opening"), first.balance("closing")
    assert opening is not None and opening.amount == Decimal("3236.28")
    assert closing is not None and closing.amount == Decimal("876.84")
    assert len(first.lines) == 8
    assert first.lines[0].amount == Decimal("9") and first.lines[0].direction == "debit"
    assert "BETREFT FACTUUR D.D. 20-05-2011" in (first.lines[0].remittance or "")
    assert second.sequence == "19322/1"
    opening, closing = second.balance("intermediate_opening"), second.balance("intermediate_closing")
    assert opening is not None and opening.amount == Decimal("2876.84")
    assert closing is not None and closing.amount == Decimal("1849.75")
    assert [line.amount for line in second.lines] == [Decimal("9.49"), Decimal("15")]


def test_mt940_amount_formats() -> None:
    (statement,) = parse_statement(_read(SHARED / "mt940" / "betterplace-amount_formats.sta")).statements
    assert [b.amount for b in statement.balances] == [
        Decimal("380115.12"),
        Decimal("380115.1"),
        Decimal("380115"),
        Decimal("0.12"),
        Decimal("0.12"),
        Decimal("1.12"),
    ]


def test_mt940_structured_86_gives_purpose_name_and_reference() -> None:
    debit, credit = parse_statement(_read(SHARED / "mt940" / "self-provided-multiline.sta")).lines
    assert debit.amount == Decimal("5") and debit.bank_reference == "MUL0408041114005"
    assert (debit.remittance or "").startswith("REFERENCE DO 111 LIGNE111111111111111111111X12345678")
    assert credit.amount == Decimal("119") and credit.direction == "credit"
    assert credit.booking_date == date(2022, 12, 20) and credit.value_date == date(2022, 12, 19)


def test_mt940_sepa_reversal_of_a_credit_is_money_out() -> None:
    statements = parse_statement(_read(SHARED / "mt940" / "betterplace-sepa_mt9401.sta")).statements
    reversals = [line for s in statements for line in s.lines if line.reversal]
    assert reversals and all(line.direction == "debit" and not line.incoming for line in reversals)
    assert reversals[0].amount == Decimal("204.88")
    # with reversals as debits, every statement of the file balances
    for statement in statements:
        opening = statement.balance("opening") or statement.balance("intermediate_opening")
        closing = statement.balance("closing") or statement.balance("intermediate_closing")
        assert opening is not None and closing is not None
        assert opening.amount + sum(line.signed_amount for line in statement.lines) == closing.amount


def test_mt940_ing_names_and_counts() -> None:
    (statement,) = parse_statement(_read(SHARED / "mt940" / "jejik-ing.sta")).statements
    assert statement.account == "0001234567"
    assert [line.amount for line in statement.lines if line.direction == "credit"] == [Decimal("3.68"), Decimal("1.00")]
    assert "Hr S Marechal" in (statement.lines[-1].remittance or "")


def test_mt940_rabobank_iban_two_statements_chain() -> None:
    first, second = parse_statement(_read(SHARED / "mt940" / "jejik-rabobank-iban.sta")).statements
    assert first.account == "NL71RABO0123456789"
    closing, opening = first.balance("closing"), second.balance("opening")
    assert closing is not None and opening is not None
    assert closing.amount == opening.amount == Decimal("965.00")


def test_malformed_mt940_statement_line_names_the_line() -> None:
    data = _read(SHARED / "mt940" / "jejik-rabobank-iban.sta").replace(b":61:130102D0000", b":61:13XX02D0000")
    with pytest.raises(StatementFormatError) as raised:
        parse_statement(data, format="mt940")
    assert raised.value.location == "line 10"


def test_mt940_in_a_currency_money_cannot_be_booked_in_names_the_first_line() -> None:
    data = _read(SHARED / "mt940" / "jejik-rabobank-iban.sta").replace(b"EUR", b"CNH")
    with pytest.raises(StatementFormatError) as raised:
        parse_statement(data, format="mt940")
    assert "'CNH'" in raised.value.detail and raised.value.location == "line 6"


# --- OFX, CSV, Alipay, WeChat ---------------------------------------------------------------


def test_ofx_lines_carry_fitid_and_memo() -> None:
    parsed = parse_statement(_read(OWN / "bank.ofx"))
    assert parsed.format == "ofx"
    assert [(line.amount, line.direction, line.bank_reference, line.remittance) for line in parsed.lines] == [
        (Decimal("1060.00"), "credit", "FIT-2026-0001", "INV-2026-000123"),
        (Decimal("25.50"), "debit", "FIT-2026-0002", "Monthly service charge"),
        (Decimal("300.00"), "credit", "FIT-2026-0003", "RF18INV2026000777"),
    ]
    closing = parsed.statements[0].balance("closing")
    assert closing is not None and closing.amount == Decimal("5334.50")


def test_csv_generic_profile() -> None:
    data = (
        "date,amount,currency,reference,remittance,payer_name,payer_account\n"
        "2026-03-01,318.00,CNY,B1,INV-2026-000001,杭州云帆科技有限公司,6222020200001234567\n"
        "2026-03-01,-5.00,CNY,B2,手续费,,\n"
    ).encode()
    credit, debit = parse_statement(data, format="csv").lines
    assert (credit.amount, credit.direction, credit.counterparty_name) == (
        Decimal("318.00"),
        "credit",
        "杭州云帆科技有限公司",
    )
    assert (debit.amount, debit.direction) == (Decimal("5.00"), "debit")


def test_csv_chinese_bank_profile_in_gbk_with_separate_credit_and_debit_columns() -> None:
    data = (
        "交易日期,流水号,借方发生额,贷方发生额,币种,对方户名,对方账号,摘要\n"
        '2026/03/02,20260302001,,"1,060.00",人民币,上海星河代理记账有限公司,31001234567,货款 INV-2026-000002\n'
    ).encode("gbk")
    (line,) = parse_statement(data, format="csv", profile=BUILT_IN_PROFILES["cn_bank"]).lines
    assert (line.amount, line.currency, line.booking_date) == (Decimal("1060.00"), "CNY", date(2026, 3, 2))
    assert line.counterparty_name == "上海星河代理记账有限公司" and line.bank_reference == "20260302001"


def test_csv_row_with_a_bad_amount_names_its_line() -> None:
    data = b"date,amount,currency\n2026-03-01,12.00,CNY\n2026-03-01,abc,CNY\n"
    with pytest.raises(StatementFormatError) as raised:
        parse_statement(data, format="csv")
    assert raised.value.location == "line 3"


def test_alipay_fund_flow_gbk_comments_tabs_brackets_and_totals() -> None:
    data = _read(OWN / "alipay-fund-flow.csv")
    assert detect_format(data) == "alipay"
    parsed = parse_statement(data)
    assert parsed.statements[0].account == "20880123456789010156"
    lines = parsed.lines
    assert [(line.amount, line.direction, line.reversal) for line in lines] == [
        (Decimal("318.00"), "credit", False),
        (Decimal("1.91"), "debit", False),
        (Decimal("1060.00"), "credit", False),
        (Decimal("18.00"), "debit", True),
    ]
    assert lines[0].bank_reference == "20260301200040011100580012345678"
    assert lines[0].end_to_end_id == "INV-2026-000101"
    assert lines[0].counterparty_account == "hzyunfan@example.cn"


def test_alipay_trade_detail_with_ascii_brackets_and_a_refund() -> None:
    sale, refund = parse_statement(_read(OWN / "alipay-trade-detail.csv")).lines
    assert (sale.amount, sale.direction, sale.bank_reference) == (
        Decimal("318.00"),
        "credit",
        "2026030122001456780501234567",
    )
    assert refund.reversal and refund.amount == Decimal("18.00")
    assert refund.bank_reference is not None and refund.bank_reference.endswith("REFUND20260301001")


def test_wechat_tradebill_backticks_refunds_and_totals() -> None:
    data = _read(OWN / "wechat-tradebill.csv")
    assert detect_format(data) == "wechat"
    parsed = parse_statement(data)
    assert parsed.statements[0].account == "1900000109"
    assert [(line.amount, line.direction, line.reversal, line.end_to_end_id) for line in parsed.lines] == [
        (Decimal("530.00"), "credit", False, "INV-2026-000201"),
        (Decimal("1060.00"), "credit", False, "INV-2026-000202"),
        (Decimal("30.00"), "debit", True, "INV-2026-000201"),
    ]
    assert parsed.lines[0].bank_reference == "4200001234202603011234567890"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (SHARED / "camt" / "camt053.v4.xml", "camt"),
        (SHARED / "mt940" / "jejik-ing.sta", "mt940"),
        (OWN / "bank.ofx", "ofx"),
        (OWN / "alipay-trade-detail.csv", "alipay"),
    ],
)
def test_format_is_sniffed_from_content(name: Path, expected: str) -> None:
    assert detect_format(name.read_bytes()) == expected


def test_empty_file_is_rejected() -> None:
    with pytest.raises(StatementFormatError):
        parse_statement(b"  \n")
