"""Disputes: a client contests an invoice; chasing it pauses until the dispute is resolved."""
