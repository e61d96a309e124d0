"""A caller who asks for `Accept-Language: zh-CN` reads every error's detail in Chinese (issue 15).

Every typed error has a Chinese title, and `Problem.body()` answers `detail_zh` to a
zh-CN caller, but only where the error was built with one: otherwise a Chinese title
sits over an English sentence. The static check reads the source of each service and
finds every construction of a `Problem` subclass (at a `raise`, or in a helper that
builds the error for a `raise`) that passes an English detail and no `detail_zh`; an
error class whose own `__init__` writes both texts needs nothing at its call sites.
The behavioural checks ask the running services in Chinese.
"""

from __future__ import annotations

import ast
import builtins
import importlib
import inspect
import re
import textwrap
import uuid
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest

from arflow.problems import Problem
from arflow.testing.platform import Platform
from invoicing.terms.errors import InvalidTerms
from invoicing.terms.schemas import check_terms

ROOT = Path(__file__).resolve().parents[2]
SOURCES = {
    "invoicing": ROOT / "services/invoicing/src/invoicing",
    "dunning": ROOT / "services/dunning/src/dunning",
    "credit_scoring": ROOT / "services/credit-scoring/src/credit_scoring",
    "reconciliation": ROOT / "services/reconciliation/src/reconciliation",
    "people": ROOT / "services/people/src/people",
}
CJK = re.compile(r"[\u4e00-\u9fff]")


