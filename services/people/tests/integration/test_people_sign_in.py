"""People through the API: an admin creates a person, who signs in, changes the first password, is locked out
after failures, refreshes (once per token) and signs out."""

from __future__ import annotations

import secrets
from typing import Any

import httpx

from arflow.testing.services import RunningService
from arflow.tokens import TokenVerifier


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def create_user(people: RunningService, **fields: Any) -> dict[str, Any]:
    username = fields.pop("username", f"u{secrets.token_hex(4)}")
    body = {"username": username, "display_name": "王芳", "roles": ["collector"], **fields}
    response = await people.client.post("/users", json=body, headers={"Idempotency-Key": secrets.token_hex(8)})
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def sign_in(people: RunningService, username: str, password: str) -> httpx.Response:
    # No API key: the person's own credentials only.
    return await people.client.post(
        "/sessions", json={"username": username, "password": password}, headers={"Authorization": ""}
    )


async def signed_in_with_own_password(people: RunningService, roles: list[str]) -> tuple[dict[str, Any], str, str]:
    """A new user who has signed in and set their own password: (user, password, session json's refresh)."""
    user = await create_user(people, roles=roles)
    first = (await sign_in(people, user["username"], user["initial_password"])).json()
    own = f"晴天 {secrets.token_hex(6)}"
    changed = await people.client.put(
        "/me/password",
        json={"current_password": user["initial_password"], "new_password": own},
        headers=bearer(first["access_token"]),
    )
    assert changed.status_code == 204, changed.text
    return user, own, first["refresh_token"]


async def test_a_first_password_opens_only_the_users_own_account_until_changed(
    people: RunningService, signing_key: tuple[str, str]
) -> None:
    user = await create_user(people, roles=["auditor"])
    assert user["initial_password"] and user["must_change_password"] and user["created_by"] == "test"
    response = await sign_in(people, user["username"], user["initial_password"])
    assert response.status_code == 201, response.text
    session = response.json()
    assert session["must_change_password"] and session["scopes"] == ["people:self"]
    claims = TokenVerifier(signing_key[1]).verify(session["access_token"], now=people.app.state.clock.now())
    assert claims.name == user["username"] and claims.subject == user["id"] and claims.roles == ("auditor",)
    # people:read is the auditor's, but not before a password of their own.
    listed = await people.client.get("/users", headers=bearer(session["access_token"]))
    assert listed.status_code == 403 and listed.json()["code"] == "missing_scope"
    me = await people.client.get("/me", headers=bearer(session["access_token"]))
    assert me.status_code == 200 and me.json()["username"] == user["username"]

    weak = await people.client.put(
        "/me/password",
        json={"current_password": user["initial_password"], "new_password": f"{user['username']}1"},
        headers=bearer(session["access_token"]),
    )
    assert weak.status_code == 422 and weak.json()["code"] == "password_rejected"
    assert "contains the username" in weak.json()["detail"] and "shorter than 12" in weak.json()["detail"]
    wrong = await people.client.put(
        "/me/password",
        json={"current_password": "not it at all", "new_password": "a long enough passphrase"},
        headers=bearer(session["access_token"]),
    )
    assert wrong.status_code == 422 and wrong.json()["code"] == "current_password_wrong"
    changed = await people.client.put(
        "/me/password",
        json={"current_password": user["initial_password"], "new_password": "a long enough passphrase"},
        headers=bearer(session["access_token"]),
    )
    assert changed.status_code == 204, changed.text
    renewed = await people.client.post(
        "/sessions/refresh", json={"refresh_token": session["refresh_token"]}, headers={"Authorization": ""}
    )
    assert renewed.status_code == 200, renewed.text
    assert not renewed.json()["must_change_password"]
    assert set(renewed.json()["scopes"]) >= {"people:read", "dunning:read", "people:self"}
    assert "people:admin" not in renewed.json()["scopes"]
    listed = await people.client.get("/users", headers=bearer(renewed.json()["access_token"]))
    assert listed.status_code == 200 and user["id"] in [u["id"] for u in listed.json()["data"]]
    # An auditor reads, and changes nothing.
    refused = await people.client.post(
        "/users",
        json={"username": "x" + secrets.token_hex(3), "display_name": "x", "roles": ["admin"]},
        headers={**bearer(renewed.json()["access_token"]), "Idempotency-Key": secrets.token_hex(8)},
    )
    assert refused.status_code == 403


async def test_wrong_passwords_lock_the_account_and_an_unknown_name_is_answered_alike(people: RunningService) -> None:
    user, password, _ = await signed_in_with_own_password(people, ["collector"])
    unknown = await sign_in(people, "nobody-" + secrets.token_hex(3), "whatever it is")
    wrong = await sign_in(people, user["username"], "not the password")
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json()["code"] == wrong.json()["code"] == "invalid_credentials"
    assert unknown.json()["detail"] == wrong.json()["detail"]
    for _ in range(2):  # the test platform locks at the third failure in a row
        await sign_in(people, user["username"], "not the password")
    locked = await sign_in(people, user["username"], password)  # even the right password, while locked
    assert locked.status_code == 423 and locked.json()["code"] == "account_locked"
    assert int(locked.headers["Retry-After"]) == 15 * 60
    shown = (await people.client.get(f"/users/{user['id']}")).json()
    assert shown["locked_until"] is not None
    unlocked = await people.client.post(f"/users/{user['id']}/unlock")
    assert unlocked.status_code == 200 and unlocked.json()["locked_until"] is None
    assert (await sign_in(people, user["username"], password)).status_code == 201


