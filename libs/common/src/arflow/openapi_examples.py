"""An example on every operation of an OpenAPI document, made from its schemas where none is written.

Swagger UI and every generated client show an operation's example first; an API
reviewed by an integrator should have one for each request body and each answer.
Hand-written examples (a model's `json_schema_extra`, an operation's `openapi_examples`)
always win; where there is none this writes one from the schema: the schema's own
`example(s)` or `default`, the first `enum` value, and for bare strings a value in
the language of the business chosen by the field's name (a currency is CNY, a
统一社会信用代码 is a valid one, a date is a business date) or its format. Every
example written validates against its schema: a contract test checks it.
"""

from __future__ import annotations

import re
from typing import Any

HTTP_METHODS = {"get", "put", "post", "delete", "patch"}
PROBLEM_JSON = "application/problem+json"

# What a field of this name looks like in arflow's business, when the schema says no more than "string".
BY_NAME: dict[str, Any] = {
    "currency": "CNY",
    "default_currency": "CNY",
    "legal_name": "杭州云帆科技有限公司",
    "name": "李娜",
    "unified_social_credit_code": "91350100M000100Y43",
    "uscc": "91350100M000100Y43",
    "email": "li.na@example.cn",
    "phone": "+8613812345678",
    "postal_address": "杭州市西湖区文三路100号",
    "time_zone": "Asia/Shanghai",
    "language": "zh-CN",
    "preferred_language": "zh-CN",
    "invoice_number": "INV-2026-000123",
    "number": "INV-2026-000123",
    "payment_reference": "RF18INV2026000123",
    "reference": "RF18INV2026000123",
    "remittance": "INV-2026-000123 服务费",
    "external_reference": "crm-1001",
    "description": "代理记账服务费（2026年4月）",
    "memo": "四月服务费",
    "reason": "客户确认金额有误",
    "note": "已电话联系财务李娜",
    "comment": "已电话联系财务李娜",
    "payer_name": "杭州云帆科技有限公司",
    "payer_account": "6222 0212 3456 7890 123",
    "counterparty_name": "杭州云帆科技有限公司",
    "payment_terms_code": "NET30",
    "terms_code": "NET30",
    "code": "NET30",
    "month": "2026-04",
    "period": "2026-04",
    "tags": "vip",
    "status": "open",
    "kind": "standard",
    "due_date_basis": "invoice_date",
    "interest_kind": "none",
}
AMOUNT_WORDS = {
    "amount",
    "total",
    "subtotal",
    "balance",
    "fee",
    "price",
    "limit",
    "exposure",
    "outstanding",
    "overdue",
    "paid",
    "credited",
    "due",
    "billing",
    "interest",
    "discount",
    "sales",
    "recommended",
    "effective",
}
RATE_WORDS = {"rate", "ratio", "utilisation", "probability"}
INTEGERS_BY_NAME = {"net_days": 30, "grace_days": 3, "limit": 20, "revision": 1, "year": 2026, "level": 1}
# A string matching one of these is offered for a `pattern` the name does not settle.
PATTERN_CANDIDATES = ("1200.00", "0.06", "CNY", "2026-04", "NET30", "INV-2026-000123", "example", "1")
BY_FORMAT: dict[str, Any] = {
    "date": "2026-04-01",
    "date-time": "2026-04-01T02:00:00Z",
    "uuid": "01934f7e-8a2b-7c3d-9e4f-5a6b7c8d9e0f",
    "email": "li.na@example.cn",
    "uri": "https://example.cn/callback",
    "binary": "",
}
MAX_DEPTH = 30


def add_examples(openapi: dict[str, Any]) -> dict[str, Any]:
    """Give every JSON request body and answer of the document an example where it has none."""
    schemas = openapi.get("components", {}).get("schemas", {})
    for path_item in openapi.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in HTTP_METHODS or not isinstance(operation, dict):
                continue
            for content in _json_contents(operation.get("requestBody", {})):
                _fill(content, schemas)
            for status, response in operation.get("responses", {}).items():
                for media, content in list(response.get("content", {}).items()):
                    if media == PROBLEM_JSON and "example" not in content:
                        # The problem content is one object shared by every answer: each gets its own copy.
                        example = problem_example(status, response)
                        response["content"] = {**response["content"], media: {**content, "example": example}}
                    elif _is_json(media):
                        _fill(content, schemas)
    return openapi


def _json_contents(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for media, c in body.get("content", {}).items() if _is_json(media)]


def _is_json(media: str) -> bool:
    return media == "application/json" or media.endswith("+json")


def _fill(content: dict[str, Any], schemas: dict[str, Any]) -> None:
    if "example" in content or "examples" in content or "schema" not in content:
        return
    content["example"] = example_of(content["schema"], schemas)


