"""What money does to an issued invoice: paid once nothing is owed, open again when a payment is reversed.

Pure rules on the invoice row, no I/O and no clock; the service flushes the row
and puts the event a move returns in the outbox.
"""

from __future__ import annotations

from datetime import date

from arflow.events.catalog import InvoicePaid
from arflow.money import Money
from invoicing.models import Invoice


def mark_paid(invoice: Invoice, *, paid_on: date) -> InvoicePaid:
    """open or uncollectible → paid on the business date the last money arrived."""
    invoice.status = "paid"
    invoice.paid_on = paid_on
    return InvoicePaid(
        customer_id=invoice.customer_id,
        invoice_id=invoice.id,
        invoice_number=invoice.number or "",
        total=Money.of(invoice.total, invoice.currency).quantize(),
        invoice_date=invoice.invoice_date,
        due_date=invoice.due_date,
        paid_on=paid_on,
        days_beyond_terms=max(0, (paid_on - invoice.due_date).days),
    )


def reopen_if_owed(invoice: Invoice) -> bool:
    """paid → open (or back to uncollectible, if it was written off) once a reversal leaves money owed."""
    if invoice.status != "paid" or invoice.balance <= 0:
        return False
    invoice.status = "uncollectible" if invoice.written_off_on is not None else "open"
    invoice.paid_on = None
    return True
