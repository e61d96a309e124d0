"""Typed errors of the action log's documents."""

from __future__ import annotations

from typing import Any

from arflow.problems import PROBLEM_JSON, NotFound


class DocumentNotFound(NotFound):
    code, title, title_zh = "document_not_found", "Document not found", "文件不存在"


# The OpenAPI answer of every operation that renders a document for the customer or for legal.
CREDITOR_NOT_CONFIGURED: dict[int | str, dict[str, Any]] = {
    409: {
        "description": "`creditor_not_configured`: the creditor's name, USCC, address, phone or payee account is "
        "not set (the problem's `missing` names the settings), so no document is made with a wrong payee",
        "content": {PROBLEM_JSON: {}},
    }
}
