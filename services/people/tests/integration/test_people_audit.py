"""The audit trail as an auditor sees it at the people service: who changed which user, before and after, with
no secret in it; append-only; a chain that verifies, and that names the entry edited behind its back."""

from __future__ import annotations

import csv
import io
import secrets
from typing import Any

from sqlalchemy import text

from arflow.testing.services import RunningService


async def made_user(people: RunningService) -> dict[str, Any]:
    body = {"username": f"a{secrets.token_hex(4)}", "display_name": "赵敏", "roles": ["collector"]}
    response = await people.client.post("/users", json=body, headers={"Idempotency-Key": secrets.token_hex(8)})
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def trail(people: RunningService, **params: str) -> list[dict[str, Any]]:
    response = await people.client.get("/audit", params=params)
    assert response.status_code == 200, response.text
    return response.json()["data"]  # type: ignore[no-any-return]


async def test_each_change_says_who_when_and_what_it_was_before_and_after(people: RunningService) -> None:
    user = await made_user(people)
    changed = await people.client.patch(
        f"/users/{user['id']}", json={"roles": ["collector", "ar_clerk"]}, headers={"traceparent": TRACE}
    )
    assert changed.status_code == 200
    entries = await trail(people, object=user["id"])
    assert [e["action"] for e in entries] == ["user_account.updated", "user_account.created"]
    updated, created = entries
    assert created["actor"] == updated["actor"] == "test" and created["actor_kind"] == "integration"
    assert created["after"]["username"] == user["username"] and created["before"] is None
    assert created["after"]["password_hash"] == "[redacted]"  # a hash is still a secret to guess against
    assert updated["before"]["roles"] == ["collector"] and updated["after"]["roles"] == ["ar_clerk", "collector"]
    assert updated["request_id"] == TRACE.split("-")[1]
    assert updated["at"].startswith("2026-03-02T02:00")  # the service's clock
    # A refused change leaves nothing.
    refused = await people.client.patch(f"/users/{user['id']}", json={"roles": ["janitor"]})
    assert refused.status_code == 422
    assert len(await trail(people, object=user["id"])) == 2


async def test_a_person_signing_in_is_the_author_of_what_it_changes(people: RunningService) -> None:
    user = await made_user(people)
    signed = await people.client.post(
        "/sessions",
        json={"username": user["username"], "password": user["initial_password"]},
        headers={"Authorization": ""},
    )
    assert signed.status_code == 201
    mine = await trail(people, actor=f"user:{user['username']}")
    assert {e["action"] for e in mine} >= {"sign_in_session.created", "user_account.updated"}
    assert all(e["actor_kind"] == "user" and e["actor_id"] == user["id"] for e in mine)
    session_entry = next(e for e in mine if e["action"] == "sign_in_session.created")
    assert session_entry["after"]["refresh_hash"] == "[redacted]"


async def test_the_trail_downloads_as_csv(people: RunningService) -> None:
    user = await made_user(people)
    response = await people.client.get("/audit", params={"object": user["id"]}, headers={"Accept": "text/csv"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert [r["action"] for r in rows] == ["user_account.created"] and rows[0]["actor"] == "test"
    assert '"username"' in rows[0]["after"]


async def test_entries_cannot_be_changed_or_removed_and_an_edit_behind_the_trigger_breaks_the_chain(
    people: RunningService,
) -> None:
    await made_user(people)
    verified = (await people.client.get("/audit/verify")).json()
    assert verified["intact"] and verified["entries"] >= 1 and verified["unsealed"] == 0
    db = people.app.state.db
    for statement in ("UPDATE audit_entry SET actor = 'someone else'", "DELETE FROM audit_entry"):
        try:
            async with db.unit_of_work() as session:
                await session.execute(text(statement))
        except Exception as refused:  # the trigger: append-only
            assert "audit entries" in str(refused)
        else:
            raise AssertionError(f"{statement} was allowed")
    async with db.unit_of_work() as session:
        target = await session.scalar(text("SELECT max(chain_index) - 1 FROM audit_entry"))
        original = await session.scalar(text("SELECT actor FROM audit_entry WHERE chain_index = :i"), {"i": target})
        # What a superuser could do: switch the trigger off, rewrite history, switch it on again.
        await session.execute(text("ALTER TABLE audit_entry DISABLE TRIGGER audit_entry_append_only"))
        await session.execute(
            text("UPDATE audit_entry SET actor = 'someone else' WHERE chain_index = :i"), {"i": target}
        )
        await session.execute(text("ALTER TABLE audit_entry ENABLE TRIGGER audit_entry_append_only"))
    try:
        broken = (await people.client.get("/audit/verify")).json()
        assert not broken["intact"] and broken["broken_at"] == target and "edited" in broken["reason"]
    finally:  # put history back, for the tests after this one
        async with db.unit_of_work() as session:
            await session.execute(text("ALTER TABLE audit_entry DISABLE TRIGGER audit_entry_append_only"))
            await session.execute(
                text("UPDATE audit_entry SET actor = :a WHERE chain_index = :i"), {"a": original, "i": target}
            )
            await session.execute(text("ALTER TABLE audit_entry ENABLE TRIGGER audit_entry_append_only"))
    assert (await people.client.get("/audit/verify")).json()["intact"]


TRACE = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
