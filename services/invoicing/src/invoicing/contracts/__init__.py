"""Service contracts and recurring billing: each period invoiced exactly once."""