def problem_example(status: str, response: dict[str, Any]) -> dict[str, Any]:
    """A problem+json answer for the status, with the platform's code for it."""
    code, title = PROBLEM_CODES.get(status, ("bad_request", "Bad request"))
    return {
        "type": f"urn:arflow:problem:{code}",
        "title": title,
        "status": int(status) if status.isdigit() else 400,
        "detail": response.get("description") or title,
        "code": code,
    }


PROBLEM_CODES = {
    "400": ("bad_request", "Bad request"),
    "401": ("unauthenticated", "Authentication required"),
    "403": ("missing_scope", "Missing scope"),
    "404": ("not_found", "Not found"),
    "405": ("method_not_allowed", "Method not allowed"),
    "406": ("not_acceptable", "Not acceptable"),
    "409": ("conflict", "Conflict"),
    "413": ("payload_too_large", "Payload too large"),
    "415": ("unsupported_media_type", "Unsupported media type"),
    "422": ("validation_failed", "Validation failed"),
    "500": ("internal_error", "Internal error"),
    "503": ("not_ready", "Service unavailable"),
}


def example_of(schema: dict[str, Any], schemas: dict[str, Any], name: str | None = None, depth: int = 0) -> Any:
    """An example value of a JSON schema (OpenAPI 3.1), `$ref`s resolved in `schemas`."""
    if depth > MAX_DEPTH:
        return None
    if "$ref" in schema:
        # A schema that contains itself (a tree) ends where it would repeat.
        return example_of(schemas.get(schema["$ref"].rsplit("/", 1)[-1], {}), schemas, name, depth + 1)
    if "example" in schema:
        return schema["example"]
    if schema.get("examples"):
        return schema["examples"][0]
    if "const" in schema:
        return schema["const"]
    if "default" in schema and schema["default"] is not None:
        return schema["default"]
    if schema.get("enum"):
        return schema["enum"][0]
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = [s for s in schema[key] if s.get("type") != "null"] or schema[key]
            # A money or rate field takes a number or a decimal string: show the string, as the API answers.
            options.sort(key=lambda s: (s.get("type") != "string", "pattern" not in s))
            return example_of(options[0], schemas, name, depth + 1)
    if "allOf" in schema:
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            value = example_of(part, schemas, name, depth + 1)
            if isinstance(value, dict):
                merged.update(value)
            else:
                return value
        return merged
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object" or "properties" in schema:
        required = set(schema.get("required", []))
        # An optional field that is null unless given is left out: the example shows what a caller sends.
        return {
            prop: example_of(sub, schemas, prop, depth + 1)
            for prop, sub in schema.get("properties", {}).items()
            if prop in required or sub.get("default") is not None
        }
    if kind == "array":
        item = example_of(schema.get("items", {}), schemas, _singular(name), depth + 1)
        return [item] * max(1, schema.get("minItems", 1))
    if kind == "integer":
        return _number(schema, INTEGERS_BY_NAME.get(name or "", 1))
    if kind == "number":
        return _number(schema, 1.5)
    if kind == "boolean":
        return False
    if kind == "null":
        return None
    return _string(schema, name)


def _singular(name: str | None) -> str | None:
    return name[:-1] if name and name.endswith("s") else name


def _number(schema: dict[str, Any], fallback: float) -> Any:
    low = schema.get("minimum", schema.get("exclusiveMinimum"))
    high = schema.get("maximum", schema.get("exclusiveMaximum"))
    value: float = fallback
    if low is not None and value <= low:
        value = low + 1
    if high is not None and value >= high:
        value = high if "maximum" in schema else high - 1
    return int(value) if schema.get("type") == "integer" else value


def _string(schema: dict[str, Any], name: str | None) -> str:
    pattern = schema.get("pattern")
    candidates: list[Any] = []
    if schema.get("format") in BY_FORMAT:  # the format says what it is; the name only what it is about
        candidates.append(BY_FORMAT[schema["format"]])
    if name in BY_NAME:
        candidates.append(BY_NAME[name])
    words = set((name or "").split("_"))
    if words & RATE_WORDS:
        candidates.append("0.06")
    elif words & AMOUNT_WORDS:
        candidates.append("1200.00")
    if name in {"quantity", "factor"}:
        candidates.append("1")
    if (name and name.endswith("_on")) or name in {"as_of", "due_date", "invoice_date", "start_date", "end_date"}:
        candidates.append("2026-04-01")
    if name and name.endswith("_at"):
        candidates.append("2026-04-01T02:00:00Z")
    if name and (name == "id" or name.endswith("_id")):
        candidates.append(BY_FORMAT["uuid"])
    candidates.extend(PATTERN_CANDIDATES if pattern else ())
    candidates.append("示例" if not pattern else "example")
    low, high = schema.get("minLength", 0), schema.get("maxLength")
    for candidate in candidates:
        if not isinstance(candidate, str):
            continue
        if pattern and not re.search(pattern, candidate):
            continue
        if len(candidate) < low or (high is not None and len(candidate) > high):
            continue
        return str(candidate)
    return "x" * max(1, int(low))
