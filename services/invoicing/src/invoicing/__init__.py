"""arflow invoicing: customers, invoices and the receivables ledger of record."""
