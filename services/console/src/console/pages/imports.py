"""待核对's statement upload: a bank statement or gateway bill handed to reconciliation, its import watched to the end.

The file goes to reconciliation's POST /statement-imports as the signed-in person (a multipart
upload with an Idempotency-Key: the same file twice is the first import, which reconciliation
answers). The import runs there as a job; the console asks GET /statement-imports/{id} every
second (htmx polling; without htmx the page reloads itself) until it has succeeded or failed,
then shows what became of each line (GET /statement-imports/{id}/lines) and reloads the queue,
where the lines nobody could place now wait.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from console.backend import Problem
from console.i18n import Translator
from console.session import CSRF_FIELD, CSRF_HEADER
from console.web import CsrfRejected, backend_of, is_htmx, language, redirect, render, session_of, signed_in

router = APIRouter()
# Larger statements go to reconciliation's API directly (it takes up to ARFLOW_IMPORT_MAX_BYTES).
UPLOAD_MAX_BYTES = 20 * 1024 * 1024
FORMATS = ("camt", "mt940", "ofx", "csv", "alipay", "wechat")
LINES_SHOWN = 200
# The import's summary in the order a reconciler reads it: what came in, what was placed, what is left.
SUMMARY = (
    "payments",
    "matched_automatically",
    "queued_for_review",
    "reversals",
    "reversals_unlinked",
    "duplicates",
    "debits_ignored",
    "not_booked",
    "zero_amounts_ignored",
    "lines",
    "statements",
)


def _status_page(request: Request, status_code: int = 200, **context: Any) -> Response:
    """The import's status: a fragment for htmx (always 200: htmx swaps no 4xx answer in), else a page."""
    if is_htmx(request):
        return render(request, "_import_status.html", **context)
    return render(request, "import.html", status_code=status_code, **context)


@router.post("/review/imports", include_in_schema=False)
async def upload_statement(request: Request) -> Response:
    signed_in(request)
    t = Translator(language(request))
    form = await request.form(max_files=1, max_fields=5)
    presented = form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER)
    if not session_of(request).csrf_matches(presented if isinstance(presented, str) else None):
        raise CsrfRejected
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return _status_page(request, 422, error=t("no_file"))
    data = await upload.read(UPLOAD_MAX_BYTES + 1)
    if len(data) > UPLOAD_MAX_BYTES:
        return _status_page(request, 413, error=t("file_too_large"))
    chosen = str(form.get("format") or "")
    params = {"format": chosen} if chosen in FORMATS else None
    response = await backend_of(request).call(
        session_of(request),
        "POST",
        "reconciliation",
        "/statement-imports",
        language=language(request),
        params=params,
        files={"file": (upload.filename, data, upload.content_type or "application/octet-stream")},
        idempotent=True,
    )
    if response.status_code not in (200, 202):  # 200: this very file was imported before
        return _status_page(request, 422, error=Problem.of(response).detail)
    record = response.json()
    if is_htmx(request):
        return await _status(request, UUID(record["id"]), again=response.status_code == 200)
    return redirect(request, f"/review/imports/{record['id']}" + ("?again=1" if response.status_code == 200 else ""))


async def _status(request: Request, import_id: UUID, *, again: bool = False) -> Response:
    backend, session, lang = backend_of(request), session_of(request), language(request)
    reading = await backend.read(session, "reconciliation", f"/statement-imports/{import_id}", language=lang)
    if reading.missing:
        raise HTTPException(status_code=404)
    if not reading.ok:
        raise HTTPException(status_code=502)
    record = reading.body
    finished = record["status"] in ("succeeded", "failed")
    lines: list[dict[str, Any]] = []
    more = False
    if record["status"] == "succeeded":
        page = await backend.read(
            session,
            "reconciliation",
            f"/statement-imports/{import_id}/lines",
            language=lang,
            params={"limit": LINES_SHOWN},
        )
        if page.ok:
            lines, more = page.body["data"], bool(page.body.get("has_more"))
    summary = [(key, record["summary"][key]) for key in SUMMARY if key in record.get("summary", {})]
    return _status_page(
        request, import_status=record, summary=summary, finished=finished, lines=lines, more_lines=more, again=again
    )


@router.get("/review/imports/{import_id}", include_in_schema=False)
async def import_status(import_id: UUID, request: Request) -> Response:
    signed_in(request)
    await backend_of(request).fresh(session_of(request))
    return await _status(request, import_id, again=request.query_params.get("again") == "1")
