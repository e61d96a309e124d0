"""What every page shares: the templates, the person's language, their session and the CSRF check."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from console.backend import Backend
from console.i18n import LANGUAGE_COOKIE, Translator, choose_language
from console.session import CSRF_FIELD, CSRF_HEADER, Session, SignIn

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
HTMX = "htmx-2.0.11.min.js"


class SignInRequired(Exception):
    """The page needs a signed-in person (or one who has set their own password)."""


class CsrfRejected(Exception):
    """A form without this session's CSRF token: not sent by a page of ours."""


def language(request: Request) -> str:
    return choose_language(request.cookies.get(LANGUAGE_COOKIE), request.headers.get("accept-language"))


def session_of(request: Request) -> Session:
    session: Session | None = getattr(request.state, "session", None)
    if session is None:  # an error page drawn before the cookie was opened
        session = request.state.session = Session()
    return session


def backend_of(request: Request) -> Backend:
    backend: Backend = request.app.state.backend
    return backend


def signed_in(request: Request, *, password_set: bool = True) -> SignIn:
    """The signed-in person; one who must change their password first is sent to that page."""
    user = session_of(request).user
    if user is None or (password_set and user.must_change_password):
        raise SignInRequired
    return user


async def form_with_csrf(request: Request) -> dict[str, str]:
    """The posted form, once its CSRF token (field or header) matches the session's."""
    form = await request.form()
    fields = {key: value for key, value in form.items() if isinstance(value, str)}
    presented = fields.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER)
    if not session_of(request).csrf_matches(presented):
        raise CsrfRejected
    return fields


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    lang = language(request)
    session = session_of(request)
    return templates.TemplateResponse(
        request,
        template,
        {
            "t": Translator(lang),
            "lang": lang,
            "csrf": session.csrf,
            "csrf_field": CSRF_FIELD,
            "user": session.user,
            "htmx": HTMX,
            "path": request.url.path,
            **context,
        },
        status_code=status_code,
    )


def redirect(request: Request, to: str) -> Response:
    """303 to `to`; an htmx request is told to load it whole (HX-Redirect)."""
    if is_htmx(request):
        return Response(status_code=204, headers={"HX-Redirect": to})
    return RedirectResponse(to, status_code=303)


def local_path(target: str | None) -> str:
    """Only a path on this site (no scheme, no host, no //): an open redirect otherwise."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target
