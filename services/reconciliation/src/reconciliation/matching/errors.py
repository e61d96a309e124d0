"""Errors of matching's learned payer mappings."""

from __future__ import annotations

from arflow.problems import NotFound, Unprocessable


class PayerAccountInvalid(Unprocessable):
    code, title = "payer_account_invalid", "Payer account invalid"


class PayerMappingNotFound(NotFound):
    code, title = "payer_mapping_not_found", "Payer mapping not found"
