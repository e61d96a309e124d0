"""Signing in and out, the first-password change, and the language switch."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from console.backend import Problem, SessionEnded
from console.i18n import LANGUAGE_COOKIE, LANGUAGES, Translator
from console.web import backend_of, form_with_csrf, language, local_path, redirect, render, session_of, signed_in

router = APIRouter()
ONE_YEAR = 365 * 24 * 3600


@router.get("/", include_in_schema=False)
async def start(request: Request) -> Response:
    user = session_of(request).user
    if user is None:
        return render(request, "signin.html")
    return redirect(request, "/password" if user.must_change_password else "/worklist")


@router.post("/sign-in", include_in_schema=False)
async def sign_in(request: Request) -> Response:
    form = await form_with_csrf(request)
    lang = language(request)
    username = form.get("username", "").strip().lower()
    try:
        user = await backend_of(request).sign_in(username, form.get("password", ""), lang)
    except Problem as problem:
        t = Translator(lang)
        message = {
            "invalid_credentials": t("invalid_credentials"),
            "service_unreachable": t("backend_unavailable"),
        }.get(problem.code, problem.detail)
        return render(request, "signin.html", status_code=problem.status, error=message, username=username)
    session_of(request).sign_in(user)
    return redirect(request, "/password" if user.must_change_password else "/worklist")


@router.post("/sign-out", include_in_schema=False)
async def sign_out(request: Request) -> Response:
    await form_with_csrf(request)
    session = session_of(request)
    await backend_of(request).sign_out(session)
    session.sign_out()
    return redirect(request, "/")


@router.get("/password", include_in_schema=False)
async def password_page(request: Request) -> Response:
    signed_in(request, password_set=False)
    return render(request, "password.html")


@router.post("/password", include_in_schema=False)
async def change_password(request: Request) -> Response:
    form = await form_with_csrf(request)
    signed_in(request, password_set=False)
    t = Translator(language(request))
    if form.get("new_password", "") != form.get("confirm_password", ""):
        return render(request, "password.html", status_code=422, error=t("passwords_differ"))
    session, backend = session_of(request), backend_of(request)
    response = await backend.call(
        session,
        "PUT",
        "people",
        "/me/password",
        language=language(request),
        json={"current_password": form.get("current_password", ""), "new_password": form.get("new_password", "")},
    )
    if response.status_code != 204:
        problem = Problem.of(response)
        reasons = response.json().get("reasons") if response.status_code == 422 else None
        return render(request, "password.html", status_code=problem.status, error=problem.detail, reasons=reasons)
    try:
        await backend.refresh(session)  # the new pair carries the roles' scopes
    except SessionEnded:
        return redirect(request, "/")
    return redirect(request, "/worklist")


@router.get("/lang/{code}", include_in_schema=False)
async def switch_language(code: str, request: Request, next: str | None = None) -> Response:
    """A preference, not an action: a plain link sets it (no CSRF needed), for a year."""
    response = RedirectResponse(local_path(next), status_code=303)
    if code in LANGUAGES:
        response.set_cookie(LANGUAGE_COOKIE, code, max_age=ONE_YEAR, httponly=True, samesite="lax", path="/")
    return response