async def test_a_refresh_token_works_once_and_its_reuse_ends_the_session(people: RunningService) -> None:
    user, password, _ = await signed_in_with_own_password(people, ["collector"])
    session = (await sign_in(people, user["username"], password)).json()
    first = await people.client.post(
        "/sessions/refresh", json={"refresh_token": session["refresh_token"]}, headers={"Authorization": ""}
    )
    assert first.status_code == 200
    stolen = await people.client.post(
        "/sessions/refresh", json={"refresh_token": session["refresh_token"]}, headers={"Authorization": ""}
    )
    assert stolen.status_code == 401 and stolen.json()["code"] == "session_ended"
    # The thief's replay ended the session: the legitimate holder's newer token stops working too.
    after = await people.client.post(
        "/sessions/refresh", json={"refresh_token": first.json()["refresh_token"]}, headers={"Authorization": ""}
    )
    assert after.status_code == 401 and after.json()["code"] == "session_ended"


async def test_signing_out_ends_the_session(people: RunningService) -> None:
    user, password, _ = await signed_in_with_own_password(people, ["ar_clerk"])
    session = (await sign_in(people, user["username"], password)).json()
    out = await people.client.delete("/sessions/current", headers=bearer(session["access_token"]))
    assert out.status_code == 204
    again = await people.client.post(
        "/sessions/refresh", json={"refresh_token": session["refresh_token"]}, headers={"Authorization": ""}
    )
    assert again.status_code == 401 and again.json()["code"] == "session_ended"
    key_only = await people.client.delete("/sessions/current")  # the test's API key is no person
    assert key_only.status_code == 401 and key_only.json()["code"] == "not_signed_in"


async def test_a_disabled_person_cannot_sign_in_and_the_last_admin_stays(people: RunningService) -> None:
    user, password, _ = await signed_in_with_own_password(people, ["collector"])
    disabled = await people.client.patch(f"/users/{user['id']}", json={"status": "disabled"})
    assert disabled.status_code == 200 and disabled.json()["updated_by"] == "test"
    refused = await sign_in(people, user["username"], password)
    assert refused.status_code == 401 and refused.json()["code"] == "invalid_credentials"

    admins = (await people.client.get("/users", params={"role": "admin", "status": "active"})).json()["data"]
    for admin in admins:  # one active admin left at most, whatever earlier tests made
        if admin != admins[0]:
            await people.client.patch(f"/users/{admin['id']}", json={"status": "disabled"})
    only = admins[0] if admins else await create_user(people, roles=["admin"])
    last = await people.client.patch(f"/users/{only['id']}", json={"roles": ["auditor"]})
    assert last.status_code == 409 and last.json()["code"] == "last_admin"


async def test_roles_are_data_an_admin_sets_and_only_known_scopes(people: RunningService) -> None:
    roles = {r["name"]: r for r in (await people.client.get("/roles")).json()}
    assert set(roles) == {"admin", "ar_clerk", "collector", "credit_manager", "finance_manager", "auditor"}
    assert "invoicing:credit-override" in roles["credit_manager"]["scopes"]
    assert "invoicing:credit-override" not in roles["finance_manager"]["scopes"]
    assert all(s.endswith(":read") for s in roles["auditor"]["scopes"])
    unknown = await people.client.put("/roles/collector", json={"scopes": ["dunning:write", "dunning:teleport"]})
    assert unknown.status_code == 422 and unknown.json()["code"] == "scope_unknown"
    assert "dunning:teleport" in unknown.json()["detail"]
    missing = await people.client.put("/roles/janitor", json={"scopes": []})
    assert missing.status_code == 404 and missing.json()["code"] == "role_not_found"
    user, password, _ = await signed_in_with_own_password(people, ["collector"])
    try:
        changed = await people.client.put(
            "/roles/collector", json={"scopes": [*roles["collector"]["scopes"], "credit-scoring:write"]}
        )
        assert changed.status_code == 200 and changed.json()["updated_by"] == "test"
        session = (await sign_in(people, user["username"], password)).json()
        assert "credit-scoring:write" in session["scopes"]
    finally:
        await people.client.put("/roles/collector", json={"scopes": roles["collector"]["scopes"]})


async def test_a_username_is_taken_once_and_roles_must_exist(people: RunningService) -> None:
    user = await create_user(people)
    again = await people.client.post(
        "/users",
        json={"username": user["username"], "display_name": "李雷", "roles": ["collector"]},
        headers={"Idempotency-Key": secrets.token_hex(8)},
    )
    assert again.status_code == 409 and again.json()["code"] == "username_taken"
    for bad in ({"roles": ["janitor"]}, {"username": "Upper"}, {"password": "short"}, {"email": "not-an-email"}):
        body = {"username": "u" + secrets.token_hex(4), "display_name": "李雷", "roles": ["collector"], **bad}
        refused = await people.client.post("/users", json=body, headers={"Idempotency-Key": secrets.token_hex(8)})
        assert refused.status_code == 422, (bad, refused.text)
