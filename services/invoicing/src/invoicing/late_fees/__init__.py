"""Late interest and fixed fees charged as late-fee invoices, on request or monthly."""
