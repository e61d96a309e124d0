"""Every state-changing API call is served inside an audit context (arflow.audit.context)."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from arflow.audit.context import STATE_CHANGING, AuditContext, begin_request, end_request


class AuditMiddleware:
    """Makes each POST, PUT, PATCH and DELETE the call its entries belong to (the caller is added by auth)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in STATE_CHANGING:
            await self.app(scope, receive, send)
            return
        clock = scope["app"].state.clock
        token = begin_request(AuditContext(method=scope["method"], scope=scope, at=clock.now()))
        try:
            await self.app(scope, receive, send)
        finally:
            end_request(token)
