"""Errors of roles."""

from __future__ import annotations

from arflow.problems import NotFound, Unprocessable


class RoleNotFound(NotFound):
    code, title, title_zh = "role_not_found", "Role not found", "角色不存在"


class ScopeUnknown(Unprocessable):
    code, title, title_zh = "scope_unknown", "Scope unknown", "权限范围不存在"
