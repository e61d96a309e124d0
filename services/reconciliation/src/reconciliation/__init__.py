"""arflow reconciliation: payments received and how they are allocated to open items."""
