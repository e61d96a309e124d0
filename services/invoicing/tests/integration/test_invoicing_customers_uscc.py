"""统一社会信用代码: checked by python-stdnum, one customer per code for the creditor (issue 15)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import create_async_engine
from stdnum.cn import uscc

from arflow.migrations import upgrade
from arflow.testing.infrastructure import TestInfrastructure, spec
from arflow.testing.services import RunningService

NewCustomer = Callable[..., Awaitable[dict[str, Any]]]


def with_check(first17: str) -> str:
    return first17 + uscc.calc_check_digit(first17)


def unused_code(prefix: str = "913501") -> str:
    return with_check(f"{prefix}{uuid.uuid4().int % 10 ** (17 - len(prefix)):0{17 - len(prefix)}d}")


async def test_a_code_with_a_letter_in_positions_1_to_8_is_refused_naming_the_field(
    invoicing: RunningService, customer_body: dict[str, Any]
) -> None:
    code = with_check("9A350100M000100Y4")  # right check character: the old check let it in
    response = await invoicing.client.post("/customers", json={**customer_body, "unified_social_credit_code": code})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "uscc_invalid"
    assert "unified_social_credit_code" in body["detail"]
    assert [e["location"] for e in body["errors"]] == ["body.unified_social_credit_code"]


async def test_a_wrong_code_is_explained_in_chinese(invoicing: RunningService, customer_body: dict[str, Any]) -> None:
    code = "91350100M000100Y44"  # wrong check character
    response = await invoicing.client.post(
        "/customers",
        json={**customer_body, "unified_social_credit_code": code},
        headers={"Accept-Language": "zh-CN"},
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-language"] == "zh-CN"
    body = response.json()
    assert (body["code"], body["title"]) == ("uscc_invalid", "统一社会信用代码无效")
    assert body["detail"] == f"统一社会信用代码（unified_social_credit_code）“{code}”校验码（第 18 位）不正确。"
    assert body["errors"][0]["message"] == f"“{code}”校验码（第 18 位）不正确。"


async def test_a_change_to_a_wrong_code_is_refused(invoicing: RunningService, new_customer: NewCustomer) -> None:
    customer = await new_customer()
    code = with_check("91B50100M000100Y4")
    response = await invoicing.client.patch(f"/customers/{customer['id']}", json={"unified_social_credit_code": code})
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "uscc_invalid"


async def test_a_village_collective_code_from_authority_n_is_accepted(
    invoicing: RunningService, new_customer: NewCustomer
) -> None:
    code = unused_code("N23301")  # 农业 (N), 村级集体经济组织 (2): GB 32100 puts a letter first
    customer = await new_customer(unified_social_credit_code=code)
    assert customer["unified_social_credit_code"] == code


async def test_a_code_is_stored_without_spaces_in_capitals(
    invoicing: RunningService, new_customer: NewCustomer
) -> None:
    code = unused_code()
    customer = await new_customer(unified_social_credit_code=f"{code[:8]} {code[8:]}".lower())
    assert customer["unified_social_credit_code"] == code


async def test_a_second_customer_with_the_same_code_is_refused(
    invoicing: RunningService, new_customer: NewCustomer, customer_body: dict[str, Any]
) -> None:
    first = await new_customer()
    code = first["unified_social_credit_code"]
    response = await invoicing.client.post("/customers", json={**customer_body, "unified_social_credit_code": code})
    assert response.status_code == 409, response.text
    body = response.json()
    assert body["code"] == "uscc_taken"
    assert first["id"] in body["detail"]


async def test_an_archived_customer_keeps_its_code(
    invoicing: RunningService, new_customer: NewCustomer, customer_body: dict[str, Any]
) -> None:
    first = await new_customer()
    archived = await invoicing.client.post(f"/customers/{first['id']}/archive")
    assert archived.status_code == 200, archived.text
    response = await invoicing.client.post(
        "/customers", json={**customer_body, "unified_social_credit_code": first["unified_social_credit_code"]}
    )
    assert response.status_code == 409, response.text
    assert response.json()["code"] == "uscc_taken"


async def test_a_change_to_another_customers_code_is_refused(
    invoicing: RunningService, new_customer: NewCustomer
) -> None:
    first, second = await new_customer(), await new_customer()
    response = await invoicing.client.patch(
        f"/customers/{second['id']}", json={"unified_social_credit_code": first["unified_social_credit_code"]}
    )
    assert response.status_code == 409, response.text
    assert response.json()["code"] == "uscc_taken"
    unchanged = await invoicing.client.patch(
        f"/customers/{first['id']}", json={"unified_social_credit_code": first["unified_social_credit_code"]}
    )
    assert unchanged.status_code == 200, unchanged.text  # its own code is no conflict


async def test_concurrent_creates_with_one_code_cannot_both_win(
    invoicing: RunningService, customer_body: dict[str, Any]
) -> None:
    bodies = [{**customer_body, "external_reference": str(uuid.uuid4())} for _ in range(4)]
    responses = await asyncio.gather(*(invoicing.client.post("/customers", json=body) for body in bodies))
    assert sorted(r.status_code for r in responses) == [201, 409, 409, 409], [r.text for r in responses]
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"uscc_taken"}


async def test_concurrent_changes_to_one_code_cannot_both_win(
    invoicing: RunningService, new_customer: NewCustomer
) -> None:
    customers = [await new_customer() for _ in range(3)]
    code = unused_code()
    responses = await asyncio.gather(
        *(invoicing.client.patch(f"/customers/{c['id']}", json={"unified_social_credit_code": code}) for c in customers)
    )
    assert sorted(r.status_code for r in responses) == [200, 409, 409], [r.text for r in responses]
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"uscc_taken"}


async def test_the_migration_leaves_codes_already_shared_out_of_the_index(infra: TestInfrastructure) -> None:
    url = await infra.scratch_database(f"uscc_{uuid.uuid4().hex[:6]}")
    await asyncio.to_thread(upgrade, spec("invoicing").directory, url, "0008")
    shared, single = unused_code(), unused_code()
    engine = create_async_engine(url)
    insert = text(
        "INSERT INTO customer (id, legal_name, unified_social_credit_code, created_at, updated_at)"
        " VALUES (:id, '重复客户有限公司', :code, now(), now())"
    )
    try:
        async with engine.begin() as conn:
            for code in (shared, shared, single):
                await conn.execute(insert, {"id": uuid.uuid4(), "code": code})
        await asyncio.to_thread(upgrade, spec("invoicing").directory, url)
        async with engine.connect() as conn:
            predicate = await conn.scalar(
                text("SELECT pg_get_expr(indpred, indrelid) FROM pg_index WHERE indexrelid = to_regclass(:name)"),
                {"name": "uq_customer_unified_social_credit_code"},
            )
        assert shared in predicate
        async with engine.begin() as conn:
            await conn.execute(insert, {"id": uuid.uuid4(), "code": shared})  # left out: the service guards it
        refused = False
        try:
            async with engine.begin() as conn:
                await conn.execute(insert, {"id": uuid.uuid4(), "code": single})
        except IntegrityError:
            refused = True
        assert refused
    finally:
        await engine.dispose()


async def test_every_fault_of_a_body_reads_in_chinese_when_asked(
    invoicing: RunningService, customer_body: dict[str, Any]
) -> None:
    """The custom validators (time zone, email, phone, money) speak the caller's language, as pydantic's do."""
    contact = {"name": "王芳", "email": "not-an-email", "phone": "13812345678"}
    response = await invoicing.client.post(
        "/customers",
        json={**customer_body, "time_zone": "Asia/Beijing", "contacts": [contact]},
        headers={"Accept-Language": "zh-CN"},
    )
    assert response.status_code == 422, response.text
    messages = {e["location"]: e["message"] for e in response.json()["errors"]}
    assert messages["body.time_zone"] == "'Asia/Beijing' 不是 IANA 时区"
    assert messages["body.contacts.0.email"] == "不是有效的电子邮箱地址"
    assert messages["body.contacts.0.phone"] == "须为 E.164 格式，例如 +8613812345678"
    english = await invoicing.client.post("/customers", json={**customer_body, "time_zone": "Asia/Beijing"})
    assert english.json()["errors"][0]["message"] == "'Asia/Beijing' is not an IANA time zone"
