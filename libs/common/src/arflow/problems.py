"""RFC 9457 problem details: every error a client sees, with a stable `code`.

Business rules raise a `Problem` subclass; one set of handlers renders it and
every framework error (validation, unknown route, wrong method) the same way.
Anything else is a bug: it is logged with its trace and answered as a 500
problem that says so without leaking internals.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

from arflow.db import is_connection_failure
from arflow.i18n import Language, preferred_language, validation_message

PROBLEM_JSON = "application/problem+json"
log = structlog.get_logger("arflow.problems")


class Problem(Exception):
    """A client-facing error: status, stable code, human title and detail, in English and, where given, Chinese."""

    status = 400
    code = "bad_request"
    title = "Bad request"
    title_zh: str | None = None

    def __init__(
        self,
        detail: str,
        *,
        code: str | None = None,
        status: int | None = None,
        title: str | None = None,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        detail_zh: str | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.detail_zh = detail_zh
        self.code = code or self.code
        self.status = status or self.status
        self.title = title or self.title
        self.errors = errors
        self.headers = headers
        self.extensions = extensions

    def body(self, instance: str | None = None, language: Language = "en") -> dict[str, Any]:
        chinese = language == "zh-CN"
        body: dict[str, Any] = {
            "type": f"urn:arflow:problem:{self.code}",
            "title": (self.title_zh if chinese else None) or self.title,
            "status": self.status,
            "detail": (self.detail_zh if chinese else None) or self.detail,
            "code": self.code,
        }
        if instance:
            body["instance"] = instance
        if self.errors:
            body["errors"] = self.errors
        body.update(self.extensions)
        return body


class FieldError(BaseModel):
    location: str = Field(description="Where: `body.lines.0.unit_price`, `query.limit`, `path`.")
    message: str = Field(description="What is wrong, in the caller's language.")
    type: str | None = Field(default=None, description="The kind of error (`missing`, `string_too_long`, …).")


class ProblemDetails(BaseModel):
    """RFC 9457 problem details, as every error of every arflow service is answered."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"additionalProperties": True})

    type: str = Field(description="`urn:arflow:problem:<code>`.", examples=["urn:arflow:problem:invoice_not_open"])
    title: str = Field(examples=["Invoice is not open"])
    status: int = Field(examples=[409])
    detail: str = Field(description="What went wrong and what to do, for a person.")
    code: str = Field(description="The stable code to program against (see the README's Errors).")
    instance: str | None = Field(default=None, description="The path of the request.")
    errors: list[FieldError] | None = Field(default=None, description="With `validation_failed`: each field at fault.")


# What any operation may answer, whatever it does: documented on every operation of every service.
COMMON_RESPONSES: dict[int, str] = {
    400: "The body is not valid JSON (`bad_request`).",
    401: "No API key, or one that is not valid (`missing_api_key`, `invalid_api_key`).",
    403: "The key lacks the scope this operation needs (`missing_scope`).",
    404: "Nothing has the id or code given in the path (each noun's `…_not_found`).",
    409: "The resource's state does not allow this change now (the code names the state).",
    413: "The body is over the size limit (`payload_too_large`).",
    415: "The body is of a type the operation does not read (`unsupported_media_type`): send application/json.",
    422: "The request does not validate (`validation_failed`) or breaks a business rule.",
    500: "A bug (`internal_error`), logged with the request's trace id.",
}


def document_problems(openapi: dict[str, Any]) -> dict[str, Any]:
    """Add the problem schema and the common error answers to an OpenAPI document (every operation)."""
    schemas = openapi.setdefault("components", {}).setdefault("schemas", {})
    for name, schema in (
        ProblemDetails.model_json_schema(ref_template="#/components/schemas/{model}").pop("$defs", {}).items()
    ):
        schemas.setdefault(name, schema)
    schemas["ProblemDetails"] = ProblemDetails.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas["ProblemDetails"].pop("$defs", None)
    content = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}}
    for path_item in openapi.get("paths", {}).values():
        for method, operation in path_item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            for status, description in COMMON_RESPONSES.items():
                if status in (401, 403) and "security" not in operation:
                    continue
                if status in (400, 413, 415) and "requestBody" not in operation:
                    continue
                if status == 404 and not _names_a_resource(operation):
                    continue
                if status == 409 and method == "get":
                    continue
                answer = operation["responses"].setdefault(str(status), {"description": description})
                answer["content"] = content
            for status, answer in operation["responses"].items():
                if status.startswith(("4", "5")) and PROBLEM_JSON in answer.get("content", {}):
                    answer["content"] = content
    # FastAPI's own validation-error schemas describe an answer arflow never gives.
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    return openapi


def _names_a_resource(operation: dict[str, Any]) -> bool:
    return any(parameter.get("in") == "path" for parameter in operation.get("parameters", []))


class NotFound(Problem):
    status, code, title, title_zh = 404, "not_found", "Not found", "未找到"


class Conflict(Problem):
    status, code, title, title_zh = 409, "conflict", "Conflict", "状态冲突"


class Unprocessable(Problem):
    status, code, title, title_zh = 422, "unprocessable", "Request cannot be processed", "请求无法处理"


class Unauthorized(Problem):
    status, code, title, title_zh = 401, "unauthenticated", "Authentication required", "需要身份验证"


class Forbidden(Problem):
    status, code, title, title_zh = 403, "forbidden", "Not allowed", "无权操作"


class ValidationFailed(Unprocessable):
    code = "validation_failed"


class BadRequest(Problem):
    status, code, title, title_zh = 400, "bad_request", "Bad request", "请求有误"


