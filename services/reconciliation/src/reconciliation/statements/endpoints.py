"""REST endpoints of statement imports, statements and CSV profiles (thin)."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from starlette.background import BackgroundTask
from starlette.types import Message

from arflow.idempotency import IDEMPOTENT, idempotent
from arflow.money import to_minor_units
from arflow.pagination import Page, PageParams, make_page
from arflow.service import ClockDep, SessionDep
from reconciliation.deps import Paging, Reader, Writer
from reconciliation.errors import PayloadTooLarge
from reconciliation.models import Statement, StatementImport, StatementLine
from reconciliation.statements import notices, repository, rules, service
from reconciliation.statements.errors import (
    StatementMalformed,
    UnsupportedMediaType,
    UploadMalformed,
    UploadMissingFile,
)
from reconciliation.statements.parsers import BUILT_IN_PROFILES
from reconciliation.statements.schemas import (
    CsvProfileIn,
    CsvProfileOut,
    StatementImportOut,
    StatementLineOut,
    StatementOut,
)

router = APIRouter()


Format = Literal["camt", "mt940", "ofx", "csv", "alipay", "wechat"]


def import_out(record: StatementImport) -> StatementImportOut:
    total = record.lines_total
    return StatementImportOut(
        id=record.id,
        status=record.status,
        format=record.format,
        profile=record.profile,
        filename=record.filename,
        file_sha256=record.file_sha256,
        size_bytes=record.size_bytes,
        lines_total=total,
        lines_read=record.lines_read,
        progress=1.0
        if total == 0 and record.status == "succeeded"
        else round(record.lines_read / total, 4)
        if total
        else 0.0,
        summary=record.summary,
        warnings=[notices.localised(w) for w in record.warnings],
        error=record.error,
        error_zh=notices.failure_zh(record.error),
        created_at=record.created_at,
        finished_at=record.finished_at,
    )


def line_out(line: StatementLine) -> StatementLineOut:
    return StatementLineOut(
        id=line.id,
        position=line.position,
        amount=to_minor_units(line.amount, line.currency),
        currency=line.currency,
        direction=line.direction,
        booking_date=line.booking_date,
        value_date=line.value_date,
        entry_status=line.entry_status,
        reversal=line.reversal,
        bank_reference=line.bank_reference,
        end_to_end_id=line.end_to_end_id,
        remittance=line.remittance,
        counterparty_name=line.counterparty_name,
        counterparty_account=line.counterparty_account,
        outcome=line.outcome,
        payment_id=line.payment_id,
    )


def statement_out(statement: Statement) -> StatementOut:
    return StatementOut(
        id=statement.id,
        import_id=statement.import_id,
        account=statement.account,
        statement_ref=statement.statement_ref,
        sequence=statement.sequence,
        currency=statement.currency,
        opening_balance=statement.opening_balance,
        closing_balance=statement.closing_balance,
        opening_date=statement.opening_date,
        closing_date=statement.closing_date,
        line_count=statement.line_count,
        created_at=statement.created_at,
    )


_UPLOAD_DOC = {
    "requestBody": {
        "content": {
            "multipart/form-data": {
                "schema": {"type": "object", "properties": {"file": {"type": "string", "format": "binary"}}}
            },
            "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
            "text/plain": {"schema": {"type": "string"}},
            "application/xml": {"schema": {"type": "string"}},
        }
    }
}


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"The file is larger than {limit} bytes (ARFLOW_IMPORT_MAX_BYTES); nothing of it was read further.",
        detail_zh=f"文件超过 {limit} 字节（ARFLOW_IMPORT_MAX_BYTES），未再读取，也未导入。",
    )


# What a multipart form adds around its file (boundaries, part headers): allowed on top of the file's limit.
_MULTIPART_OVERHEAD = 64 * 1024


def _capped(request: Request, limit: int) -> Request:
    """The request, whose body stops being read (a 413) as soon as more than `limit` bytes have come."""
    received = 0
    receive = request.receive

    async def capped_receive() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise _too_large(limit)
        return message

    return Request(request.scope, capped_receive)


async def _read_upload(request: Request, limit: int) -> tuple[bytes, str | None]:
    """The uploaded file: the `file` part of a multipart form, else the raw body (streamed, size-capped).

    A body whose Content-Length is over the limit is refused before a byte of it is read; one that
    comes without (chunked) or lies is refused as soon as it grows past the limit.
    """
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/json":
        raise UnsupportedMediaType(
            "Send the statement file itself (multipart/form-data with a 'file' part, or the raw bytes).",
            detail_zh="请直接上传对账单文件本身（multipart/form-data 中的 file 部分，或文件原始字节）。",
        )
    multipart = content_type == "multipart/form-data"
    allowed = limit + _MULTIPART_OVERHEAD if multipart else limit
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > allowed:
        raise _too_large(limit)
    if multipart:
        try:
            form = await _capped(request, allowed).form(max_files=1, max_fields=10)
        except PayloadTooLarge:
            raise
        except Exception:
            raise UploadMalformed(
                "The multipart body cannot be read.", detail_zh="无法读取 multipart 请求体。"
            ) from None
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise UploadMissingFile("The form has no 'file' part.", detail_zh="表单中没有 file 部分。")
        if (upload.size or 0) > limit:
            raise _too_large(limit)
        data = await upload.read()
        if len(data) > limit:
            raise _too_large(limit)
        return data, upload.filename
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks), None


@router.post(
    "/statement-imports",
    dependencies=[IDEMPOTENT],
    status_code=202,
    response_model=StatementImportOut,
    tags=["statements"],
    summary="Upload a bank statement or gateway bill; it is imported as a job",
    openapi_extra=_UPLOAD_DOC,
)
async def create_statement_import(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    principal: Writer,
    format: Annotated[Format | None, Query(description="Sniffed from the content when omitted.")] = None,
    profile: Annotated[str | None, Query(max_length=100, description="CSV column-mapping profile.")] = None,
    filename: Annotated[str | None, Query(max_length=300)] = None,
) -> JSONResponse:
    data, uploaded_name = await _read_upload(request, request.app.state.settings.import_max_bytes)
    if not data.strip():
        raise StatementMalformed("The file is empty.", detail_zh="文件是空的。")
    created: list[bool] = []

    async def create() -> StatementImportOut:
        record, fresh = await service.create_import(
            session,
            clock=clock,
            data=data,
            filename=filename or uploaded_name,
            format=format,
            profile=profile,
            actor=principal,
        )
        created.append(fresh)
        return import_out(record)

    fingerprint = {"sha256": rules.file_hash(data), "format": format, "profile": profile}
    response = await idempotent(request, session, principal, fingerprint, create, status_code=202)
    if created and not created[0]:
        response.status_code = 200  # the same file again: the first import, nothing new
    # Runs after the response is sent, so after the upload's transaction has committed.
    response.background = BackgroundTask(request.app.state.import_wakeup.set)
    return response


@router.get("/statement-imports", response_model=Page[StatementImportOut], tags=["statements"])
async def list_statement_imports(
    session: SessionDep,
    _: Reader,
    page: Paging,
    status: Literal["queued", "processing", "succeeded", "failed"] | None = None,
) -> Page[StatementImportOut]:
    return make_page([import_out(r) for r in await repository.list_imports(session, page, status=status)], page)


@router.get("/statement-imports/{import_id}", response_model=StatementImportOut, tags=["statements"])
async def get_statement_import(import_id: UUID, session: SessionDep, _: Reader) -> StatementImportOut:
    return import_out(await service.require_import(session, import_id))


@router.get(
    "/statement-imports/{import_id}/lines",
    response_model=Page[StatementLineOut],
    tags=["statements"],
    summary="The lines of an import, in file order, with what became of each",
)
async def list_statement_lines(
    import_id: UUID,
    session: SessionDep,
    _: Reader,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    starting_after: Annotated[
        UUID | None, Query(description="The id of the last line of the previous page (its `next_cursor`).")
    ] = None,
    after_position: Annotated[
        int, Query(ge=0, description="Deprecated: lines after this position; use `starting_after`.")
    ] = 0,
    outcome: str | None = Query(None, max_length=32),
) -> Page[StatementLineOut]:
    await service.require_import(session, import_id)
    page = PageParams(limit=limit, starting_after=starting_after)
    lines = await repository.list_lines(session, import_id, page, outcome=outcome, after_position=after_position)
    return make_page([line_out(line) for line in lines], page)


@router.get("/statements", response_model=Page[StatementOut], tags=["statements"])
async def list_statements(
    session: SessionDep, _: Reader, page: Paging, account: str | None = Query(None, max_length=100)
) -> Page[StatementOut]:
    return make_page([statement_out(s) for s in await repository.list_statements(session, page, account=account)], page)


@router.get(
    "/csv-profiles",
    response_model=Page[CsvProfileOut],
    tags=["statements"],
    summary="The built-in CSV profiles, then the saved ones (all of them: one page)",
)
async def list_csv_profiles(session: SessionDep, _: Reader) -> Page[CsvProfileOut]:
    built_in = [
        CsvProfileOut(
            **{k: v for k, v in profile.__dict__.items() if k in CsvProfileIn.model_fields and k != "extra"},
            built_in=True,
        )
        for profile in BUILT_IN_PROFILES.values()
    ]
    saved = [
        CsvProfileOut.model_validate({**p.definition, "built_in": False})
        for p in await repository.list_csv_profiles(session)
    ]
    return Page[CsvProfileOut](data=built_in + saved, has_more=False)


@router.put(
    "/csv-profiles/{name}",
    response_model=CsvProfileOut,
    tags=["statements"],
    summary="Save (or replace) a bank's CSV column mapping; use it with ?profile=<name>",
)
async def save_csv_profile(
    name: str, body: CsvProfileIn, session: SessionDep, clock: ClockDep, principal: Writer
) -> CsvProfileOut:
    await service.save_csv_profile(session, clock=clock, name=name, data=body, actor=principal)
    return CsvProfileOut(**body.model_dump(), built_in=False)
