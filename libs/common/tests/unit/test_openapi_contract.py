"""What every service's OpenAPI document declares: the key scheme and the problem answers."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from arflow.auth import Principal, require_scope
from arflow.service import ServiceDefinition, create_service_app
from arflow.settings import ServiceSettings


class Thing(BaseModel):
    name: str


def _document() -> dict[str, Any]:
    router = APIRouter()

    @router.post("/things")
    async def create_thing(body: Thing, _: Principal = Depends(require_scope("probe:write"))) -> Thing:
        return body

    @router.get("/things/{thing_id}")
    async def get_thing(thing_id: int, _: Principal = Depends(require_scope("probe:read"))) -> Thing:
        return Thing(name=str(thing_id))

    definition = ServiceDefinition(name="probe", title="probe", description="a bare service", routers=[router])
    app = create_service_app(definition, ServiceSettings(log_level="WARNING"))
    return app.openapi()


def test_the_api_key_scheme_is_declared_and_required_where_a_scope_is() -> None:
    document = _document()
    assert document["components"]["securitySchemes"]["ApiKey"]["scheme"] == "bearer"
    assert document["paths"]["/things"]["post"]["security"] == [{"ApiKey": []}]
    assert "security" not in document["paths"]["/healthz"]["get"]


def test_every_error_answer_is_a_documented_problem() -> None:
    document = _document()
    create = document["paths"]["/things"]["post"]["responses"]
    assert {"401", "403", "413", "422", "500"} <= set(create)
    answer = create["422"]["content"]["application/problem+json"]
    assert answer["schema"] == {"$ref": "#/components/schemas/ProblemDetails"}
    assert answer["example"]["code"] == "validation_failed" and answer["example"]["status"] == 422
    assert create["401"]["content"]["application/problem+json"]["example"]["code"] == "unauthenticated"
    assert "413" not in document["paths"]["/things/{thing_id}"]["get"]["responses"]  # no body, no size limit
    assert "401" not in document["paths"]["/healthz"]["get"]["responses"]
    problem = document["components"]["schemas"]["ProblemDetails"]
    assert {"type", "title", "status", "detail", "code"} <= set(problem["required"])
    assert "HTTPValidationError" not in json.dumps(document)  # FastAPI's own shape is never answered