class UnsupportedMediaType(Problem):
    status, code, title, title_zh = 415, "unsupported_media_type", "Unsupported media type", "不支持的内容类型"


# Bodies the routes read: JSON (and its +json kinds), and the forms of the public pages.
_READABLE_BODIES = ("application/json", "multipart/form-data", "application/x-www-form-urlencoded")


def unreadable_body(content_type: str | None, raw_errors: Sequence[Any]) -> Problem | None:
    """The 400 or 415 for a body the framework could not read at all, rather than a 422 about its fields."""
    json_error = next((e for e in raw_errors if e.get("type") == "json_invalid"), None)
    if json_error is not None:
        where = (json_error.get("ctx") or {}).get("error", "")
        return BadRequest(
            f"The body is not valid JSON{f' ({where})' if where else ''}.",
            detail_zh=f"请求体不是有效的 JSON{f'（{where}）' if where else ''}。",
        )
    kind = (content_type or "").split(";")[0].strip().lower()
    on_the_body = raw_errors and all(tuple(e.get("loc", ()))[:1] == ("body",) for e in raw_errors)
    if kind and on_the_body and not (kind in _READABLE_BODIES or kind.endswith("+json")):
        return UnsupportedMediaType(
            f"A body of type '{kind}' cannot be read here: send application/json.",
            detail_zh=f"无法读取类型为“{kind}”的请求体：请以 application/json 发送。",
        )
    return None


class DatabaseUnavailable(Problem):
    status, code, title, title_zh = 503, "database_unavailable", "Database unavailable", "数据库暂不可用"


class InternalError(Problem):
    status, code, title, title_zh = 500, "internal_error", "Internal error", "内部错误"


def problem_response(
    problem: Problem, request: Request | None = None, *, language: Language | None = None
) -> JSONResponse:
    """The problem+json answer, in the request's language (`Accept-Language`) unless one is given."""
    instance = request.url.path if request is not None else None
    if language is None:
        language = preferred_language(request.headers.get("accept-language") if request is not None else None)
    response = JSONResponse(
        problem.body(instance, language), status_code=problem.status, media_type=PROBLEM_JSON, headers=problem.headers
    )
    response.headers["content-language"] = language
    return response


def validation_failed(raw_errors: Sequence[Any], language: Language) -> ValidationFailed:
    """One 422 for a request's validation errors, each with its location and a sentence for a person."""
    errors = []
    for error in raw_errors:
        location = ".".join(str(part) for part in error.get("loc", ()))
        errors.append({"location": location, "message": validation_message(error, language), "type": error.get("type")})
    summary = "; ".join(f"{e['location']}: {e['message']}" for e in errors[:5])
    return ValidationFailed(
        f"The request is not valid: {summary}",
        detail_zh=f"请求无效：{summary}" if language == "zh-CN" else None,
        errors=errors,
    )


_STATUS_CODES = {
    400: ("bad_request", "Bad request", "请求有误"),
    401: ("unauthenticated", "Authentication required", "需要身份验证"),
    403: ("forbidden", "Not allowed", "无权操作"),
    404: ("not_found", "Not found", "未找到"),
    405: ("method_not_allowed", "Method not allowed", "不支持该请求方法"),
    406: ("not_acceptable", "Not acceptable", "无法提供所要求的格式"),
    413: ("payload_too_large", "Payload too large", "请求体过大"),
    415: ("unsupported_media_type", "Unsupported media type", "不支持的内容类型"),
}


def install_problem_handlers(app: FastAPI) -> None:
    """Render every error of `app` as problem+json."""

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return problem_response(exc, request)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        language = preferred_language(request.headers.get("accept-language"))
        unreadable = unreadable_body(request.headers.get("content-type"), exc.errors())
        if unreadable is not None:
            return problem_response(unreadable, request, language=language)
        return problem_response(validation_failed(exc.errors(), language), request, language=language)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code, title, title_zh = _STATUS_CODES.get(exc.status_code, ("http_error", "HTTP error", "HTTP 错误"))
        detail = exc.detail if isinstance(exc.detail, str) else title
        headers = dict(exc.headers) if exc.headers else None
        problem = Problem(detail, code=code, title=title, status=exc.status_code, headers=headers)
        problem.title_zh = title_zh
        if detail.lower() == title.lower():  # the framework's stock phrase ("Not Found"): say it in Chinese too
            problem.detail_zh = title_zh
        return problem_response(problem, request)

    async def _bug(request: Request, exc: Exception) -> JSONResponse:
        log.exception("request.failed", path=request.url.path, method=request.method)
        problem = InternalError(
            "An unexpected error occurred; it has been logged with this request's trace id.",
            detail_zh="发生了意外错误，已连同本请求的 trace id 记录在日志中。",
        )
        return problem_response(problem, request)

    async def _database_failed(request: Request, exc: Exception) -> JSONResponse:
        if not is_connection_failure(exc):
            return await _bug(request, exc)
        # Not a bug: the database (or the way to it) failed, and the request may be sent again.
        log.warning("request.database_unavailable", path=request.url.path, error=repr(exc))
        unavailable = DatabaseUnavailable(
            "The database did not answer. Send the request again in a moment (with the same Idempotency-Key,"
            " if it had one).",
            detail_zh="数据库未响应。请稍后重新发送该请求（如有 Idempotency-Key，请使用相同的值）。",
            headers={"Retry-After": "1"},
        )
        return problem_response(unavailable, request)

    # Handled here rather than by the catch-all: Starlette re-raises what reaches the catch-all to the server.
    app.add_exception_handler(DBAPIError, _database_failed)
    app.add_exception_handler(OSError, _database_failed)
    app.add_exception_handler(Exception, _bug)
