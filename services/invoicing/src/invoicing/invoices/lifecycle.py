"""What an issued invoice may become by a person's decision: void, or written off (坏账).

Pure rules on the invoice row, no I/O and no clock: each checks the invoice may
make the move, makes it, and returns the event that says so; the service flushes
the row and puts the event in the outbox. Paid and reopened are the ledger's
moves (`invoicing.ledger.lifecycle`): money decides those, not a person.
"""

from __future__ import annotations

from datetime import date, datetime

from arflow.events.catalog import InvoiceVoided, InvoiceWrittenOff
from arflow.money import Money
from invoicing.invoices.errors import InvoiceHasSettlements, WriteOffBeforeInvoice
from invoicing.ledger.errors import InvoiceNotOpen, invoice_status_zh
from invoicing.models import Invoice


def void(invoice: Invoice, *, at: datetime, reason: str) -> InvoiceVoided:
    """open → void, for an invoice nothing was paid or credited on."""
    if invoice.status == "uncollectible":  # its write-off is in the books: voiding would undo the total twice
        raise InvoiceNotOpen(
            f"Invoice {invoice.number} is written off (uncollectible); only open invoices can be voided. "
            "It stays payable; correct it with a credit note instead.",
            detail_zh=f"账单 {invoice.number} 已核销（坏账），只有未结账单可以作废。"
            "该账单仍须付款；如需更正，请开具贷项通知单。",
        )
    if invoice.status != "open":
        raise InvoiceNotOpen(
            f"Invoice {invoice.number or invoice.id} is {invoice.status}; only open invoices can be voided.",
            detail_zh=f"账单 {invoice.number or invoice.id} 的状态为{invoice_status_zh(invoice.status)}，"
            "只有未结账单可以作废。",
        )
    if invoice.amount_paid > 0 or invoice.amount_credited > 0:
        raise InvoiceHasSettlements(
            "Money was applied or credited to this invoice; correct it with a credit note instead.",
            detail_zh="该账单已有收款核销或贷项通知单冲减，不能作废；如需更正，请开具贷项通知单。",
        )
    invoice.status, invoice.voided_at, invoice.void_reason, invoice.updated_at = "void", at, reason, at
    return InvoiceVoided(
        customer_id=invoice.customer_id,
        invoice_id=invoice.id,
        invoice_number=invoice.number or "",
        total=Money.of(invoice.total, invoice.currency).quantize(),
        reason=reason,
        voided_at=at,
    )


def write_off(invoice: Invoice, *, on: date, at: datetime, reason: str) -> InvoiceWrittenOff:
    """open → uncollectible on a business date: its balance leaves receivables, and it stays payable."""
    if invoice.status != "open":
        raise InvoiceNotOpen(
            f"Invoice {invoice.number or invoice.id} is {invoice.status}; only open invoices can be written off.",
            detail_zh=f"账单 {invoice.number or invoice.id} 的状态为{invoice_status_zh(invoice.status)}，"
            "只有未结账单可以核销为坏账。",
        )
    if on < invoice.invoice_date:
        raise WriteOffBeforeInvoice(
            "An invoice cannot be written off before its invoice date.",
            detail_zh="账单不能在其账单日期之前核销为坏账。",
        )
    invoice.status, invoice.written_off_on, invoice.write_off_reason = "uncollectible", on, reason
    invoice.amount_written_off = invoice.balance
    invoice.updated_at = at
    return InvoiceWrittenOff(
        customer_id=invoice.customer_id,
        invoice_id=invoice.id,
        invoice_number=invoice.number or "",
        amount_written_off=Money.of(invoice.amount_written_off, invoice.currency).quantize(),
        reason=reason,
        written_off_on=on,
    )
