"""Every operation of every service shows an example of its request body and its answers, and each
example is valid by the schema it illustrates (issue 15: "examples on every operation")."""

from __future__ import annotations

from collections.abc import Iterator
from importlib import import_module
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from arflow.openapi_examples import HTTP_METHODS

APPS = {
    "invoicing": "invoicing.main",
    "reconciliation": "reconciliation.main",
    "dunning": "dunning.main",
    "credit-scoring": "credit_scoring.main",
    "people": "people.main",
}


def _document(service: str) -> dict[str, Any]:
    document: dict[str, Any] = import_module(APPS[service]).create_app().openapi()
    return document


def _examples(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], Any]]:
    """(where, schema, example) for every JSON body and answer of the document."""
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method not in HTTP_METHODS:
                continue
            bodies = [("request", operation.get("requestBody", {}))]
            bodies += [(f"answer {status}", answer) for status, answer in operation["responses"].items()]
            for what, part in bodies:
                for media, content in part.get("content", {}).items():
                    if media != "application/json" and not media.endswith("+json"):
                        continue
                    where = f"{method.upper()} {path} {what} {media}"
                    example = content.get("example", next(iter(content.get("examples", {}).values()), {}))
                    if isinstance(example, dict) and "value" in example and "examples" in content:
                        example = example["value"]
                    yield where, content.get("schema", {}), example if content.keys() & {"example", "examples"} else ...


@pytest.mark.parametrize("service", list(APPS))
def test_every_json_body_and_answer_has_an_example_valid_by_its_schema(service: str) -> None:
    document = _document(service)
    missing, invalid = [], []
    seen = 0
    for where, schema, example in _examples(document):
        seen += 1
        if example is ...:
            missing.append(where)
            continue
        validator = Draft202012Validator({**schema, "components": document.get("components", {})})
        errors = sorted(validator.iter_errors(example), key=lambda e: list(e.path))
        if errors:
            invalid.append(f"{where}: {errors[0].message} at {list(errors[0].path)}")
    assert seen > 20
    assert not missing, f"{len(missing)} without an example: {missing[:10]}"
    assert not invalid, f"{len(invalid)} examples invalid by their schema: {invalid[:10]}"


def test_the_examples_speak_the_business() -> None:
    document = _document("invoicing")
    create = document["paths"]["/customers"]["post"]["requestBody"]["content"]["application/json"]["example"]
    assert create["legal_name"] and create["legal_name"] != "string"
    problem = document["paths"]["/customers/{customer_id}"]["get"]["responses"]["404"]["content"]
    assert problem["application/problem+json"]["example"]["code"] == "not_found"