def _module_name(package: str, path: Path) -> str:
    parts = list(path.relative_to(SOURCES[package].parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _resolve(node: ast.expr, module: ModuleType) -> Any:
    """The object a callee names at module level (`NotFound`, `errors.NotFound`), or None."""
    if isinstance(node, ast.Name):
        return vars(module).get(node.id)
    if isinstance(node, ast.Attribute):
        owner = _resolve(node.value, module)
        return getattr(owner, node.attr, None) if owner is not None else None
    return None


def _init_writes_chinese(cls: type[Problem]) -> bool:
    """Whether the class's own `__init__` passes a `detail_zh` of its making to `Problem.__init__`."""
    for klass in cls.__mro__:
        if klass is Problem:
            return False
        if "__init__" in vars(klass):
            init = vars(klass)["__init__"]
            if "detail_zh" in inspect.signature(init).parameters:
                return False  # it takes the Chinese from its caller
            tree = ast.parse(textwrap.dedent(inspect.getsource(init)))
            return any(
                (isinstance(node, ast.keyword) and node.arg == "detail_zh")
                or (isinstance(node, ast.Attribute) and node.attr == "detail_zh")
                for node in ast.walk(tree)
            )
    return False


def _fault(call: ast.Call, cls: type[Problem]) -> str | None:
    """What is wrong with one construction of a Problem subclass, or None."""
    given = {keyword.arg: keyword.value for keyword in call.keywords}
    if "detail_zh" in given:
        chinese = given["detail_zh"]
        # A literal (or an f-string's literal parts) can be read here; an expression is trusted.
        if isinstance(chinese, ast.JoinedStr):
            literal = (part.value for part in chinese.values if isinstance(part, ast.Constant))
            chinese = ast.Constant("".join(str(text) for text in literal))
        if isinstance(chinese, ast.Constant) and not CJK.search(str(chinese.value)):
            return "detail_zh has no Chinese in it"
        return None
    if _init_writes_chinese(cls):
        return None
    if None in given:  # **kwargs: cannot tell statically
        return "passes **kwargs (say detail_zh= explicitly)"
    return f"{cls.__name__}(...) without detail_zh"


def english_only_sites(package: str) -> list[str]:
    """Every `Problem` subclass built in the package's source with an English detail and no Chinese one."""
    sites = []
    for path in sorted(SOURCES[package].rglob("*.py")):
        module = importlib.import_module(_module_name(package, path))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            cls = _resolve(node.func, module)
            if not (isinstance(cls, type) and issubclass(cls, Problem)):
                continue
            if (fault := _fault(node, cls)) is not None:
                sites.append(f"{path.relative_to(ROOT)}:{node.lineno}: {fault}")
    return sites


def unresolved_raises(package: str) -> list[str]:
    """`raise name(...)` where the name is no module-level object: a class chosen at run time hides from the check."""
    found = []
    for path in sorted(SOURCES[package].rglob("*.py")):
        module = importlib.import_module(_module_name(package, path))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
                callee = node.exc.func
                if isinstance(callee, ast.Name | ast.Attribute) and _resolve(callee, module) is None:
                    if isinstance(callee, ast.Name) and hasattr(builtins, callee.id):
                        continue
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(callee)}")
    return found


@pytest.mark.parametrize("package", list(SOURCES))
def test_every_problem_a_service_raises_has_a_chinese_detail(package: str) -> None:
    sites = english_only_sites(package)
    assert not sites, f"{len(sites)} errors of {package} built with an English detail only:\n" + "\n".join(sites)


@pytest.mark.parametrize("package", list(SOURCES))
def test_every_raised_class_is_known_to_the_check(package: str) -> None:
    assert not unresolved_raises(package), unresolved_raises(package)


# Terms breaking each rule of check_terms in turn: its reasons come from outside the error class.
BAD_TERMS = [
    {"interest_rate": 1},
    {"interest_kind": "none", "interest_rate": 0.01},
    {"interest_kind": "daily", "interest_rate": 0},
    {"interest_kind": "annual", "interest_rate": 0},
    {"interest_cap_ratio": 11},
    {"late_fee": -1},
    {"discount_rate": 0.02},
    {"discount_rate": 2, "discount_days": 10},
]


@pytest.mark.parametrize("fields", BAD_TERMS)
def test_every_reason_payment_terms_are_refused_for_is_said_in_chinese(fields: dict[str, Any]) -> None:
    defaults = {"interest_kind": "none", "interest_rate": 0, "interest_cap_ratio": None, "late_fee": None}
    terms = SimpleNamespace(**{**defaults, "discount_rate": None, "discount_days": None, **fields})
    with pytest.raises(ValueError) as refused:
        check_terms(terms)
    error = InvalidTerms(str(refused.value))
    assert error.detail == str(refused.value)
    assert error.detail_zh is not None
    chinese = error.detail_zh.removeprefix("付款条件无效：")
    assert str(refused.value) not in chinese, "the reason is not translated"
    assert CJK.search(chinese), chinese


ZH = {"Accept-Language": "zh-CN"}


def _in_chinese(response: Any, status: int, code: str) -> str:
    """The detail of a problem answered in Chinese, after checking its status, code and language."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["content-language"] == "zh-CN"
    body = response.json()
    assert body["code"] == code
    assert CJK.search(body["title"]), body
    assert CJK.search(body["detail"]), body
    return str(body["detail"])


@pytest.mark.e2e
async def test_an_unknown_customer_is_a_404_in_chinese_and_in_english(platform: Platform) -> None:
    customer_id = uuid.uuid4()
    async with platform.client("invoicing") as client:
        chinese = await client.get(f"/customers/{customer_id}", headers=ZH)
        english = await client.get(f"/customers/{customer_id}")
    assert _in_chinese(chinese, 404, "customer_not_found") == f"客户 {customer_id} 不存在。"
    assert english.headers["content-language"] == "en"
    assert english.json()["detail"] == f"There is no customer {customer_id}."


@pytest.mark.e2e
async def test_payment_terms_taken_is_a_409_in_chinese(platform: Platform) -> None:
    terms = {"code": f"ZH-{uuid.uuid4().hex[:8]}", "name": "月结30天", "net_days": 30}
    async with platform.client("invoicing") as client:
        created = await client.post("/payment-terms", json=terms)
        assert created.status_code == 201, created.text
        again = await client.post("/payment-terms", json=terms, headers=ZH)
    assert _in_chinese(again, 409, "payment_terms_code_taken") == f"付款条件“{terms['code']}”已存在。"


@pytest.mark.e2e
async def test_terms_refused_by_a_rule_say_the_rule_in_chinese(platform: Platform) -> None:
    code = f"ZH-{uuid.uuid4().hex[:8]}"
    async with platform.client("invoicing") as client:
        created = await client.post("/payment-terms", json={"code": code, "name": "净30天", "net_days": 30})
        assert created.status_code == 201, created.text
        refused = await client.patch(f"/payment-terms/{code}", json={"interest_rate": "0.01"}, headers=ZH)
    detail = _in_chinese(refused, 422, "invalid_payment_terms")
    assert detail == "付款条件无效：设了 interest_rate（利率）时 interest_kind 须为 daily 或 annual。"


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("service", "path", "code", "noun"),
    [
        ("dunning", "/cases/{id}", "case_not_found", "催收案件"),
        ("credit-scoring", "/credit-files/{id}", "customer_unknown", "客户"),
    ],
)
async def test_other_services_answer_an_unknown_id_in_chinese(
    platform: Platform, service: str, path: str, code: str, noun: str
) -> None:
    unknown = str(uuid.uuid4())
    async with platform.client(service) as client:
        response = await client.get(path.format(id=unknown), headers=ZH)
    detail = _in_chinese(response, 404, code)
    assert unknown in detail and noun in detail, detail
