"""The user noun: people who work in arflow, their roles, passwords and lock-out."""
