"""Errors of the credit files: an unknown customer, an as-of date no file can be built for."""

from arflow.problems import NotFound, Unprocessable


class CustomerUnknown(NotFound):
    code, title, title_zh = "customer_unknown", "Customer unknown", "客户不存在"


class AsOfTooEarly(Unprocessable):
    code, title, title_zh = "as_of_too_early", "As-of date too early", "截止日期过早"


class AsOfInFuture(Unprocessable):
    code, title, title_zh = "as_of_in_future", "As-of date in the future", "截止日期在未来"
