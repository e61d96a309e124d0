"""The checkout noun: orders arflow makes at a gateway for an invoice's payment attempt, and asks it about."""
