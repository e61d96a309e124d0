"""Errors of the credit files: an unknown customer, an as-of date no file can be built for."""

from arflow.problems import NotFound, Unprocessable


class CustomerUnknown(NotFound):
    code, title = "customer_unknown", "Customer unknown"


class AsOfTooEarly(Unprocessable):
    code, title = "as_of_too_early", "As-of date too early"


class AsOfInFuture(Unprocessable):
    code, title = "as_of_in_future", "As-of date in the future"
