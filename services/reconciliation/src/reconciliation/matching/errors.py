"""Errors of matching's learned payer mappings."""

from __future__ import annotations

from arflow.problems import NotFound, Unprocessable


class PayerAccountInvalid(Unprocessable):
    code, title, title_zh = "payer_account_invalid", "Payer account invalid", "付款账户无效"


class PayerMappingNotFound(NotFound):
    code, title, title_zh = "payer_mapping_not_found", "Payer mapping not found", "付款方映射不存在"
