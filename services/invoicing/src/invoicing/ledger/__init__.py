"""The receivables ledger: payments applied and reversed, unapplied credit, credit notes, balances."""
