"""The roles of the collection handbooks and the scopes each starts with (an admin may change them).

Duties are kept apart as internal control asks: the admin manages people and
the firm's settings but books no money and writes nothing off; the auditor
reads everything and changes nothing; only the credit manager overrides a
credit hold. Every signed-in user may also act on their own account
(SELF_SCOPE: sign out, change their password).
"""

from __future__ import annotations

SELF_SCOPE = "people:self"

# Every scope a service checks (a role can grant only these, or a wildcard of them).
KNOWN_SCOPES = frozenset(
    {
        "invoicing:read",
        "invoicing:write",
        "invoicing:admin",
        "invoicing:credit-override",
        "invoicing:approve",
        "reconciliation:read",
        "reconciliation:write",
        "reconciliation:approve",
        "dunning:read",
        "dunning:write",
        "dunning:admin",
        "dunning:approve",
        "credit-scoring:read",
        "credit-scoring:write",
        "credit-scoring:approve",
        "people:read",
        "people:admin",
    }
)
READ_ALL = ["invoicing:read", "reconciliation:read", "dunning:read", "credit-scoring:read"]
# What the finance manager approves (write-offs, voids with payments, legal handovers …; arflow.approvals).
FINANCE_APPROVALS = ["invoicing:approve", "reconciliation:approve", "dunning:approve"]

# name: (中文, English, scopes)
DEFAULT_ROLES: dict[str, tuple[str, str, list[str]]] = {
    "admin": (
        "系统管理员",
        "Administrator",
        [*READ_ALL, "people:read", "people:admin", "invoicing:admin", "dunning:admin"],
    ),
    "ar_clerk": (
        "应收会计",
        "AR clerk",
        [*READ_ALL, "invoicing:write", "reconciliation:write"],
    ),
    "collector": ("催收员", "Collector", [*READ_ALL, "dunning:write"]),
    "credit_manager": (
        "信用经理",
        "Credit manager",
        [*READ_ALL, "credit-scoring:write", "credit-scoring:approve", "invoicing:credit-override"],
    ),
    "finance_manager": (
        "财务经理",
        "Finance manager",
        [
            *READ_ALL,
            *FINANCE_APPROVALS,
            "invoicing:write",
            "reconciliation:write",
            "dunning:write",
            "credit-scoring:write",
            "people:read",
        ],
    ),
    "auditor": ("审计（只读）", "Auditor (read-only)", [*READ_ALL, "people:read"]),
}


def unknown_scopes(scopes: list[str]) -> list[str]:
    """The scopes in `scopes` no service checks (a wildcard `<service>:*` counts for its service's)."""
    services = {scope.split(":", 1)[0] for scope in KNOWN_SCOPES}
    return [s for s in scopes if s not in KNOWN_SCOPES and not (s.endswith(":*") and s.removesuffix(":*") in services)]
