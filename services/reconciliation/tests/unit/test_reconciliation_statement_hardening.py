"""Statement files that must be refused whole, or read exactly, at upload (issue 15, files)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from reconciliation.statements.parsers import StatementFormatError, parse_statement


def camt(amount: str, currency: str = "CNY") -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">
<BkToCstmrStmt><GrpHdr><MsgId>M1</MsgId></GrpHdr>
<Stmt><Id>S1</Id><Acct><Id><Othr><Id>A1</Id></Othr></Id></Acct>
<Ntry><Amt Ccy="{currency}">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
<BookgDt><Dt>2026-03-01</Dt></BookgDt></Ntry>
</Stmt></BkToCstmrStmt></Document>""".encode()


def mt940(line_61: str) -> bytes:
    head = ":20:REF1\n:25:NL01BANK0123456789\n:28C:1/1\n:60F:C230101EUR0,00\n"
    return f"{head}{line_61}\n:86:memo\n:62F:C230101EUR0,00\n".encode()


def test_an_mt940_amount_of_16_digits_is_refused_naming_its_line() -> None:
    with pytest.raises(StatementFormatError) as refused:
        parse_statement(mt940(":61:2301010101C1234567890123456,NTRFNONREF"), format="mt940")
    assert refused.value.location == "line 5" and "15" in refused.value.detail


@pytest.mark.parametrize("amount", ["1e30", "1E9999", "1E999999999"])
def test_a_camt_amount_over_what_a_payment_holds_is_refused_naming_the_entry(amount: str) -> None:
    with pytest.raises(StatementFormatError) as refused:
        parse_statement(camt(amount), format="camt")
    assert "(Amt)" in (refused.value.location or "") and "more than a payment holds" in refused.value.detail


def test_a_camt_amount_finer_than_its_currency_is_refused_not_rounded() -> None:
    with pytest.raises(StatementFormatError) as refused:
        parse_statement(camt("10.001"), format="camt")
    assert (refused.value.location or "").endswith("(Ntry)") and "more decimals" in refused.value.detail


def test_a_csv_amount_finer_than_its_currency_is_refused_naming_the_line() -> None:
    data = b"date,amount,currency,reference\n2026-03-01,10.00,CNY,R1\n2026-03-01,10.001,CNY,R2\n"
    with pytest.raises(StatementFormatError) as refused:
        parse_statement(data, format="csv")
    assert refused.value.location == "line 3" and "more decimals" in refused.value.detail


def test_an_mt940_amount_finer_than_its_currency_is_refused() -> None:
    with pytest.raises(StatementFormatError) as refused:
        parse_statement(mt940(":61:2301010101C10,001NTRFNONREF"), format="mt940")
    assert refused.value.location == "line 5" and "more decimals" in refused.value.detail


def test_a_yen_amount_with_cents_is_refused() -> None:
    with pytest.raises(StatementFormatError):
        parse_statement(camt("100.50", "JPY"), format="camt")


def test_an_mt940_statement_number_error_is_words_at_its_line() -> None:
    data = mt940(":61:2301010101C10,00NTRFNONREF").replace(b":28C:1/1", b":28C:ABC")
    with pytest.raises(StatementFormatError) as refused:
        parse_statement(data, format="mt940")
    assert refused.value.location == "line 3"
    assert "statement number" in refused.value.detail and "object at" not in refused.value.detail


def test_an_mt940_amount_with_two_commas_is_words_at_its_line() -> None:
    with pytest.raises(StatementFormatError) as refused:
        parse_statement(mt940(":61:2301010101C1,2,3NTRFNONREF"), format="mt940")
    assert refused.value.location == "line 5"
    assert "not an amount" in refused.value.detail and "decimal." not in refused.value.detail


def test_a_quoted_newline_stays_in_its_csv_field() -> None:
    data = (
        b'date,amount,currency,reference,remittance\n2026-03-01,10.00,CNY,R1,"INV-1\nINV-2"\n2026-03-02,5.00,CNY,R2,x\n'
    )
    parsed = parse_statement(data, format="csv")
    first, second = parsed.lines
    assert first.remittance == "INV-1\nINV-2" and second.source_location == "line 4"


def test_a_sparkasse_statement_line_wrapping_its_amount_is_read() -> None:
    data = mt940(":61:2301010101CR\n1500,00NTRFNONREF//B-1")
    (line,) = parse_statement(data, format="mt940").lines
    assert (line.amount, line.direction, line.source_location) == (Decimal("1500.00"), "credit", "line 5")


def test_a_statement_line_wrapping_inside_its_amount_is_read() -> None:
    (line,) = parse_statement(mt940(":61:2301010101C15\n00,50NTRFNONREF"), format="mt940").lines
    assert line.amount == Decimal("1500.50")


def test_an_external_entity_in_a_camt_is_refused() -> None:
    data = camt("10.00").replace(
        b"<Document", b'<!DOCTYPE Document [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<Document', 1
    )
    data = data.replace(b"<Id>S1</Id>", b"<Id>&x;</Id>")
    with pytest.raises(StatementFormatError) as refused:
        parse_statement(data, format="camt")
    assert "DOCTYPE" in refused.value.detail


def test_a_billion_laughs_camt_is_refused() -> None:
    entities = "".join(f'<!ENTITY l{n} "{f"&l{n - 1};" * 10}">' for n in range(1, 10))
    data = camt("10.00").replace(
        b"<Document", f'<!DOCTYPE Document [<!ENTITY l0 "lol">{entities}]>\n<Document'.encode(), 1
    )
    with pytest.raises(StatementFormatError):
        parse_statement(data.replace(b"<Id>S1</Id>", b"<Id>&l9;</Id>"), format="camt")


@pytest.mark.parametrize(
    "data",
    [
        camt("10.00")[:200],
        camt("10.00").replace(b"camt.053.001.08", b"example.com/evil"),
    ],
    ids=["truncated", "wrong_namespace"],
)
def test_a_broken_camt_is_refused(data: bytes) -> None:
    with pytest.raises(StatementFormatError):
        parse_statement(data, format="camt")


def test_a_utf16_camt_is_read() -> None:
    data = camt("10.00").replace(b'encoding="UTF-8"', b'encoding="UTF-16"').decode().encode("utf-16")
    (line,) = parse_statement(data).lines
    assert line.amount == Decimal("10.00")


def test_a_utf16_csv_is_read() -> None:
    data = "date,amount,currency,reference\n2026-03-01,10.00,CNY,R1\n".encode("utf-16")
    (line,) = parse_statement(data, format="csv").lines
    assert line.amount == Decimal("10.00")


@pytest.mark.parametrize("format", [None, "csv", "mt940", "alipay", "wechat"])
def test_binary_garbage_is_refused(format: str | None) -> None:
    with pytest.raises(StatementFormatError):
        parse_statement(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), format=format)
