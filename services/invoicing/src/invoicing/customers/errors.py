"""Typed errors of customers."""

from __future__ import annotations

from arflow.problems import Conflict, Unprocessable


class ExternalReferenceTaken(Conflict):
    code, title = "external_reference_taken", "External reference is taken"


class CustomerConflict(Conflict):
    code, title = "customer_conflict", "Customer conflicts with an existing one"


class DunningExclusionReasonMissing(Unprocessable):
    code, title = "dunning_exclusion_reason_missing", "Dunning exclusion needs a reason"


class CustomerHasLedger(Conflict):
    code, title = "customer_has_ledger", "Customer has a ledger"


class UnknownCustomer(Unprocessable):
    """A customer named by a new invoice or contract that does not exist."""

    code, title = "customer_not_found", "Customer not found"


class CustomerArchived(Unprocessable):
    code, title = "customer_archived", "Customer is archived"
