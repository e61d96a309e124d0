"""Payments: money received, its allocations to open items, the events that tell invoicing, and reversals."""
