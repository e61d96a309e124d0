"""Invoices: drafts, issuing (gapless numbers), void, write-off, the PDF, and the due/overdue sweep."""
