"""Policies are data: the A/B/C/D defaults ship, new ones and new versions come through the API."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from arflow.testing.services import RunningService

STEPS: list[dict[str, Any]] = [
    {
        "name": "overdue_notice",
        "offset_days": 1,
        "channel": "email",
        "level": 1,
        "templates": {"zh-CN": "overdue_notice", "en": "overdue_notice"},
    },
    {"name": "phone_call", "offset_days": 5, "channel": "phone_task", "level": 4},
]


def code() -> str:
    return f"key-accounts-{uuid4().hex[:8]}"


async def test_default_ladders_for_each_tier_are_in_force(dunning: RunningService) -> None:
    response = await dunning.client.get("/policies", params={"limit": 100})
    assert response.status_code == 200
    policies = {p["code"]: p for p in response.json()["data"]}
    assert {"tier-a", "tier-b", "tier-c", "tier-d"} <= set(policies)
    b = [s["name"] for s in policies["tier-b"]["steps"]]
    assert b[:2] == ["pre_due_reminder", "overdue_notice"] and b[-1] == "legal_handover"
    # Firmer tiers reach the legal handover sooner.
    handover = {c: policies[c]["steps"][-1]["offset_days"] for c in ("tier-a", "tier-b", "tier-c", "tier-d")}
    assert handover["tier-a"] > handover["tier-b"] > handover["tier-c"] > handover["tier-d"]


async def test_a_policy_is_created_versioned_and_retired(dunning: RunningService) -> None:
    name = code()
    body = {"code": name, "name": "大客户", "tiers": ["A"], "min_amount": "100000", "tags": ["key"], "steps": STEPS}
    created = await dunning.client.post("/policies", json=body, headers={"Idempotency-Key": name})
    assert created.status_code == 201, created.text
    assert (created.json()["version"], created.json()["min_amount"]) == (1, "100000")
    replay = await dunning.client.post("/policies", json=body, headers={"Idempotency-Key": name})
    assert replay.headers.get("Idempotent-Replayed") == "true"

    again = await dunning.client.post("/policies", json=body)
    assert again.status_code == 409 and again.json()["code"] == "policy_exists"

    v2 = await dunning.client.post(
        f"/policies/{name}/versions", json={**{k: v for k, v in body.items() if k != "code"}, "priority": 5}
    )
    assert v2.status_code == 201, v2.text
    assert (v2.json()["version"], v2.json()["versions"]) == (2, [2, 1])
    first = await dunning.client.get(f"/policies/{name}", params={"version": 1})
    assert (first.json()["priority"], first.json()["min_amount"]) == (0, "100000")

    retired = await dunning.client.delete(f"/policies/{name}")
    assert retired.status_code == 200 and retired.json()["active"] is False
    in_force = (await dunning.client.get("/policies", params={"limit": 100})).json()["data"]
    assert name not in [p["code"] for p in in_force]


async def test_an_invalid_ladder_is_a_422_that_stores_nothing(dunning: RunningService) -> None:
    name = code()
    backwards = [{**STEPS[1], "offset_days": 0}, STEPS[0]]
    response = await dunning.client.post("/policies", json={"code": name, "name": "x", "steps": backwards})
    assert response.status_code == 422 and response.json()["code"] == "invalid_policy"
    assert (await dunning.client.get(f"/policies/{name}")).status_code == 404


async def test_an_email_step_needs_a_template_that_exists(dunning: RunningService) -> None:
    steps = [{**STEPS[0], "templates": {"zh-CN": "no_such_template"}}]
    response = await dunning.client.post("/policies", json={"code": code(), "name": "x", "steps": steps})
    assert response.status_code == 422 and response.json()["code"] == "unknown_template"


async def test_new_version_of_an_unknown_policy_is_a_404(dunning: RunningService) -> None:
    response = await dunning.client.post("/policies/nope/versions", json={"name": "x", "steps": STEPS})
    assert response.status_code == 404 and response.json()["code"] == "policy_not_found"


async def test_policies_are_listed_page_by_page_in_the_one_list_envelope(dunning: RunningService) -> None:
    retired = code()
    body = {"code": retired, "name": "退役", "steps": STEPS}
    assert (await dunning.client.post("/policies", json=body)).status_code == 201
    assert (await dunning.client.delete(f"/policies/{retired}")).status_code == 200
    newest = code()
    assert (await dunning.client.post("/policies", json={**body, "code": newest})).status_code == 201

    first = (await dunning.client.get("/policies", params={"limit": 1})).json()
    assert set(first) == {"object", "data", "has_more", "next_cursor"}
    assert first["object"] == "list" and first["has_more"] is True
    assert [p["code"] for p in first["data"]] == [newest]  # newest first, like every list
    assert first["next_cursor"] == first["data"][0]["id"]

    seen, cursor = [p["code"] for p in first["data"]], first["next_cursor"]
    while cursor:
        page = (await dunning.client.get("/policies", params={"limit": 2, "starting_after": cursor})).json()
        assert page["object"] == "list" and len(page["data"]) <= 2
        seen += [p["code"] for p in page["data"]]
        cursor = page["next_cursor"]
        assert bool(cursor) == page["has_more"]
    assert len(seen) == len(set(seen))
    assert {"tier-a", "tier-b", "tier-c", "tier-d", newest} <= set(seen) and retired not in seen

    with_retired = (await dunning.client.get("/policies", params={"include_retired": "true", "limit": 100})).json()
    assert retired in [p["code"] for p in with_retired["data"]]
