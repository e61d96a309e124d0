"""Open items: the local projection of invoicing's customers and invoices that payments are allocated to."""
