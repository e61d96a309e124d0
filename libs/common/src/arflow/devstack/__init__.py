"""Bring the whole platform up on one machine: embedded PostgreSQL, Tansu, four services."""
