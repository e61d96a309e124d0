"""The limits noun: the recommended and effective credit limit, and manual overrides of it."""
