"""Customers: who is invoiced, their contacts, defaults and credit hold."""
