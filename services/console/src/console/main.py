"""create_app(): the console's pages, its static files and its session cookie."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from arflow.clock import Clock, SystemClock
from console.backend import Backend, Problem, SessionEnded
from console.config import ConsoleSettings
from console.i18n import Translator
from console.pages import approvals, auth, casework, customers, imports, plan, reports, review, search, worklist
from console.session import COOKIE, SessionCodec
from console.web import HERE, CsrfRejected, SignInRequired, language, redirect, render, session_of

log = logging.getLogger("console")


def create_app(
    settings: ConsoleSettings | None = None,
    *,
    clock: Clock | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    settings = settings or ConsoleSettings()
    clock = clock or SystemClock()
    codec = SessionCodec(settings.secret())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await app.state.backend.close()

    app = FastAPI(title="arflow console", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.settings, app.state.clock = settings, clock
    app.state.backend = Backend(settings, clock, transport)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    for module in (auth, worklist, casework, approvals, customers, search, reports, imports, review, plan):
        app.include_router(module.router)

    @app.middleware("http")
    async def session_cookie(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        """Opens the cookie before the page, seals it again after when the page changed it."""
        if request.url.path.startswith("/static") or request.url.path in ("/healthz", "/readyz"):
            return await call_next(request)
        session = codec.open(request.cookies.get(COOKIE), now=clock.now())
        request.state.session = session
        response = await call_next(request)
        if session.changed:
            response.set_cookie(
                COOKIE,
                codec.seal(session),
                max_age=settings.console_session_minutes * 60,
                httponly=True,
                samesite="lax",
                secure=settings.console_secure_cookie,
                path="/",
            )
        # Pages show a person's data: never cached, never framed by another site.
        response.headers.setdefault("Cache-Control", "no-store")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

    @app.exception_handler(SignInRequired)
    async def sign_in_first(request: Request, _: Exception) -> Response:
        user = session_of(request).user
        return redirect(request, "/password" if user and user.must_change_password else "/")

    @app.exception_handler(SessionEnded)
    async def session_ended(request: Request, _: Exception) -> Response:
        session_of(request).sign_out()
        return redirect(request, "/")

    @app.exception_handler(CsrfRejected)
    async def csrf_rejected(request: Request, _: Exception) -> Response:
        t = Translator(language(request))
        return render(request, "error.html", status_code=403, title=t("error_title"), message=t("csrf_failed"))

    @app.exception_handler(Problem)
    async def service_unreachable(request: Request, _: Exception) -> Response:
        # A service that did not answer (Backend.call raises this only then): not the console's bug, a 503.
        t = Translator(language(request))
        return render(request, "error.html", status_code=503, title=t("error_title"), message=t("backend_unavailable"))

    @app.exception_handler(RequestValidationError)
    async def bad_address(request: Request, _: Exception) -> Response:
        # A page address with a malformed part (?after=x) is a page that does not exist.
        t = Translator(language(request))
        return render(request, "error.html", status_code=404, title=t("not_found_title"), message=t("not_found"))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, StarletteHTTPException)
        t = Translator(language(request))
        if error.status_code == 404:
            return render(request, "error.html", status_code=404, title=t("not_found_title"), message=t("not_found"))
        return render(request, "error.html", status_code=error.status_code, title=t("error_title"), message=t("error"))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> Response:
        log.exception("console.unexpected_error", exc_info=error)
        t = Translator(language(request))
        return render(request, "error.html", status_code=500, title=t("error_title"), message=t("error"))

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> JSONResponse:
        return JSONResponse({"status": "ok"})

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> JSONResponse:
        # Nothing of its own to wait for: the services it calls have their own probes.
        return JSONResponse({"status": "ready"})

    return app
