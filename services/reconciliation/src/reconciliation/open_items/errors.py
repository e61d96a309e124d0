"""Errors of the customer and open-item projection."""

from __future__ import annotations

from arflow.problems import Unprocessable


class CustomerUnknown(Unprocessable):
    code, title, title_zh = "customer_unknown", "Customer unknown", "客户不存在"
