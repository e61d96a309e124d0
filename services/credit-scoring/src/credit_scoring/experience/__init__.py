"""The experience noun: the facts other services publish, projected per customer and invoice."""
