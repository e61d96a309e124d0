"""Schemathesis over every operation of the running services: no 500, no status the OpenAPI leaves out, and
no object created without an audit entry saying who created it.

Bounded so the suite stays short: ARFLOW_FUZZ_EXAMPLES generated requests per
operation (default 10), positive and negative data, against the services
running as processes on real HTTP. Every failure is collected, so one run lists
them all (operation, check, status, the request that caused it).
"""

from __future__ import annotations

import os
import secrets
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import CHECKS as REGISTERED_CHECKS
from schemathesis.checks import load_all_checks
from schemathesis.core.failures import FailureGroup
from schemathesis.core.result import Err

from arflow.testing.platform import Platform

pytestmark = pytest.mark.e2e

EXAMPLES = int(os.environ.get("ARFLOW_FUZZ_EXAMPLES", "10"))
load_all_checks()
# Every check schemathesis has, but: those that need a recorded sequence of calls (stateful
# runs), and the two that hold the schema to be the whole rule book. A request can be valid
# by the schema and still break a business rule (a period that ends before it starts, a
# customer that does not exist: a 422 that says so is the right answer), and unknown query
# parameters are ignored, as HTTP APIs customarily do.
LEFT_OUT = {
    "use_after_free",
    "ensure_resource_availability",
    "object_level_authorization",
    "positive_data_acceptance",
    "negative_data_rejection",
}
CHECKS = [check for check in REGISTERED_CHECKS.get_all() if check.__name__ not in LEFT_OUT]
# /readyz answers 503 when a dependency is down, which is its documented purpose, not a failure.
SKIPPED_PATHS = {"/readyz"}


def _fuzz(base_url: str, api_key: str) -> list[str]:
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    session = requests.Session()
    headers = {"Authorization": f"Bearer {api_key}"}
    failures: list[str] = []
    created: list[tuple[str, str]] = []  # (operation, trace id) of each 201
    for result in schema.get_all_operations():
        if isinstance(result, Err):  # an operation schemathesis cannot read is a broken contract
            failures.append(f"unreadable operation: {result.err()}")
            continue
        operation = result.ok()
        if operation.path not in SKIPPED_PATHS:
            _exercise(operation, base_url, session, headers, failures, created)()
    for what, trace_id in created:
        found = session.get(f"{base_url}/audit", params={"request_id": trace_id}, headers=headers, timeout=10)
        if found.status_code != 200 or not found.json()["data"]:
            failures.append(f"{what}: created (201) with no audit entry for its request {trace_id}")
    return failures


def _exercise(
    operation: Any,
    base_url: str,
    session: requests.Session,
    headers: dict[str, str],
    failures: list[str],
    created: list[tuple[str, str]],
) -> Any:
    """A Hypothesis test of one operation that records each distinct failure instead of stopping at it."""
    seen: set[str] = set()

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=st.one_of(*(operation.as_strategy(mode) for mode in GenerationMode)))
    def exercise(case: Any) -> None:
        trace_id = secrets.token_hex(16)
        traced = {**headers, "traceparent": f"00-{trace_id}-{secrets.token_hex(8)}-01"}
        response = case.call(base_url=base_url, session=session, headers=traced, timeout=10)
        # A replayed answer (same Idempotency-Key, same body) created nothing this time: its audit
        # entry belongs to the request that did. (Schemathesis keys headers in lower case, values as lists.)
        if response.status_code == 201 and response.headers.get("idempotent-replayed") != ["true"]:
            created.append((f"{operation.method.upper()} {operation.path}", trace_id))
        try:
            case.validate_response(response, checks=CHECKS)
        except FailureGroup as group:
            for failure in group.exceptions:
                key = f"{operation.method.upper()} {operation.path}: {failure.title}"
                if key not in seen:
                    seen.add(key)
                    failures.append(f"{key} ({response.status_code}) {case.as_curl_command()[:300]}")

    return exercise


@pytest.mark.parametrize("service", ["invoicing", "reconciliation", "dunning", "credit-scoring", "people"])
def test_generated_requests_get_documented_answers_and_no_server_error(platform: Platform, service: str) -> None:
    failures = _fuzz(platform.urls[service], platform.api_key)
    assert not failures, f"{len(failures)} failures:\n" + "\n".join(failures)
