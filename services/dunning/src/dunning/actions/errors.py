"""Typed errors of the action log's documents."""

from __future__ import annotations

from arflow.problems import NotFound


class DocumentNotFound(NotFound):
    code, title, title_zh = "document_not_found", "Document not found", "文件不存在"
