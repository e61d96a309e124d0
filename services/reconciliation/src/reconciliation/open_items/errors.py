"""Errors of the customer and open-item projection."""

from __future__ import annotations

from arflow.problems import Unprocessable


class CustomerUnknown(Unprocessable):
    code, title = "customer_unknown", "Customer unknown"
