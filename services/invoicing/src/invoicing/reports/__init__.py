"""Statements of account, aging and KPIs, and late interest: everything read from the ledger's dated entries."""
