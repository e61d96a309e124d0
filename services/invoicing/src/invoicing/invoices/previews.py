"""Render the PNG previews of the invoice and the statement the README shows: `python -m invoicing.invoices.previews`.

The documents are built from in-memory sample data (no database) by the functions the endpoints call,
and each page is rendered by PDFium at scale 1.5 into docs/previews/ (or the directory given):
invoice-zh-CN.png for page 1, invoice-zh-CN-2.png for page 2 and so on.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from arflow.documents.creditor import Creditor
from arflow.testing.pdf import layout_problems, render_png
from invoicing.domain import rf_creditor_reference
from invoicing.invoices.documents import invoice_pdf
from invoicing.invoices.schemas import InvoiceLineOut, InvoiceOut
from invoicing.reports.documents import statement_pdf
from invoicing.reports.schemas import AgingBuckets, StatementCurrency, StatementEntry, StatementOut

SAMPLE_CREDITOR = Creditor(
    legal_name="上海澄账代理记账有限公司",
    uscc="91310101MA1FPX1X30",
    address="上海市黄浦区南京东路 100 号 8 楼",
    phone="021-6321 0000",
    bank_name="招商银行上海分行营业部",
    bank_account_name="上海澄账代理记账有限公司",
    bank_account_number="1219 0880 1510 001",
)
CUSTOMER_NAME = "杭州云帆科技有限公司"
CUSTOMER_USCC = "91330106MA2H1TQX4K"
CUSTOMER_ID = uuid.UUID("5b8c1f0e-4d2a-4c1e-9a7b-3f6d2e1c0a98")
# A made-up link (longer than the real 22-character token, so the QR code is at its densest): it opens nothing.
SAMPLE_HOSTED_URL = "http://127.0.0.1:8001/i/preview-sample-link-not-a-real-token-000000"

LINES = [
    ("代理记账服务费（2026年4月，一般纳税人）", "1", "1200.00", "0.06"),
    ("增值税及附加税费申报", "1", "300.00", "0.06"),
    ("社保、公积金代缴服务（按人计）", "12", "20.00", "0.06"),
    ("发票领用、开具及托管", "1", "150.00", "0.06"),
    ("年度企业所得税汇算清缴申报（预收 1/12）", "1", "83.50", "0.06"),
]


def sample_invoice() -> InvoiceOut:
    """An issued, partly paid invoice of five lines at 6% VAT."""
    lines = []
    for description, quantity, unit_price, tax_rate in LINES:
        net = Decimal(quantity) * Decimal(unit_price)
        tax = (net * Decimal(tax_rate)).quantize(Decimal("0.01"))
        lines.append(
            InvoiceLineOut(
                description=description,
                quantity=Decimal(quantity),
                unit_price=Decimal(unit_price),
                tax_rate=Decimal(tax_rate),
                net_amount=net,
                tax_amount=tax,
                gross_amount=net + tax,
            )
        )
    subtotal = sum((line.net_amount for line in lines), Decimal(0))
    tax_total = sum((line.tax_amount for line in lines), Decimal(0))
    total = subtotal + tax_total
    paid = Decimal("1000.00")
    return InvoiceOut(
        id=uuid.UUID("0b9e6a52-8f5e-4f0c-b2f5-6c3f9f2b7d11"),
        number="INV-2026-000123",
        status="open",
        customer_id=CUSTOMER_ID,
        currency="CNY",
        invoice_date=date(2026, 4, 1),
        due_date=date(2026, 4, 30),
        net_days=29,
        grace_days=0,
        subtotal=subtotal,
        tax_total=tax_total,
        total=total,
        amount_paid=paid,
        amount_credited=Decimal("0.00"),
        balance=total - paid,
        ledger_version=2,
        payment_reference=rf_creditor_reference("INV-2026-000123"),
        memo="四月服务费；如已付款请忽略本账单的应付余额。",
        terms_code=None,
        due_date_basis="invoice_date",
        interest_kind="none",
        interest_rate=Decimal(0),
        interest_cap_ratio=None,
        late_fee=None,
        discount_rate=None,
        discount_days=None,
        kind="standard",
        related_invoice_id=None,
        issued_at=datetime(2026, 4, 1, 1, 0, tzinfo=UTC),
        paid_on=None,
        voided_at=None,
        void_reason=None,
        written_off_on=None,
        amount_written_off=Decimal("0.00"),
        write_off_reason=None,
        late_interest=Decimal("0.00"),
        lines=lines,
        created_at=datetime(2026, 4, 1, 1, 0, tzinfo=UTC),
    )


def sample_statement(language: str) -> StatementOut:
    """April of the customer: three invoices, a payment, a credit note; 1,234.50 left to pay."""
    entries = [
        ("2026-04-01", "invoice", "INV-2026-000101", None, "1000.00", "0"),
        ("2026-04-05", "invoice", "INV-2026-000109", None, "634.50", "0"),
        ("2026-04-15", "payment", "pay", "INV-2026-000101", "0", "600.00"),
        ("2026-04-18", "credit_note", "CN-2026-000012", "INV-2026-000109", "0", "100.00"),
        ("2026-04-20", "invoice", "INV-2026-000123", None, "300.00", "0"),
    ]
    balance = Decimal(0)
    rows = []
    for day, kind, document, invoice_number, debit, credit in entries:
        balance += Decimal(debit) - Decimal(credit)
        rows.append(
            StatementEntry(
                entry_date=date.fromisoformat(day),
                kind=kind,  # type: ignore[arg-type]
                document=document,
                invoice_number=invoice_number,
                debit=Decimal(debit),
                credit=Decimal(credit),
                balance=balance,
            )
        )
    cny = StatementCurrency(
        currency="CNY",
        opening_balance=Decimal("0.00"),
        invoiced=Decimal("1934.50"),
        credited=Decimal("100.00"),
        paid=Decimal("600.00"),
        closing_balance=balance,
        late_interest=Decimal("3.12"),
        aging=AgingBuckets.model_validate(
            {"current": "300.00", "1-30": "934.50", "31-60": "0", "61-90": "0", "90+": "0", "total": "1234.50"}
        ),
        entries=rows,
    )
    return StatementOut(
        customer_id=CUSTOMER_ID,
        legal_name=CUSTOMER_NAME,
        period_start=date(2026, 4, 1),
        period_end=date(2026, 4, 30),
        language=language,  # type: ignore[arg-type]
        currencies=[cny],
    )


def documents() -> dict[str, bytes]:
    """The four previewed documents by file stem."""
    invoice = sample_invoice()
    out = {}
    for language in ("zh-CN", "en"):
        out[f"invoice-{language}"] = invoice_pdf(
            invoice,
            customer_name=CUSTOMER_NAME,
            customer_uscc=CUSTOMER_USCC,
            creditor=SAMPLE_CREDITOR,
            language=language,
            hosted_url=SAMPLE_HOSTED_URL,
        )
        out[f"statement-{language}"] = statement_pdf(
            sample_statement(language), creditor=SAMPLE_CREDITOR, customer_uscc=CUSTOMER_USCC
        )
    return out


def main(directory: Path) -> None:
    """Write stem.png for page 1 of each document and stem-N.png for its later pages."""
    directory.mkdir(parents=True, exist_ok=True)
    for stem, pdf in documents().items():
        problems = layout_problems(pdf)
        if problems:
            raise SystemExit(f"{stem}: {problems}")
        with tempfile.TemporaryDirectory() as scratch:
            for number, path in enumerate(render_png(pdf, Path(scratch), stem, scale=1.5), start=1):
                target = directory / (f"{stem}.png" if number == 1 else f"{stem}-{number}.png")
                shutil.move(path, target)
                print(target)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[5] / "docs" / "previews")
